"""A chain written out: plain text, Markdown, JSON (``Chain.as_dict``) or a Graphviz DOT graph;
SVG through Graphviz's ``dot`` program when it is installed (``svg`` says clearly when not).

The DOT graph has one node per party (and one per component, its weapon system and specimen in
its label) and one edge per step, dashed and red when the step is disputed.
"""

from __future__ import annotations

import html
import shutil
import subprocess

from provenance.chain.read import Chain, ComponentChain, Step
from provenance.chain.trace import TraceRow
from provenance.errors import ChainError


def _party(name: str | None, role: str | None) -> str:
    shown = name or "(unknown)"
    return f"{shown} ({role})" if role else shown


def _document(step: Step) -> str:
    parts = [p for p in (step.document_kind, step.document_ref) if p]
    return " ".join(parts)


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


def to_text(chain: Chain) -> str:
    lines = [chain.title, ""]
    if not chain.components:
        lines.append("No steps recorded.")
    for c in chain.components:
        lines.append(_heading(c))
        lines += [f"  {step_line(s)}" for s in c.steps] or ["  no steps recorded"]
        lines += [f"  {_trace_line(t)}" for t in c.trace_requests]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _md(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def to_markdown(chain: Chain, level: int = 1) -> str:
    """The chain as Markdown: its title at heading ``level``, a table of steps per component."""
    lines = [f"{'#' * level} {chain.title}", ""]
    for c in chain.components:
        lines += [f"{'#' * (level + 1)} {_md(_heading(c))}", ""]
        lines += [
            "| step | date | from | to | document | source | disputed |",
            "|---|---|---|---|---|---|---|",
        ]
        for s in c.steps:
            disputed = ", ".join(str(i) for i in s.disputed_by) if s.disputed else ""
            cells = [
                str(s.id),
                s.date,
                _party(s.from_party, s.from_role),
                _party(s.to_party, s.to_role),
                _document(s),
                s.source,
                disputed,
            ]
            lines.append("| " + " | ".join(_md(x) for x in cells) + " |")
        if c.trace_requests:
            lines.append("")
            lines += [f"- {_md(_trace_line(t))}" for t in c.trace_requests]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def to_html(chain: Chain) -> str:
    """The chain as a section of the dossier (escaped HTML): per component, a table of steps."""
    e = html.escape
    out = ['<section class="report" id="report-chain">', f"<h2>{e(chain.title)}</h2>"]
    out.append(
        '<p class="note">Each step as its source tells it; steps that sources tell differently '
        "are both shown, marked disputed.</p>"
    )
    for c in chain.components:
        out.append(f"<h3>{e(_heading(c))}</h3>")
        out.append("<table><thead><tr>")
        out += [f"<th>{h}</th>" for h in ("step", "date", "from", "to", "document", "source")]
        out.append("<th>disputed</th></tr></thead><tbody>")
        for s in c.steps:
            disputed = ", ".join(str(i) for i in s.disputed_by)
            cells = [str(s.id), s.date, _party(s.from_party, s.from_role)]
            cells += [_party(s.to_party, s.to_role), _document(s), s.source, disputed]
            out.append("<tr>" + "".join(f"<td>{e(x)}</td>" for x in cells) + "</tr>")
        out.append("</tbody></table>")
        if c.trace_requests:
            out.append("<ul>" + "".join(f"<li>{e(_trace_line(t))}</li>" for t in c.trace_requests))
            out.append("</ul>")
    out.append("</section>")
    return "\n".join(out)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def to_dot(chain: Chain) -> str:
    lines = ["digraph chain {", "  rankdir=LR;", f"  label={_quote(chain.title)};"]
    for c in chain.components:
        node = f"component{c.component_id}"
        what = c.part_number or c.function
        label = f"{c.weapon_system} {c.specimen}\\ncomponent {c.component_id}: {what}"
        lines.append(f"  {node} [shape=box, label={_quote(label)}];")
        for s in c.steps:
            seller = _quote(s.from_party or "(unknown)")
            style = ", style=dashed, color=red" if s.disputed else ""
            edge = _quote(" ".join(p for p in (s.date, _document(s)) if p))
            lines.append(f"  {seller} -> {_quote(s.to_party)} [label={edge}{style}];")
        if c.steps and c.manufacturer:
            first = c.steps[0].from_party or "(unknown)"
            lines.append(f"  {node} -> {_quote(first)} [style=dotted];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_svg(chain: Chain) -> bytes:
    """The DOT graph drawn by Graphviz; ChainError when ``dot`` is not installed."""
    program = shutil.which("dot")
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
