"""Each report as a :class:`~provenance.publish.documents.Document`: a title, a header that states
the basis and filters, and tables; rendered in any format by
:func:`provenance.publish.documents.render`.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from provenance.publish.documents import (
    SOURCE_HEADER,
    CommaNames,
    DocTable,
    Document,
    Layout,
    Names,
    NotApplicable,
    Share,
    share,
    source_rows,
    sources_tables,
)
from provenance.reference import chpl
from provenance.reports.chpl import NOT_LISTED, ChplReport
from provenance.reports.components import ComponentRow
from provenance.reports.core import (
    UNKNOWN_MANUFACTURER,
    Basis,
    ReferenceRow,
    RollUp,
    coverage_line,
    weapon_names,
)
from provenance.reports.countries import CountriesReport, WeaponTotals
from provenance.reports.foreign_parts import ForeignPartsReport, WeaponForeignParts
from provenance.reports.manufacturers import ManufacturersReport, ManufacturerTable
from provenance.reports.sources import SourceRow, SourcesReport
from provenance.reports.timeline import LAG_METHOD, ControlsRow, TimelineReport
from provenance.values import hs


def _reference_lines(references: Sequence[ReferenceRow]) -> list[str]:
    return [f"Reference data: {r.kind}: {r.citation}." for r in references]


#: Why a foreign share is n/a.
NO_KNOWN_ORIGIN = "foreign share: no part's origin is known on this basis"
NO_KNOWN_PRODUCER = (
    "foreign share: the weapon system's producer country is not known, so no part is foreign "
    "or domestic"
)


def foreign_share(w: WeaponTotals | WeaponForeignParts) -> Share | NotApplicable:
    """A weapon system's foreign share, n/a when no part's origin is known (0% would say that
    none is foreign)."""
    share = w.foreign_share  # None: no part is foreign or domestic (reports.core.ForeignShare)
    if share is None:
        return NotApplicable(NO_KNOWN_PRODUCER if w.unknown_producer_parts else NO_KNOWN_ORIGIN)
    return Share(share)


def _long_countries(report: CountriesReport) -> DocTable:
    """The matrix of parts by origin, one row per weapon system and origin."""
    grouped = report.group is not None
    header = ["weapon system", "origin", "parts", "share"] + (["countries"] if grouped else [])
    rows: list[list[Any]] = []
    weapons: list[str | None] = [w.designation for w in report.weapons]
    if len(report.weapons) > 1:
        weapons.append(None)
    for weapon in weapons:
        cells = [
            (r, r.total if weapon is None else r.parts_by_weapon.get(weapon, 0))
            for r in report.rows
        ]
        # Each weapon system's origins largest first, unknown origin last.
        cells.sort(key=lambda c: (c[0].key is None, -c[1], c[0].label))
        rows += [
            [weapon or "All weapon systems", r.label, n, Share(report.share(r, weapon))]
            + ([Names(r.countries)] if grouped else [])
            for r, n in cells
            if n
        ]
    return DocTable("Parts by origin", header, rows)


# The researcher's reports -----------------------------------------------------------------------


def countries_document(report: CountriesReport, sources: SourcesReport | None = None) -> Document:
    single = len(report.weapons) == 1
    grouped = report.group is not None
    header = ["origin"] + (["countries"] if grouped else [])
    for w in report.weapons:
        header += (
            ["parts", "share"] if single else [f"{w.designation} parts", f"{w.designation} share"]
        )
    if not single:
        header += ["all parts", "all share"]
    rows: list[list[Any]] = []
    for r in report.rows:
        line: list[Any] = [r.label] + ([Names(r.countries)] if grouped else [])
        for w in report.weapons:
            line += [r.parts_by_weapon.get(w.designation, 0), Share(report.share(r, w.designation))]
        if not single:
            line += [r.total, Share(report.share(r, None))]
        rows.append(line)
    total: list[Any] = ["Total"] + ([""] if grouped else [])
    for w in report.weapons:
        total += [w.parts, share(w.parts, w.parts, "share: no parts")]
    if not single:
        total += [report.total.parts, share(report.total.parts, report.total.parts, "no parts")]
    rows.append(total)
    summary = [
        [
            w.designation,
            w.producer,
            w.parts,
            w.foreign_parts,
            foreign_share(w),
            w.domestic_parts,
            w.unknown_origin_parts,
        ]
        for w in [*report.weapons, report.total]
    ]
    lines = report.scope.lines()
    if report.group is not None:
        lines.append(
            f"Grouped by country group {report.group.code} ({report.group.name}): members on "
            f"{report.group_on}."
        )
    lines.append(
        "Shares are of each weapon system's parts; a part is foreign when its origin differs "
        "from the weapon system's producer country."
    )
    lines += _reference_lines(report.references)
    title = "Origin countries of parts per weapon system"
    if report.scope.weapon:
        title = f"Origin countries of the parts of the {report.scope.weapon}"
    if report.group is not None:
        title += f", by country group ({report.group.code})"
    return Document(
        "countries",
        title,
        lines,
        [
            DocTable(
                "Parts by origin", header, rows, total_rows=1, long_form=_long_countries(report)
            ),
            DocTable(
                "Foreign, domestic and unknown origin per weapon system",
                [
                    "weapon system",
                    "producer",
                    "parts",
                    "foreign",
                    "foreign share",
                    "domestic",
                    "unknown origin",
                ],
                summary,
                total_rows=1,
            ),
        ],
        report.scope,
        sources,
    )


def _manufacturer_table(
    report: ManufacturersReport, t: ManufacturerTable, shown: bool = True
) -> DocTable:
    made_in = report.scope.basis is Basis.MADE_IN
    header = [
        "rank",
        "manufacturer",
        "headquarters",
        "includes" if report.roll_up is RollUp.PARENT else "parent",
        "parts",
        "components",
        "weapon systems",
        "first made",
        "last made",
    ]
    if made_in:
        header.append("made in (parts)")
    screened = any(r.sanctions_matches for r in t.rows)
    if screened:  # only when a person confirmed one: the table is as before otherwise
        header.append("confirmed on a sanctions list")
    rows: list[list[Any]] = []
    for r in t.rows:
        line: list[Any] = [
            r.rank,
            r.name,
            r.country,
            Names(r.includes) if report.roll_up is RollUp.PARENT else r.parent,
            r.parts,
            r.components,
            Names(r.weapon_systems),
            r.first_made,
            r.last_made,
        ]
        if made_in:
            line.append(Names(f"{c} {n}" for c, n in r.made_in))
        if screened:
            line.append(Names(r.sanctions_matches))
        rows.append(line)
    extra = 0
    if t.other_parts or t.other_components:
        others = t.manufacturers - len(t.rows)
        rows.append(
            ["", f"{others} other manufacturers", "", None, t.other_parts, t.other_components]
            + [None] * (len(header) - 6)
        )
        extra = 1
    if t.unidentified_parts or t.unidentified_components:
        rows.append(
            [
                "",
                UNKNOWN_MANUFACTURER,
                "",
                None,
                t.unidentified_parts,
                t.unidentified_components,
            ]
            + [None] * (len(header) - 6)
        )
        extra += 1
    rows.append(["", "Total", "", None, t.parts, t.components] + [None] * (len(header) - 6))
    name = f"Top manufacturers: {t.weapon}" if t.weapon else "Top manufacturers: all weapon systems"
    return DocTable(name, header, rows, total_rows=1 + extra, text=shown)


def manufacturers_document(
    report: ManufacturersReport, sources: SourcesReport | None = None, per_weapon: bool = False
) -> Document:
    """The ranked table of the manufacturers; one table per weapon system too, shown with
    ``per_weapon`` or when several weapon systems were asked for (JSON and xlsx always hold
    them)."""
    lines = report.scope.lines()
    lines.append(
        f"The {report.top} manufacturers with the most parts"
        + (
            ", each counted under its topmost parent company."
            if report.roll_up is RollUp.PARENT
            else "."
        )
        + " First and last made: the manufacture dates seen, as precisely as they are known."
    )
    tables = [_manufacturer_table(report, report.overall)]
    if len(report.per_weapon) > 1:
        show = per_weapon or len(report.scope.weapons) > 1
        tables += [_manufacturer_table(report, t, show) for t in report.per_weapon]
        if not show:
            lines.append(
                f"One table per weapon system ({len(report.per_weapon)}): not shown here "
                "(--per-weapon, or --weapon NAME given several times, shows them; JSON and xlsx "
                "hold them)."
            )
        elif report.top_per_weapon != report.top:
            lines.append(f"Each weapon system's table lists its top {report.top_per_weapon}.")
    title = "Manufacturers of the parts"
    if report.scope.weapon:
        title = f"Manufacturers of the parts of the {report.scope.weapon}"
    return Document("manufacturers", title, lines, tables, report.scope, sources)


def _category_label(category: str) -> str:
    return f"tier {category}" if category in chpl.TIERS or "." in category else category


def chpl_document(report: ChplReport, sources: SourcesReport | None = None) -> Document:
    v = report.version
    header = (
        ["weapon system", "parts"]
        + [_category_label(c) for c in report.categories]
        + [
            "foreign parts",
            "foreign on the list",
            "share of foreign parts",
            "share of foreign parts with an HS-6 code",
        ]
    )
    rows = [
        [w.designation, w.parts]
        + [w.by_category.get(c, 0) for c in report.categories]
        + [
            w.foreign_parts,
            w.foreign_listed,
            share(w.foreign_listed, w.foreign_parts, "share of foreign parts: no foreign parts"),
            share(
                w.foreign_listed,
                w.foreign_coded,
                "share with an HS-6 code: no foreign part has an HS-6 code",
            ),
        ]
        for w in [*report.weapons, report.total]
    ]
    codes = [
        [
            c.weapon,
            hs.format_hs6(c.hs6),
            f"tier {c.tier}" if c.tier else NOT_LISTED,
            c.components,
            c.parts,
            c.foreign_parts,
        ]
        for c in report.codes
    ]
    lines = report.scope.lines()
    lines += [
        f"List: Common High Priority List version {v.version}, published on "
        f"{v.published_on} by {v.publisher} ({v.codes} HS-6 codes).",
        "A part's tier is the tier of its HS-6 code (the first six digits of its HS code) on "
        "that list. Parts without an HS code, or with one of fewer than six digits, are counted "
        "in their own columns and as not listed in the shares.",
        "An HS code on the list is a lead for export-control review, not a legal classification.",
    ]
    title = "Parts on the Common High Priority List"
    if report.scope.weapon:
        title = f"Parts of the {report.scope.weapon} on the Common High Priority List"
    return Document(
        "chpl",
        title,
        lines,
        [
            DocTable("Parts per CHPL tier", header, rows, total_rows=1),
            DocTable(
                "Parts by HS code",
                ["weapon system", "HS code", "tier", "components", "parts", "foreign parts"],
                codes,
            ),
        ],
        report.scope,
        sources,
    )


def _after_share(c: ControlsRow) -> Share | NotApplicable:
    """The share of parts made after the controls; n/a when no part can be placed before or
    after them (0% would say that none was made after)."""
    if c.after + c.before + c.undetermined == 0:
        return NotApplicable(
            "share made after: no part has both a manufacture date and an origin country "
            "with a controls date"
        )
    return Share(c.after / c.parts)


def _long_timeline(report: TimelineReport) -> DocTable:
    """Parts by manufacture period, one row per weapon system and period."""
    weapons: list[str | None] = list(report.weapons)
    if len(weapons) > 1:
        weapons.append(None)
    rows = [
        [w or "All weapon systems", b.label, b.total if w is None else b.parts_by_weapon[w]]
        for w in weapons
        for b in report.buckets
        if (b.total if w is None else b.parts_by_weapon.get(w, 0))
    ]
    return DocTable(
        f"Parts by manufacture {report.period.value}",
        ["weapon system", report.period.value, "parts"],
        rows,
    )


def timeline_document(report: TimelineReport, sources: SourcesReport | None = None) -> Document:
    # Long only because its three tables' columns are spelled out one per line.
    weapons = report.weapons
    single = len(weapons) == 1
    header = [report.period.value] + (["parts"] if single else [*weapons, "all"])
    rows: list[list[Any]] = []
    for b in report.buckets:
        cells = [b.parts_by_weapon.get(w, 0) for w in weapons]
        rows.append([b.label, *cells] if single else [b.label, *cells, b.total])
    totals = [sum(b.parts_by_weapon.get(w, 0) for b in report.buckets) for w in weapons]
    rows.append(["Total", *totals] if single else ["Total", *totals, sum(totals)])
    controls = [
        [
            c.designation,
            c.parts,
            c.after,
            _after_share(c),
            c.before,
            c.undetermined,
            c.no_date,
            c.no_controls,
            c.unknown_origin,
        ]
        for c in report.controls
    ]
    lag = [
        [
            r.designation,
            r.parts,
            r.median,
            r.q1,
            r.q3,
            r.minimum,
            r.maximum,
            r.year_only,
            r.missing,
            r.negative,
        ]
        for r in report.lag
    ]
    dates = ", ".join(d.isoformat() for d in report.controls_dates) or "none recorded"
    lines = report.scope.lines()
    lines += [
        f"Export controls: the day each origin country's controls took effect, from the country "
        f"group {report.controls_group.code} ({report.controls_group.name}); dates: {dates}.",
        "Made after the controls: the manufacture period starts on or after that day; before: "
        "the whole period ends before it; undetermined: the period (e.g. a year) contains it.",
        f"Lag from manufacture to recovery, in days: {LAG_METHOD}.",
    ]
    lines += _reference_lines(report.references)
    title = f"Manufacture dates of the parts, by {report.period.value}"
    if report.scope.weapon:
        title = f"Manufacture dates of the parts of the {report.scope.weapon}"
    return Document(
        "timeline",
        title,
        lines,
        [
            DocTable(
                f"Parts by manufacture {report.period.value}",
                header,
                rows,
                total_rows=1,
                long_form=_long_timeline(report),
            ),
            DocTable(
                "Made after the export controls of the origin country",
                [
                    "weapon system",
                    "parts",
                    "made after",
                    "share made after",
                    "made before",
                    "undetermined",
                    "no manufacture date",
                    "origin without controls",
                    "unknown origin",
                ],
                controls,
                total_rows=1,
            ),
            DocTable(
                "Days from manufacture to recovery",
                [
                    "weapon system",
                    "parts",
                    "median",
                    "first quartile",
                    "third quartile",
                    "min",
                    "max",
                    "left out: year only",
                    "left out: a date missing",
                    "recovered before made",
                ],
                lag,
                total_rows=1,
            ),
        ],
        report.scope,
        sources,
    )


def _ranked_sources(name: str, found: Sequence[SourceRow], top: int | None) -> list[DocTable]:
    """The sources, largest first; with ``top``, the text shows the first ``top`` and sums the
    others in one row, and the data keeps them all."""
    rows = source_rows(found)
    if top is None or len(rows) <= top:
        return [DocTable(name, SOURCE_HEADER, rows)]
    rest = found[top:]
    others = [
        f"{len(rest)} other sources",
        "",
        "",
        None,
        None,
        sum(s.components for s in rest),
        sum(s.parts for s in rest),
    ]
    return [
        DocTable(
            name,
            SOURCE_HEADER,
            [*rows[:top], others],
            total_rows=1,
            data=False,
            note=f"The {top} sources with the most parts; CSV, JSON and xlsx list all {len(rows)}.",
        ),
        DocTable(name, SOURCE_HEADER, rows, text=False),
    ]


def sources_document(report: SourcesReport, top: int | None = None) -> Document:
    """The sources, ranked by parts (in the text the first ``top``), then the reference data;
    the sources per weapon system when the report has them (``per_weapon``)."""
    lines = report.scope.lines()
    lines.append(
        f"Components without any source: {report.components_without_source} "
        "(every finding should cite one)."
    )
    title = "Sources behind the figures"
    if report.scope.weapon:
        title = f"Sources behind the figures for the {report.scope.weapon}"
    tables = sources_tables(report)
    main = tables[0]
    ranked = _ranked_sources(main.name, report.sources, top)
    for table in ranked:
        table.note = " ".join(filter(None, [main.note, table.note]))
    tables = ranked + tables[1:]
    for w in report.by_weapon:
        tables += _ranked_sources(f"Sources: {w.weapon}", w.sources, top)
    return Document("sources", title, lines, tables, report.scope)


# The foreign-origin report and the component listing -------------------------------------------

#: The columns of each weapon system's table of origins.
ORIGIN_HEADER = ["country", "parts", "share", "foreign", "manufacturers"]
#: The columns of the foreign-origin report's CSV: one row per weapon system and origin.
FOREIGN_PARTS_COLUMNS = [
    "basis",
    "weapon_system",
    "producer_country",
    "sources",
    "origin_country_code",
    "origin_country",
    "foreign",
    "parts",
    "share",
    "manufacturers",
]
#: The columns of the component listing.
COMPONENT_COLUMNS = [
    "weapon_system",
    "specimen",
    "component",
    "part_number",
    "manufacturer",
    "manufacturer_country",
    "made_in",
    "manufactured",
    "quantity",
    "authenticity",
    "sources",
]


def _foreign_pct(w: WeaponForeignParts) -> str:
    fs = foreign_share(w)
    if isinstance(fs, Share):
        return f"{100 * fs:.1f}%"
    return "share n/a: " + fs.reason.removeprefix("foreign share: ")


def _foreign_parts_json(report: ForeignPartsReport) -> dict[str, Any]:
    weapons = []
    for w in report.weapons:
        item = dataclasses.asdict(w)
        fs = foreign_share(w)
        # null, with the reason, when no part's origin is known (0.0 would say none is foreign)
        item["foreign_share"] = round(fs, 6) if isinstance(fs, Share) else None
        item["foreign_share_note"] = fs.reason if isinstance(fs, NotApplicable) else None
        for origin in item["origins"]:
            origin["share"] = round(origin["share"], 6)
        weapons.append(item)
    return {
        "report": "foreign-parts",
        "basis": report.basis.value,
        "roll_up": report.roll_up.value,
        "source_count": report.sources,
        "counterfeit_excluded": report.counterfeit_excluded,
        "weapons": weapons,
    }


def _weapon_lead(w: WeaponForeignParts) -> str:
    """One weapon system's figures in a sentence."""
    sources = f"reported by {w.sources} source{'s' if w.sources != 1 else ''}."
    if w.producer_code is None:
        return (
            f"{w.parts} parts; the producer country is not known, so none is foreign or "
            f"domestic ({w.unknown_producer_parts} of known origin, {w.unknown_origin_parts} "
            f"of unknown origin); {sources}"
        )
    return (
        f"{w.parts} parts, {w.foreign_parts} foreign ({_foreign_pct(w)}), "
        f"{w.domestic_parts} domestic, {w.unknown_origin_parts} of unknown origin; {sources}"
    )


