"""A dossier for one weapon system: every report and chart in one self-contained HTML page (CSS
inline, charts embedded as SVG data URIs: nothing is fetched from the network to view or print
it), and the same content as Markdown with the charts as PNG files beside it.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, select

from provenance import __version__
from provenance.chain import render as chain_render
from provenance.chain.read import chain_of_weapon
from provenance.errors import DossierError
from provenance.evidence.store import Store
from provenance.models import Country, WeaponSystem, WeaponSystemAlias
from provenance.publish import (
    charts,
    documents,
    evidence_section,
    report_documents,
    screening_section,
)
from provenance.reports.chpl import ChplReport, chpl_report
from provenance.reports.core import UNKNOWN_PRODUCER, Filters, resolve_weapon
from provenance.reports.countries import CountriesReport, countries
from provenance.reports.manufacturers import ManufacturersReport, manufacturers
from provenance.reports.sources import SourcesReport, sources
from provenance.reports.timeline import Period, TimelineReport, timeline

_CSS = """
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #1a1a1a;
       max-width: 72rem; margin: 2rem auto; padding: 0 1.5rem; line-height: 1.45; }
h1 { font-size: 1.8rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.35rem; border-bottom: 2px solid #444; padding-bottom: 0.2rem;
     margin-top: 2.5rem; }
