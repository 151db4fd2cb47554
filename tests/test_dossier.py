"""The dossier: one self-contained HTML page and the same content as Markdown, for one weapon.

The browser test runs Debian's Chromium headless on the page (``.ci/run`` installs it); it is
skipped when /usr/bin/chromium is missing (and fails then when $PROVENANCE_REQUIRE_CHROMIUM
is set, as in CI).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import Engine

from provenance.errors import DossierError
from provenance.publish import dossier
from provenance.reports.core import Filters
from tests.analysis_data import load_sample

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
# Loading anything from outside the page (scripts, style sheets, images, fonts, frames).
EXTERNAL = re.compile(
    r"<(script|link|img|iframe|source|embed|object|video|audio)\b[^>]*\b(src|href|data)\s*=\s*"
    r"[\"']?(?!data:)[a-z]+:",
    re.IGNORECASE,
)


@pytest.fixture
def built(engine: Engine, tmp_path: Path) -> dossier.Dossier:
    load_sample(engine, tmp_path)
    with engine.connect() as conn:
        return dossier.build(conn, Filters(weapon="kn-23"), tmp_path / "out")


def test_dossier_files(built: dossier.Dossier) -> None:
    assert built.weapon == "KN-23"
    assert built.html.name == "kn-23.html" and built.markdown.name == "kn-23.md"
    page = built.html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<title>KN-23: foreign components, export-control lists and sources</title>" in page
    for title in (
        "Origin countries of the parts of the KN-23",
        "Manufacturers of the parts of the KN-23",
        "Parts of the KN-23 on the Common High Priority List",
        "Manufacture dates of the parts of the KN-23",
        "Sources behind the figures for the KN-23",
    ):
        assert title in page
    assert page.count('<img src="data:image/svg+xml;base64,') == 6
    # Self-contained: nothing to fetch, no scripts at all.
    assert not EXTERNAL.search(page)
    assert "<script" not in page.lower() and "@import" not in page and "url(" not in page
    assert "Conflict Armament Research" in page
    assert "US Department of Commerce, Bureau of Industry and Security" in page

    markdown = built.markdown.read_text(encoding="utf-8")
    assert markdown.startswith("# KN-23: foreign components")
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown)
    assert len(images) == 6
    for image in images:
        assert (built.markdown.parent / image).read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in built.charts) == sorted(images)
    assert "| Total " in markdown


def test_dossier_needs_a_weapon(engine: Engine, tmp_path: Path) -> None:
    with engine.connect() as conn, pytest.raises(DossierError, match="--weapon"):
        dossier.build(conn, Filters(), tmp_path)


def test_slug() -> None:
    assert dossier.slug("KN-23") == "kn-23"
    assert dossier.slug("170 mm self-propelled gun") == "170-mm-self-propelled-gun"
    assert dossier.slug("///") == "weapon"


def _chromium(
    tmp_path: Path, *args: str, allow: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Headless Chromium; no host resolves (no network), but ``allow`` (e.g. 127.0.0.1)."""
    assert CHROMIUM is not None
    rules = "MAP * ~NOTFOUND" + (f", EXCLUDE {allow}" if allow else "")
    profile = tmp_path / "chromium-profile"
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--host-resolver-rules={rules}",  # no network, should the page ask for it
            "--enable-logging=stderr",
            "--v=0",
            f"--user-data-dir={profile}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_dossier_opens_in_a_headless_browser(built: dossier.Dossier, tmp_path: Path) -> None:
    if CHROMIUM is None:
        if os.environ.get("PROVENANCE_REQUIRE_CHROMIUM"):
            pytest.fail("PROVENANCE_REQUIRE_CHROMIUM is set but /usr/bin/chromium is missing")
        pytest.skip("Chromium is not installed (.ci/run installs it)")
    url = built.html.resolve().as_uri()
    result = _chromium(tmp_path, "--dump-dom", url)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "<h1>KN-23: foreign components" in result.stdout
    assert "Conflict Armament Research" in result.stdout
    # Page errors show in the log as console messages or failed loads; browser chatter about
    # D-Bus and the like does not concern the page.
    page_errors = [
        line
        for line in result.stderr.splitlines()
        if re.search(r"CONSOLE|Uncaught|net::ERR_|Failed to load|Not allowed to load", line)
    ]
    assert page_errors == []

    shot = tmp_path / "dossier.png"
    result = _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,1600", url)
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.read_bytes().startswith(b"\x89PNG")
    assert shot.stat().st_size > 20_000  # a page with charts, not a blank one


def test_html_escapes_text_and_links_only_source_addresses() -> None:
    from provenance.publish import documents as publish
    from provenance.reports.core import Basis, DateField, Scope

    scope = Scope(None, Basis.MANUFACTURER, DateField.MANUFACTURED, None, None, 0, 0, 0, 0, 0)
    doc = publish.Document(
        "sources",
        "A <b>title</b>",
        ["header & <script>alert(1)</script>"],
        [
            publish.DocTable(
                "Sources",
                ["publisher", "url"],
                [["<img src=x onerror=alert(1)>", "https://example.org/report?a=1&b=2"]],
            )
        ],
        scope,
    )
    page = publish.to_html(doc)
    assert "<script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<a href="https://example.org/report?a=1&amp;b=2">' in page
    assert not EXTERNAL.search(page)


MAGENTA = (255, 0, 255)


