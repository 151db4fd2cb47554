"""A chain written out: plain text, Markdown, JSON (``Chain.as_dict``) or a Graphviz DOT graph;
SVG through Graphviz's ``dot`` program when it is installed (``picture`` gives the text when not).

A component's accepted customs links are steps among its transfers, by date (a transfer before a
customs record of the same day); its proposed links are only counted.

The DOT graph has one node per party (and one per component, its weapon system and specimen in
its label) and one edge per step, dashed and red when the step is disputed, blue for a customs
record.
"""

from __future__ import annotations

import datetime as dt
import html
import shutil
import subprocess
from dataclasses import dataclass

from provenance.chain.customs import CustomsStep
from provenance.chain.read import Chain, ComponentChain, Step
from provenance.chain.trace import TraceRow
from provenance.errors import ChainError


def _party(name: str | None, role: str | None) -> str:
    shown = name or "(unknown)"
    return f"{shown} ({role})" if role else shown


def _document(step: Step) -> str:
    parts = [p for p in (step.document_kind, step.document_ref) if p]
    return " ".join(parts)


def timeline(c: ComponentChain) -> list[Step | CustomsStep]:
    """A component's transfers and accepted customs records in one order: by date (unknown
    last), a transfer before a customs record of the same day; otherwise each in the order it
    was read in (a stable sort)."""

    def key(item: Step | CustomsStep) -> tuple[bool, dt.date, int]:
        day = item.on if isinstance(item, Step) else item.shipped_on
        return (day is None, day or dt.date.min, 0 if isinstance(item, Step) else 1)

    return sorted([*c.steps, *c.customs], key=key)


def _trader(name: str | None, role: str) -> str:
    return f"{name or '(unknown)'} ({role})"


def _customs_document(s: CustomsStep) -> str:
    """The record: its own id (else the shipment's), HS code, countries of origin and dispatch."""
    if s.record_id:
        bits = [f"customs record {s.record_id} (shipment {s.shipment_id})"]
    else:
        bits = [f"customs shipment {s.shipment_id} (no record id)"]
    if s.hs_code:
        bits.append(f"HS {s.hs_code}")
    bits.append(f"origin {s.origin or 'unknown'}")
    bits.append(f"dispatch {s.dispatch or 'unknown'}")
    return ", ".join(bits)


def _customs_source(s: CustomsStep) -> str:
    by = f", accepted by {s.accepted_by}" if s.accepted_by else ""
    return f"{s.file} row {s.source_row}{by}"


def _customs_cells(s: CustomsStep) -> list[str]:
    """A customs record as the cells of a steps table (step, date, from, to, document, source,
    disputed)."""
    return [
        f"customs link {s.link_id}",
        s.date,
        _trader(s.exporter, "exporter"),
        _trader(s.importer, "importer"),
        _customs_document(s),
        _customs_source(s),
        "",
    ]


def customs_line(s: CustomsStep) -> str:
    """One accepted customs record in one line, like a step."""
    return "  ".join(
        [
            f"[customs link {s.link_id}]",
            s.date or "date unknown",
            f"{_trader(s.exporter, 'exporter')} -> {_trader(s.importer, 'importer')}",
            _customs_document(s),
            f"file: {_customs_source(s)}",
        ]
    )


def _proposed(c: ComponentChain) -> str | None:
    if not c.customs_proposed:
        return None
    n = c.customs_proposed
    return f"customs: {n} proposed link{'s' if n != 1 else ''}, not reviewed (customs review)"


def step_line(step: Step) -> str:
    """One step in one line: when, who to whom, where, the document, the source, the dispute."""
    where = ", ".join(p for p in (step.place, step.country) if p)
    bits = [
        f"[{step.id}]",
        step.date or "date unknown",
        f"{_party(step.from_party, step.from_role)} -> {_party(step.to_party, step.to_role)}",
    ]
    if step.scope != "component":
        bits.append(f"({step.scope_text})")
    if where:
        bits.append(f"at {where}")
    if _document(step):
        bits.append(f"doc: {_document(step)}")
    bits.append(f"source: {step.source}")
    if step.disputed:
        bits.append("DISPUTED by " + ", ".join(f"[{i}]" for i in step.disputed_by))
    return "  ".join(bits)