def _origin_table(w: WeaponForeignParts) -> DocTable:
    """One weapon system's origins, led by its figures in a sentence."""
    return DocTable(
        f"{w.designation} (producer: {w.producer})",
        ORIGIN_HEADER,
        [
            [
                o.country,
                o.parts,
                Share(o.share),
                {True: "yes", False: "no", None: "?"}[o.foreign],
                CommaNames(o.manufacturers),
            ]
            for o in w.origins
        ],
        lead=[_weapon_lead(w)],
        widths=[None] * 4 + [60],
    )


def _flat_origins(report: ForeignPartsReport) -> DocTable:
    """A row per weapon system and origin: the report's CSV."""
    basis = report.basis.value
    if report.roll_up is not RollUp.NONE:
        basis += f", roll-up: {report.roll_up.value}"
    rows = [
        [
            basis,
            w.designation,
            w.producer,
            w.sources,
            o.country_code or "",
            o.country,
            {True: "yes", False: "no", None: "unknown"}[o.foreign],
            o.parts,
            Decimal(f"{o.share:.4f}"),
            "; ".join(o.manufacturers),
        ]
        for w in report.weapons
        for o in w.origins
    ]
    return DocTable("Parts by origin", FOREIGN_PARTS_COLUMNS, rows)


def _weapon_figures(report: ForeignPartsReport) -> DocTable:
    """A row per weapon system: its parts, foreign, domestic and unknown, and sources."""
    header = [
        "weapon system",
        "producer",
        "parts",
        "foreign",
        "foreign share",
        "domestic",
        "unknown origin",
        "sources",
    ]
    rows = [
        [
            w.designation,
            w.producer,
            w.parts,
            w.foreign_parts,
            foreign_share(w),
            w.domestic_parts,
            w.unknown_origin_parts,
            w.sources,
        ]
        for w in report.weapons
    ]
    return DocTable("Weapon systems", header, rows)


