"""The dossier's screening section: the weapon system's manufacturers, and the parties on its
parts' chains, that a person confirmed as an entity of a sanctions list (``provenance screen
review --accept``), with the list, its datasets and the decision; and how many candidates are
still open."""

from __future__ import annotations

import html
from dataclasses import dataclass

from sqlalchemy import Connection, func, or_, select, union

from provenance.models import (
    Component,
    Manufacturer,
    Party,
    ScreeningCandidate,
    ScreeningDecision,
    ScreeningEntity,
    ScreeningList,
    Specimen,
    Transfer,
)
from provenance.reports.parties import transfer_applies


@dataclass(frozen=True)
class Hit:
    manufacturer: str  # the confirmed name: a manufacturer's, or a party's (``kind``)
    entity_name: str
    entity_key: str
    datasets: str | None
    sanctions: str | None
    list_file: str | None
    decided_by: str | None
    note: str | None
    kind: str = "manufacturer"  # or "party"


@dataclass(frozen=True)
class ScreeningSection:
    hits: list[Hit]
    open_candidates: int

    @property
    def empty(self) -> bool:
        return not self.hits and not self.open_candidates


def collect(conn: Connection, weapon_id: int) -> ScreeningSection:
    makers = (
        select(Component.manufacturer_id)
        .join(Specimen, Specimen.id == Component.specimen_id)
        .where(Specimen.weapon_system_id == weapon_id, Component.manufacturer_id.is_not(None))
        .distinct()
    )
    on_chain = (
        select(Transfer.from_party_id, Transfer.to_party_id)
        .select_from(Component)
        .join(Specimen, Specimen.id == Component.specimen_id)
        .join(Transfer, transfer_applies())
        .where(Specimen.weapon_system_id == weapon_id)
        .subquery()
    )
    parties = union(select(on_chain.c.from_party_id), select(on_chain.c.to_party_id))
    c, e = ScreeningCandidate, ScreeningEntity
    ours = or_(c.manufacturer_id.in_(makers), c.party_id.in_(parties))
    name = func.coalesce(Manufacturer.name, Party.name)
    rows = conn.execute(
        select(
            name, c.entity_name, c.entity_key, e.datasets, e.sanctions,
            ScreeningList.file_name, c.decided_by, c.note, c.party_id.is_not(None),
        )
        .outerjoin(Manufacturer, Manufacturer.id == c.manufacturer_id)
        .outerjoin(Party, Party.id == c.party_id)
        .outerjoin(e, (e.list_id == c.list_id) & (e.entity_id == c.entity_key))
        .outerjoin(ScreeningList, ScreeningList.id == c.list_id)
        .where(ours, c.decision == ScreeningDecision.ACCEPTED)
        .order_by(c.party_id.is_not(None), name, c.entity_key, func.coalesce(c.party_id, 0))
    ).all()  # fmt: skip
    still_open = conn.execute(
        select(func.count()).select_from(c).where(ours, c.decision.is_(None))
    ).scalar_one()
    hits = [Hit(*r[:8], kind="party" if r[8] else "manufacturer") for r in rows]
    return ScreeningSection(hits, int(still_open))


def _lines(section: ScreeningSection) -> list[str]:
    lines = []
    for h in section.hits:
        who = h.manufacturer if h.kind == "manufacturer" else f"{h.manufacturer} (party)"
        text = f"{who}: confirmed as {h.entity_name} ({h.entity_key})"
        if h.datasets:
            text += f" on {h.datasets.replace(';', ', ')}"
        if h.sanctions:
            text += f"; sanctions: {h.sanctions}"
        text += f"; list {h.list_file or '?'}; decided by {h.decided_by or '?'}"
        if h.note:
            text += f" ({h.note})"
        lines.append(text)
    if not section.hits:
        lines.append(
            "No manufacturer or party of this weapon system is confirmed on a loaded list."
        )
    if section.open_candidates:
        lines.append(
            f"{section.open_candidates} candidate match(es) await a decision "
            "(`provenance screen review`)."
        )
    return lines


def to_html(section: ScreeningSection) -> str:
    e = html.escape
    items = "".join(f"<li>{e(line)}</li>" for line in _lines(section))
    return (
        '<section class="report" id="report-screening">\n<h2>Sanctions screening</h2>\n'
        '<p class="note">Manufacturers and parties of the chains a person confirmed as entities '
        f"of the sanctions lists loaded (`provenance screen`).</p>\n<ul>{items}</ul>\n</section>"
    )


def to_markdown(section: ScreeningSection) -> str:
    return "## Sanctions screening\n\n" + "".join(f"- {x}\n" for x in _lines(section))