def _heading(c: ComponentChain) -> str:
    maker = c.manufacturer or "manufacturer unknown"
    if c.manufacturer_country:
        maker += f" ({c.manufacturer_country})"
    part = f" {c.part_number}" if c.part_number else ""
    found = ", ".join(p for p in (c.recovered_on, c.recovered_at) if p)
    found = f" recovered {found}" if found else ""
    return (
        f"{c.weapon_system} / specimen {c.specimen}{found} / component {c.component_id}: "
        f"{c.function}{part} / made by {maker}"
    )


def _trace_line(t: TraceRow) -> str:
    answered = f", answered {t.answered_on}" if t.answered_on else ""
    late = " (late)" if t.late and t.answered_on else ""
    return (
        f"trace request {t.id} to {t.recipient}: sent {t.sent_on}, due {t.due_on}"
        f"{answered}{late}: {t.status}"
    )


def sanctions_lines(chain: Chain) -> list[str]:
    """A line per party of the chain confirmed as an entity of a sanctions list."""
    return [
        f"{party}: confirmed on a sanctions list as {'; '.join(entities)}"
        for party, entities in chain.sanctions_matches.items()
    ]


def to_text(chain: Chain) -> str:
    lines = [chain.title, ""]
    if not chain.components:
        lines.append("No steps recorded.")
    for c in chain.components:
        lines.append(_heading(c))
        lines += [
            f"  {step_line(s) if isinstance(s, Step) else customs_line(s)}" for s in timeline(c)
        ] or ["  no steps recorded"]
        lines += [f"  {_trace_line(t)}" for t in c.trace_requests]
        proposed = _proposed(c)
        if proposed:
            lines.append(f"  {proposed}")
        lines.append("")
    lines += sanctions_lines(chain)
    return "\n".join(lines).rstrip() + "\n"