def foreign_parts_document(report: ForeignPartsReport) -> Document:
    """The foreign-origin report: one table of origins per weapon system, led by its figures.

    In CSV one flat table, a row per weapon system and origin country; in xlsx that table and
    the figures per weapon system.
    """
    header = [f"Basis: {report.basis.description}."]
    if report.roll_up is not RollUp.NONE:
        header.append(f"Roll-up: {report.roll_up.description}.")
    asked = weapon_names(report.weapon)
    if asked:
        which = "weapon systems" if len(asked) > 1 else "weapon system"
        header.append(f"Filter: {which} {', '.join(asked)}.")
    if report.counterfeit_excluded is not None:
        header.append(
            f"Excluded: {report.counterfeit_excluded} counterfeit parts (the claim reports use: "
            "the most reliable source's, then the latest)."
        )
    if not report.weapons:
        header.append("No components recorded for the weapon systems asked for.")
    header.append(
        coverage_line(len(report.weapons), sum(w.parts for w in report.weapons), report.sources)
    )
    return Document(
        "foreign-parts",
        "Foreign-origin parts per weapon system",
        header,
        [_origin_table(w) for w in report.weapons],
        layout=Layout.PLAIN,
        data_tables=[_flat_origins(report), _weapon_figures(report)],
        data=functools.partial(_foreign_parts_json, report),
    )


