"""The Datasette plugin of ``provenance serve`` (registered by :func:`serve`, for that server
only): shares shown as percentages, weapon systems linked to their parts by origin, and the
home page's lists of reports and views (template ``datasette_templates/index.html``).

Datasette itself is an optional extra (``pip install 'provenance[datasette]'``); this module is
imported only to serve.
"""

from __future__ import annotations

import html
import sys
import urllib.parse
from pathlib import Path
from typing import Any

import uvicorn
from datasette import hookimpl
from datasette.app import Datasette
from datasette.plugins import pm
from markupsafe import Markup

from provenance.bi.datasette_site import QUERIES, Site, plain
from provenance.views import VIEWS

#: Datasette's own templates, with the home page replaced.
TEMPLATES = Path(__file__).parent / "datasette_templates"


def is_share(column: str) -> bool:
    return column == "share" or column.endswith("_share")


def percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def _render_cell(
    row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any
) -> Markup | str | None:
    """Shares (fractions) as percentages; a weapon system in a canned query links to its
    parts by origin country."""
    keys = list(row.keys()) if hasattr(row, "keys") else []
    if is_share(column) and isinstance(value, float):
        counted = {"parts", "unknown_origin_parts"} <= set(keys)
        if counted and row["parts"] == row["unknown_origin_parts"]:  # the view's 0.0
            return "n/a (no part's origin is known)"
        return percent(value)
    if column == "weapon_system" and table is None and isinstance(value, str):
        basis = row["basis"] if "basis" in keys else "manufacturer"
        query = urllib.parse.urlencode({"weapon": value, "basis": basis})
        url = datasette.urls.database(database) + f"/origins?{query}"
        return Markup(f'<a href="{html.escape(url)}">{html.escape(value)}</a>')
    return None


def _extra_template_vars(template: str, datasette: Any) -> dict[str, Any]:
    """The home page's lists: the reports (canned queries), the views, then the tables."""
    if template != "index.html":
        return {}
    databases = list(datasette.databases)
    name = next((d for d in databases if d != "_internal"), "")
    base = datasette.urls.database(name)
    view_names = {v.name for v in VIEWS}
    return {
        "provenance_reports": [
            {"title": q.title, "description": q.description, "url": f"{base}/{q.name}"}
            for q in QUERIES
        ],
        "provenance_views": [
            {"name": v.name, "description": plain(v.description), "url": f"{base}/{v.name}"}
            for v in VIEWS
        ],
        "provenance_database_url": base,
        "provenance_hidden": view_names,
    }


# Datasette's hooks (``hookimpl`` is untyped: applied by assignment rather than as decorators).
render_cell = hookimpl(_render_cell, specname="render_cell")
extra_template_vars = hookimpl(_extra_template_vars, specname="extra_template_vars")


def datasette_app(site: Site) -> Datasette:
    """A Datasette for the served copy: immutable (read-only), our metadata, home page and
    plugin."""
    plugin = sys.modules[__name__]
    if not pm.is_registered(plugin):
        pm.register(plugin, name="provenance")
    return Datasette(
        immutables=[str(site.path)],
        metadata=site.metadata,
        template_dir=str(TEMPLATES),
        settings={"sql_time_limit_ms": 5000, "facet_time_limit_ms": 1000},
    )


def serve(site: Site, host: str, port: int) -> None:
    """Run Datasette on ``host``:``port`` until interrupted."""
    app = datasette_app(site)
    uvicorn.run(app.app(), host=host, port=port, log_level="warning", lifespan="on")