def _md(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def _cells(item: Step | CustomsStep) -> list[str]:
    """A step (a transfer or a customs record) as the cells of a steps table."""
    if isinstance(item, CustomsStep):
        return _customs_cells(item)
    return [
        str(item.id),
        item.date,
        _party(item.from_party, item.from_role),
        _party(item.to_party, item.to_role),
        _document(item),
        item.source,
        ", ".join(str(i) for i in item.disputed_by),
    ]


def to_markdown(chain: Chain, level: int = 1) -> str:
    """The chain as Markdown: its title at heading ``level``, a table of steps per component."""
    lines = [f"{'#' * level} {chain.title}", ""]
    for c in chain.components:
        lines += [f"{'#' * (level + 1)} {_md(_heading(c))}", ""]
        lines += [
            "| step | date | from | to | document | source | disputed |",
            "|---|---|---|---|---|---|---|",
        ]
        for item in timeline(c):
            lines.append("| " + " | ".join(_md(x) for x in _cells(item)) + " |")
        notes = [_trace_line(t) for t in c.trace_requests] + [p for p in [_proposed(c)] if p]
        if notes:
            lines.append("")
            lines += [f"- {_md(n)}" for n in notes]
        lines.append("")
    lines += [f"- **{_md(line)}**" for line in sanctions_lines(chain)]
    return "\n".join(lines).rstrip() + "\n"


def to_html(chain: Chain) -> str:
    """The chain as a section of the dossier (escaped HTML): per component, a table of steps."""
    e = html.escape
    out = ['<section class="report" id="report-chain">', f"<h2>{e(chain.title)}</h2>"]
    out.append(
        '<p class="note">Each step as its source tells it; steps that sources tell differently '
        "are both shown, marked disputed. A customs record is a step once a person has accepted "
        "its link to the part (customs link N); links not reviewed are only counted.</p>"
    )
    for c in chain.components:
        out.append(f"<h3>{e(_heading(c))}</h3>")
        out.append("<table><thead><tr>")
        out += [f"<th>{h}</th>" for h in ("step", "date", "from", "to", "document", "source")]
        out.append("<th>disputed</th></tr></thead><tbody>")
        for item in timeline(c):
            out.append("<tr>" + "".join(f"<td>{e(x)}</td>" for x in _cells(item)) + "</tr>")
        out.append("</tbody></table>")
        notes = [_trace_line(t) for t in c.trace_requests] + [p for p in [_proposed(c)] if p]
        if notes:
            out.append("<ul>" + "".join(f"<li>{e(n)}</li>" for n in notes) + "</ul>")
    hits = sanctions_lines(chain)
    if hits:
        out.append('<ul class="sanctions">' + "".join(f"<li>{e(h)}</li>" for h in hits) + "</ul>")
    out.append("</section>")
    return "\n".join(out)


def _quote(text: str) -> str:
    """A DOT string: backslashes and quotes escaped, a newline a line break of the label."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _edge(item: Step | CustomsStep) -> str:
    """A step as a DOT edge from seller to buyer (exporter to importer)."""
    if isinstance(item, CustomsStep):
        ends = f"{_quote(item.exporter or '(unknown)')} -> {_quote(item.importer or '(unknown)')}"
        what = f"customs record {item.record_id}" if item.record_id else "customs"
        hs = f"HS {item.hs_code}" if item.hs_code else ""
        label = " ".join(p for p in (item.date, what, hs) if p)
        return f"{ends} [label={_quote(label)}, color=blue]"
    style = ", style=dashed, color=red" if item.disputed else ""
    edge = _quote(" ".join(p for p in (item.date, _document(item)) if p))
    return (
        f"{_quote(item.from_party or '(unknown)')} -> {_quote(item.to_party)} [label={edge}{style}]"
    )


def to_dot(chain: Chain) -> str:
    lines = ["digraph chain {", "  rankdir=LR;", f"  label={_quote(chain.title)};"]
    for c in chain.components:
        node = f"component{c.component_id}"
        what = c.part_number or c.function
        label = f"{c.weapon_system} {c.specimen}\ncomponent {c.component_id}: {what}"
        lines.append(f"  {node} [shape=box, label={_quote(label)}];")
        shown = timeline(c)
        for item in shown:
            lines.append(f"  {_edge(item)};")
        if shown and c.manufacturer:
            first = shown[0]
            seller = first.from_party if isinstance(first, Step) else first.exporter
            lines.append(f"  {node} -> {_quote(seller or '(unknown)')} [style=dotted];")
    lines.append("}")
    return "\n".join(lines) + "\n"


#: What ``picture`` says when it gives the text for want of Graphviz.
NO_GRAPHVIZ = (
    "Graphviz's `dot` program is not installed (not on PATH): the chain as text instead of SVG; "
    "install Graphviz (Debian: apt-get install graphviz) or use --format dot"
)


def graphviz() -> str | None:
    """Graphviz's ``dot`` program on PATH, or None."""
    return shutil.which("dot")


@dataclass(frozen=True)
class Picture:
    """The chain drawn: SVG when Graphviz is installed, else the text (``svg`` False)."""

    svg: bool
    content: bytes


def picture(chain: Chain) -> Picture:
    """The chain as SVG when Graphviz's ``dot`` is installed, else as text (``NO_GRAPHVIZ``)."""
    if graphviz() is None:
        return Picture(False, to_text(chain).encode("utf-8"))
    return Picture(True, to_svg(chain))


def to_svg(chain: Chain) -> bytes:
    """The DOT graph drawn by Graphviz; ChainError when ``dot`` is not installed."""
    program = graphviz()
    if program is None:
        raise ChainError(
            "Graphviz's `dot` program is not installed: use --format dot and draw it elsewhere, "
            "or install Graphviz"
        )
    done = subprocess.run(  # a fixed program found on PATH, the graph on stdin
        [program, "-Tsvg"],
        input=to_dot(chain).encode(),
        capture_output=True,
        check=False,
        timeout=60,
    )
    if done.returncode != 0:
        raise ChainError(f"dot failed: {done.stderr.decode(errors='replace')[:500]}")
    return done.stdout