h3 { font-size: 1.05rem; margin-top: 1.5rem; }
ul.header { color: #333; font-size: 0.9rem; padding-left: 1.2rem; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #bbb; padding: 0.2rem 0.5rem; vertical-align: top; text-align: left; }
th { background: #eee; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: bold; background: #f6f6f6; }
figure { margin: 1rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-size: 0.8rem; color: #555; }
p.note, p.meta { font-size: 0.85rem; color: #444; }
@media print {
  body { margin: 0; max-width: none; }
  section.report { break-before: page; }
  table, figure { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""


@dataclass
class Dossier:
    weapon: str
    html: Path
    markdown: Path
    charts: list[Path] = field(default_factory=list)
    #: The evidence photos' thumbnails, beside the Markdown.
    thumbnails: list[Path] = field(default_factory=list)


def slug(text: str) -> str:
    """A file-name-safe form of a designation: ``KN-23`` -> ``kn-23``."""
    cleaned = re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")
    return cleaned or "weapon"


@dataclass
class _Weapon:
    designation: str
    category: str | None
    producer: str
    aliases: list[str]
    description: str | None


def _weapon(conn: Connection, name: str) -> _Weapon:
    ws_id = resolve_weapon(conn, name)
    designation, category, producer, description = conn.execute(
        select(
            WeaponSystem.designation,
            WeaponSystem.category,
            Country.display_name,
            WeaponSystem.description,
        )
        .outerjoin(Country, Country.code == WeaponSystem.producer_country_code)
        .where(WeaponSystem.id == ws_id)
    ).one()
    producer = producer or UNKNOWN_PRODUCER
    aliases = list(
        conn.scalars(
            select(WeaponSystemAlias.alias)
            .where(WeaponSystemAlias.weapon_system_id == ws_id)
            .order_by(WeaponSystemAlias.alias)
        )
    )
    return _Weapon(designation, category, producer, aliases, description)


# Long on purpose: the dossier's sections in the order the page shows them, one after another.
def build(
    conn: Connection,
    filters: Filters,
    out_dir: Path,
    chpl_version: str | None = None,
    period: Period = Period.YEAR,
    top: int = 10,
    group: str = "coalition",
    store: Store | None = None,
) -> Dossier:
    """Write ``<weapon>.html``, ``<weapon>.md`` and the charts (``<weapon>-*.png``) to
    ``out_dir`` for the weapon system of ``filters`` (which must name one); with the evidence
    ``store``, the photos of its parts as thumbnails."""
    if not isinstance(filters.weapon, str):
        raise DossierError("a dossier is about one weapon system: give --weapon NAME (once)")
    weapon = _weapon(conn, filters.weapon)
    weapon_id = resolve_weapon(conn, filters.weapon)
    proof = evidence_section.collect(conn, weapon_id, store)
    screened = screening_section.collect(conn, weapon_id)
    src = sources(conn, filters)
    reports: list[
        tuple[
            str,
            CountriesReport | ManufacturersReport | ChplReport | TimelineReport | SourcesReport,
            documents.Document,
        ]
    ] = []
    by_country = countries(conn, filters)
    reports.append(("countries", by_country, report_documents.countries_document(by_country)))
    grouped = countries(conn, filters, group=group)
    reports.append(("groups", grouped, report_documents.countries_document(grouped)))
    makers = manufacturers(conn, filters, top=top)
    reports.append(("manufacturers", makers, report_documents.manufacturers_document(makers)))
    listed = chpl_report(conn, filters, version=chpl_version)
    reports.append(("chpl", listed, report_documents.chpl_document(listed)))
    times = timeline(conn, filters, period=period)
    reports.append(("timeline", times, report_documents.timeline_document(times)))
    # The sources section lists all reference data; each chart's caption only its report's.
    references = [*grouped.references, *listed.references, *times.references]
    everything = dataclasses.replace(src, references=list(dict.fromkeys(references)))
    reports.append(("sources", everything, report_documents.sources_document(everything)))

    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DossierError(f"cannot create {out_dir}: {exc.strerror or exc}") from None
    name = slug(weapon.designation)
    generated = dt.date.today().isoformat()
    chart_files: list[Path] = []
    html_sections: list[str] = []
    md_sections: list[str] = []
    for key, report, doc in reports:
        png = out_dir / f"{name}-{key}.png"
        png.write_bytes(charts.chart_bytes(report, "png", src))
        chart_files.append(png)
        svg = charts.chart_bytes(report, "svg", src)
        uri = "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
        alt = f"Chart: {doc.title}"
        html_sections.append(documents.to_html(doc, level=2, charts=[(uri, alt)]))
        md = documents.to_text(doc, markdown=True, level=2)
        head, _, rest = md.partition("\n")
        md_sections.append(f"{head}\n\n![{alt}]({png.name})\n{rest}")
    if not screened.empty:
        html_sections.append(screening_section.to_html(screened))
        md_sections.append(screening_section.to_markdown(screened))
    chain = chain_of_weapon(conn, weapon.designation)
    if chain.components:  # the supply chain, when any part of the weapon has a step
        html_sections.append(chain_render.to_html(chain))
        md_sections.append(chain_render.to_markdown(chain, level=2).rstrip())
    if not proof.empty:
        html_sections.append(evidence_section.to_html(proof))
        md, thumbnails = evidence_section.to_markdown(proof, out_dir, name)
        md_sections.append(md)
    else:
        thumbnails = []

    title = f"{weapon.designation}: foreign components, export-control lists and sources"
    intro = [
        f"Weapon system: {weapon.designation}"
        + (f" ({', '.join(weapon.aliases)})" if weapon.aliases else "")
        + f"; producer country: {weapon.producer}"
        + (f"; category: {weapon.category}" if weapon.category else "")
        + ".",
    ]
    if weapon.description:
        intro.append(weapon.description)
    intro.append(
        f"Figures count parts (the sum of the components' quantities); "
        f"{filters.basis.description}. Every figure rests on the sources listed at the end."
    )
    intro.append(f"Generated on {generated} by provenance {__version__}.")
    e = html.escape
    page = "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{e(title)}</title>",
            f"<style>{_CSS}{evidence_section.CSS}</style>",
            "</head>",
            "<body>",
            "<header>",
            f"<h1>{e(title)}</h1>",
            *[f'<p class="meta">{e(line)}</p>' for line in intro],
            "</header>",
            "<main>",
            *html_sections,
            "</main>",
            "</body>",
            "</html>",
        ]
    )
    html_path = out_dir / f"{name}.html"
    html_path.write_text(page + "\n", encoding="utf-8")
    md_path = out_dir / f"{name}.md"
    md_path.write_text(
        f"# {title}\n\n" + "\n\n".join(intro) + "\n\n" + "\n\n".join(md_sections),
        encoding="utf-8",
    )
    return Dossier(weapon.designation, html_path, md_path, chart_files, thumbnails)