def components_document(rows: Sequence[ComponentRow]) -> Document:
    """The component listing: one table, without title or header (a listing to read or to pipe
    into other tools). Each source's own record id of a part is shown when any source gives one;
    the CSV and xlsx always carry the record ids and addresses."""
    cells = [
        [
            r.weapon_system,
            r.specimen,
            r.component,
            r.part_number or "",
            r.manufacturer,
            r.manufacturer_country or "",
            r.made_in or "",
            r.manufactured,
            r.quantity,
            r.authenticity,
            "; ".join(r.sources),
        ]
        for r in rows
    ]
    records = ["; ".join(x for x in r.source_record_ids if x) for r in rows]
    pages = ["; ".join(x for x in r.source_record_urls if x) for r in rows]
    data = [
        [*c, ids, urls, r.standing, r.component_id]
        for c, ids, urls, r in zip(cells, records, pages, rows, strict=True)
    ]
    header, widths = COMPONENT_COLUMNS, [None] * 10 + [50]
    shown = cells
    if any(records):
        header = [*COMPONENT_COLUMNS, "records"]
        widths = [*widths, 30]
        shown = [[*c, ids] for c, ids in zip(cells, records, strict=True)]
    return Document(
        "components",
        "",
        [],
        [DocTable("", header, shown, widths=widths)],
        layout=Layout.PLAIN,
        data_tables=[
            DocTable(
                "Components",
                [
                    *COMPONENT_COLUMNS,
                    "source_record_ids",
                    "source_record_urls",
                    "standing",
                    "component_id",
                ],
                data,
            )
        ],
        data=lambda: {"report": "components", "components": [dataclasses.asdict(r) for r in rows]},
    )