@pytest.fixture
def with_evidence(engine: Engine, tmp_path: Path) -> dossier.Dossier:
    """The sample with a photo (all magenta, EXIF camera "TestCam X1") of one KN-23 part, a
    document of the specimen, and a photo whose stored bytes were altered afterwards."""
    from PIL import Image
    from sqlalchemy import select

    from provenance.evidence.records import add_evidence
    from provenance.evidence.store import Store
    from provenance.models import Component, Specimen, WeaponSystem

    load_sample(engine, tmp_path)
    with engine.connect() as conn:
        part, specimen = conn.execute(
            select(Component.id, Specimen.label)
            .join(Specimen, Specimen.id == Component.specimen_id)
            .join(WeaponSystem, WeaponSystem.id == Specimen.weapon_system_id)
            .where(WeaponSystem.designation == "KN-23")
            .order_by(Component.id)
            .limit(1)
        ).one()
    store = Store(tmp_path / "store")
    photo, other, pdf = tmp_path / "magenta.jpg", tmp_path / "other.png", tmp_path / "memo.pdf"
    exif = Image.Exif()
    exif[271], exif[272] = "TestCam", "X1"
    Image.new("RGB", (800, 600), MAGENTA).save(photo, exif=exif, quality=95)
    Image.new("RGB", (40, 40), (0, 128, 0)).save(other)
    pdf.write_bytes(b"%PDF-1.4\n% memo\n")
    add_evidence(engine, store, [photo, other], component_id=part, caption="top marking")
    add_evidence(engine, store, [pdf], specimen=specimen)
    altered = store.path_for(hashlib.sha256(other.read_bytes()).hexdigest())
    altered.chmod(0o644)
    altered.write_bytes(altered.read_bytes() + b"x")
    with engine.connect() as conn:
        return dossier.build(conn, Filters(weapon="kn-23"), tmp_path / "out", store=store)


def test_dossier_shows_the_photos_as_thumbnails(with_evidence: dossier.Dossier) -> None:
    page = with_evidence.html.read_text(encoding="utf-8")
    assert '<section class="report" id="report-evidence">' in page
    # One thumbnail: the altered photo is not shown, and said to be altered; the PDF is listed.
    assert page.count('<img src="data:image/jpeg;base64,') == 1
    assert "stored bytes intact" in page
    assert '<figcaption class="altered">' in page and "stored bytes altered" in page
    assert "memo.pdf (application/pdf, 16 bytes)" in page
    assert "top marking" in page
    assert not EXTERNAL.search(page)
    markdown = with_evidence.markdown.read_text(encoding="utf-8")
    assert "## Evidence" in markdown
    (thumb,) = with_evidence.thumbnails
    assert f"]({thumb.name})" in markdown and thumb.read_bytes()[:3] == b"\xff\xd8\xff"


def test_the_browser_shows_the_thumbnail(with_evidence: dossier.Dossier, tmp_path: Path) -> None:
    if CHROMIUM is None:
        if os.environ.get("PROVENANCE_REQUIRE_CHROMIUM"):
            pytest.fail("PROVENANCE_REQUIRE_CHROMIUM is set but /usr/bin/chromium is missing")
        pytest.skip("Chromium is not installed (.ci/run installs it)")
    from PIL import Image

    # A page of only the evidence section, so that a screenshot of one screen holds it.
    page = with_evidence.html.read_text(encoding="utf-8")
    start = page.index('<section class="report" id="report-evidence">')
    end = page.index("</section>", start) + len("</section>")
    head = page[: page.index("<main>")]
    only = tmp_path / "evidence.html"
    only.write_text(head + "<main>" + page[start:end] + "</main></body></html>", encoding="utf-8")
    shot = tmp_path / "evidence.png"
    result = _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,1200", only.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    with Image.open(shot) as img:
        colours: list[tuple[int, tuple[int, int, int]]] = img.convert("RGB").getcolors(
            maxcolors=1 << 24
        )  # type: ignore[assignment]
        magenta = sum(n for n, (r, g, b) in colours if r > 230 and g < 40 and b > 230)
    # The thumbnail is 15rem wide (240 px) and 180 px high: tens of thousands of magenta pixels.
    assert magenta > 20_000, magenta


def test_dossier_marks_the_confirmed_screening_hits(engine: Engine, tmp_path: Path) -> None:
    from provenance.ingest.screening import load_list
    from provenance.ingest.screening_run import candidates, review, run_screening
    from provenance.models import ScreeningDecision

    load_sample(engine, tmp_path)
    targets = tmp_path / "targets.simple.csv"
    targets.write_text(
        "id,schema,name,countries,sanctions,dataset\n"
        "NK-xp,Company,XP POWER LIMITED,gb,Test programme,Test List\n"
        "NK-adi,Company,ANALOG DEVICES,us,,Test List\n",
        encoding="utf-8",
    )
    load_list(engine, targets)
    run_screening(engine)
    with engine.connect() as conn:
        found = {c.manufacturer: c.candidate_id for c in candidates(conn)}
    assert set(found) == {"XP Power", "Analog Devices"}
    review(engine, found["XP Power"], ScreeningDecision.ACCEPTED, "Analyst", "same address")
    with engine.connect() as conn:
        built = dossier.build(conn, Filters(weapon="kn-23"), tmp_path / "out")
    page = built.html.read_text(encoding="utf-8")
    assert '<section class="report" id="report-screening">' in page
    assert (
        "XP Power: confirmed as XP POWER LIMITED (NK-xp) on Test List; sanctions: Test programme;"
        " list targets.simple.csv; decided by Analyst (same address)"
    ) in page
    assert "1 candidate match(es) await a decision" in page  # Analog Devices, still open
    markdown = built.markdown.read_text(encoding="utf-8")
    assert "## Sanctions screening\n\n- XP Power: confirmed as XP POWER LIMITED" in markdown
