"""The dossier's evidence section: each photo as a thumbnail (made with Pillow, embedded as a
data URI so that the page stays self-contained), each document by name, with its hash, what it
shows, its chain of custody in brief and whether its stored bytes still match their hash when
the page is made; then the remote references sources gave (listed, never fetched).
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, select

from provenance.evidence.custody import EvidenceRow, evidence_rows
from provenance.evidence.files import sha256_of, thumbnail
from provenance.evidence.store import Store
from provenance.models import Citation, Component, Specimen

CSS = """
div.evidence { display: flex; flex-wrap: wrap; gap: 1rem; }
figure.evidence { width: 15rem; margin: 0; font-size: 0.8rem; }
figure.evidence img { width: 100%; height: auto; border: 1px solid #999; }
figure.evidence figcaption { overflow-wrap: anywhere; }
p.altered { color: #a00; font-weight: bold; }
"""


@dataclass(frozen=True)
class Item:
    row: EvidenceRow
    state: str  # "intact", "altered", "missing" or "no store"
    thumbnail: bytes | None


@dataclass(frozen=True)
class EvidenceSection:
    items: list[Item]
    remote: list[tuple[str, str, str]]  # (specimen, part, URL)

    @property
    def empty(self) -> bool:
        return not self.items and not self.remote


def collect(conn: Connection, weapon_id: int, store: Store | None) -> EvidenceSection:
    """The weapon system's evidence, each stored file checked against its hash."""
    items = []
    for r in evidence_rows(conn, weapon_ids=[weapon_id]):
        state, thumb = "no store", None
        if store is not None:
            path = store.path_for(r.sha256)
            if not path.is_file():
                state = "missing"
            elif sha256_of(path) != r.sha256:
                state = "altered"
            else:
                state = "intact"
                if r.media_type.startswith("image/"):
                    thumb = thumbnail(path)
        items.append(Item(r, state, thumb))
    remote = conn.execute(
        select(Specimen.label, Component.function, Citation.evidence_url)
        .join(Component, Component.id == Citation.component_id)
        .join(Specimen, Specimen.id == Component.specimen_id)
        .where(Specimen.weapon_system_id == weapon_id, Citation.evidence_url.is_not(None))
        .distinct()
        .order_by(Specimen.label, Component.function, Citation.evidence_url)
    ).all()
    return EvidenceSection(items, [(str(a), str(b), str(c)) for a, b, c in remote])


def _what(r: EvidenceRow) -> str:
    shows = f"component {r.component_id}: {r.part}" if r.component_id else "the specimen"
    return f"{r.specimen}, {shows}"


def _facts(item: Item) -> list[str]:
    r = item.row
    lines = [_what(r)]
    if r.caption:
        lines.append(r.caption)
    taken = ", ".join(x for x in (r.taken_at, r.camera, r.taken_by and f"by {r.taken_by}") if x)
    if taken:
        lines.append(f"taken {taken}")
    lines.append(f"{r.original_name} ({r.media_type}, {r.size_bytes:,} bytes)")
    lines.append(f"SHA-256 {r.sha256}")
    lines.append(f"{r.custody_events} custody event(s); stored bytes {item.state}")
    return lines


def to_html(section: EvidenceSection) -> str:
    e = html.escape
    out = ['<section class="report" id="report-evidence">', "<h2>Evidence</h2>"]
    out.append(
        '<p class="note">The photos and documents behind the findings, kept by their content; '
        "each file's hash was checked again when this page was made.</p>"
    )
    if section.items:
        out.append('<div class="evidence">')
        for item in section.items:
            facts = _facts(item)
            out.append('<figure class="evidence">')
            if item.thumbnail is not None:
                uri = "data:image/jpeg;base64," + base64.b64encode(item.thumbnail).decode("ascii")
                out.append(f'<img src="{uri}" alt="{e(facts[0])}">')
            cls = ' class="altered"' if item.state in ("altered", "missing") else ""
            out.append(
                f"<figcaption{cls}>" + "<br>".join(e(line) for line in facts) + "</figcaption>"
            )
            out.append("</figure>")
        out.append("</div>")
    if section.remote:
        out.append("<h3>Photos the sources publish (recorded, not fetched)</h3><ul>")
        out += [f"<li>{e(s)}, {e(p)}: {e(u)}</li>" for s, p, u in section.remote]
        out.append("</ul>")
    out.append("</section>")
    return "\n".join(out)


def to_markdown(section: EvidenceSection, out_dir: Path, name: str) -> tuple[str, list[Path]]:
    """The section as Markdown; the thumbnails are written beside it as
    ``<name>-evidence-<hash>.jpg``."""
    lines = ["## Evidence", ""]
    written: list[Path] = []
    for item in section.items:
        facts = _facts(item)
        if item.thumbnail is not None:
            path = out_dir / f"{name}-evidence-{item.row.sha256[:16]}.jpg"
            if path not in written:  # one file however many parts the photo shows
                path.write_bytes(item.thumbnail)
                written.append(path)
            lines.append(f"![{facts[0]}]({path.name})")
            lines.append("")
        lines += [f"- {line}" for line in facts]
        lines.append("")
    if section.remote:
        lines.append("Photos the sources publish (recorded, not fetched):")
        lines.append("")
        lines += [f"- {s}, {p}: <{u}>" for s, p, u in section.remote]
    return "\n".join(lines) + "\n", written
