"""``provenance serve``: Datasette on a read-only copy, set up for researchers.

The server runs as a researcher starts it (``provenance serve``, in a child process, on a free
port of 127.0.0.1); the pages' figures are checked against the library's reports. Headless
Chromium (Debian's package, as in tests/test_dossier.py) opens the home page, a report's canned
query with a weapon filter, and a component's page, and saves screenshots (to
$PROVENANCE_SCREENSHOTS when set, else the test's temporary folder). The browser part is
skipped without /usr/bin/chromium, and fails then when $PROVENANCE_REQUIRE_CHROMIUM is set.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from provenance.bi import datasette_site
from provenance.cli.serve import serve
from provenance.migrate import sqlite_file
from provenance.reports.core import Filters
from provenance.reports.foreign_parts import foreign_parts
from provenance.reports.manufacturers import manufacturers
from provenance.reports.sources import sources
from tests.analysis_data import load_sample
from tests.test_dossier import CHROMIUM, _chromium

pytest.importorskip("datasette")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        return str(response.read().decode("utf-8"))


@pytest.fixture
def server(engine: Engine, tmp_path: Path) -> Iterator[str]:
    """The base URL of `provenance serve` on the sample findings (stopped afterwards)."""
    load_sample(engine, tmp_path)
    port = _free_port()
    url = engine.url.render_as_string(hide_password=False)
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from provenance.cli.main import main; main()",
            "serve",
            "--db",
            url,
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _get(base + "/-/versions.json")
                break
            except (urllib.error.URLError, ConnectionError):
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    output = process.communicate()[0]
                    pytest.fail(f"provenance serve did not start:\n{output}")
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _cells(page: str, column: str) -> list[str]:
    found = re.findall(rf'<td class="col-{re.escape(column)}(?: [^"]*)?">(.*?)</td>', page, re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in found]


def test_serve_listens_on_this_machine_only_by_default() -> None:
    host = next(p for p in serve.params if p.name == "host")
    assert host.default == "127.0.0.1" == datasette_site.DEFAULT_HOST


def test_the_home_page_leads_with_the_reports_and_views(server: str) -> None:
    page = _get(server + "/")
    reports = page.index('<h2 id="reports">Reports</h2>')
    views = page.index('<h2 id="views">Views</h2>')
    tables = page.index("<details>")
    assert reports < views < tables
    for query in datasette_site.QUERIES:
        assert f"/{query.name}" in page[reports:views] and html.escape(query.title) in page
    assert "/v_foreign_share_by_weapon" in page[views:tables]
    assert "`" not in page[reports:tables]  # plain text, no Markdown marks
    assert "Conflict Armament Research" in page  # the about text names the sources


def test_a_report_with_a_weapon_filter_shows_the_library_figures(
    server: str, engine: Engine
) -> None:
    page = _get(server + "/" + _database(engine) + "/origins?weapon=kn-23&basis=manufacturer")
    with engine.connect() as conn:
        [kn23] = foreign_parts(conn, "KN-23").weapons
    shown = list(
        zip(
            _cells(page, "origin_country"),
            _cells(page, "parts"),
            _cells(page, "share"),
            strict=True,
        )
    )
    assert shown == [(o.country, str(o.parts), f"{100 * o.share:.1f}%") for o in kn23.origins]
    assert set(_cells(page, "weapon_system")) == {"KN-23"}
    # Two clicks from the home page: the foreign shares, then the weapon system's link.
    shares = _get(server + "/" + _database(engine) + "/foreign_share")
    assert '/origins?weapon=KN-23&amp;basis=manufacturer">KN-23</a>' in shares
    row = _cells(shares, "weapon_system").index("KN-23")
    assert kn23.foreign_share is not None
    assert _cells(shares, "foreign_share")[row] == f"{100 * kn23.foreign_share:.1f}%"


def test_every_report_query_runs_with_a_weapon_filter(server: str, engine: Engine) -> None:
    base = server + "/" + _database(engine)

    def rows(query: str, **params: str) -> list[dict[str, object]]:
        args = "&".join(f"{k}={v}" for k, v in {**params, "_shape": "array"}.items())
        found = json.loads(_get(f"{base}/{query}.json?{args}"))
        assert isinstance(found, list)
        return found

    for query in datasette_site.QUERIES:
        assert rows(query.name, weapon="kn-23"), query.name
    with engine.connect() as conn:
        cited = sources(conn, Filters(weapon="KN-23"))
        makers = manufacturers(conn, Filters(weapon="KN-23"), top=3)
    assert [(r["publisher"], r["title"], r["parts"]) for r in rows("sources", weapon="KN-23")] == [
        (s.publisher, s.title, s.parts) for s in cited.sources
    ]
    assert [
        (r["manufacturer"], r["parts"]) for r in rows("manufacturers", weapon="KN-23", top="3")
    ] == [(m.name, m.parts) for m in makers.overall.rows]


def test_shares_render_as_percentages_and_a_share_of_no_known_origin_as_na() -> None:
    from provenance.bi.datasette_plugin import render_cell

    known = {"parts": 4, "unknown_origin_parts": 1, "foreign_share": 0.5}
    unknown = {"parts": 4, "unknown_origin_parts": 4, "foreign_share": 0.0}
    assert render_cell(known, 0.5, "foreign_share", "v_foreign_share_by_weapon", "db", None) == (
        "50.0%"
    )
    assert render_cell(unknown, 0.0, "foreign_share", "v_foreign_share_by_weapon", "db", None) == (
        "n/a (no part's origin is known)"
    )
    assert render_cell({}, 0.25, "share", "v_foreign_parts_by_weapon", "db", None) == "25.0%"
    assert render_cell({}, 3, "parts", "v_foreign_parts_by_weapon", "db", None) is None


def test_components_and_makers_can_be_searched_and_the_copy_is_read_only(
    server: str, engine: Engine
) -> None:
    database = _database(engine)
    page = _get(server + f"/{database}/v_components?_search=XP")
    assert set(_cells(page, "manufacturer")) == {"XP Power"}
    makers = _get(server + f"/{database}/v_manufacturers?_search=maxim")
    assert _cells(makers, "manufacturer") == ["Maxim Integrated"]
    # Datasette opened the copy immutable: a writing statement is refused.
    with pytest.raises(urllib.error.HTTPError):
        _get(server + f"/{database}.json?sql=DELETE+FROM+components")
    path = sqlite_file(engine)
    if path is not None:
        assert not (path.parent / "components_fts").exists()


def _database(engine: Engine) -> str:
    path = sqlite_file(engine)
    return path.stem if path is not None else "provenance"


def test_the_pages_open_in_a_headless_browser(server: str, engine: Engine, tmp_path: Path) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the browser part runs once, on SQLite")
    if CHROMIUM is None:
        if os.environ.get("PROVENANCE_REQUIRE_CHROMIUM"):
            pytest.fail("PROVENANCE_REQUIRE_CHROMIUM is set but /usr/bin/chromium is missing")
        pytest.skip("Chromium is not installed (.ci/run installs it)")
    database = _database(engine)
    with engine.connect() as conn:
        [kn23] = foreign_parts(conn, "KN-23").weapons
    first = kn23.origins[0]
    pages = {
        "serve-home": "/",
        "serve-kn23-origins": f"/{database}/origins?weapon=KN-23&basis=manufacturer",
        "serve-component": f"/{database}/v_components?component_id=1",
    }
    folder = Path(os.environ.get("PROVENANCE_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    dom = _chromium(tmp_path, "--dump-dom", server + pages["serve-kn23-origins"], allow="127.0.0.1")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert first.country in dom.stdout and f"{100 * first.share:.1f}%" in dom.stdout
    for name, path in pages.items():
        shot = tmp_path / f"{name}.png"
        (tmp_path / name).mkdir()  # a profile of its own: no hand-over to a closing browser
        result = _chromium(
            tmp_path / name,
            f"--screenshot={shot}",
            "--window-size=1400,1000",
            server + path,
            allow="127.0.0.1",
        )
        assert result.returncode == 0, result.stderr[-2000:]
        assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 10_000
        if folder != tmp_path:
            shutil.copy(shot, folder / shot.name)
