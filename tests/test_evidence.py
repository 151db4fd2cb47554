"""Evidence files (issue 15): stored by content, deduplicated, EXIF read, all or nothing, the
chain of custody append-only, verification naming missing and altered files."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError

from provenance.cli.main import cli
from provenance.db import make_engine
from provenance.errors import EvidenceError
from provenance.evidence import files
from provenance.evidence.custody import custody_event, evidence_detail, evidence_rows, verify
from provenance.evidence.records import add_evidence
from provenance.evidence.store import Store, store_for
from provenance.ingest.loader import load_files
from provenance.limits import Limits
from provenance.models import Component, CustodyEvent
from provenance.reference import manufacturers
from tests.helpers import count, dump, row, write_csv


def jpeg(path: Path, *, gps: bool = True, size: tuple[int, int] = (640, 480)) -> Path:
    """A JPEG with EXIF: taken 2024-05-01 10:21:05 on a Canon EOS 90D at 50.45 N, 30.52 E."""
    img = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[271], exif[272] = "Canon", "EOS 90D"
    exif.get_ifd(0x8769)[36867] = "2024:05:01 10:21:05"
    if gps:
        g = exif.get_ifd(0x8825)
        g[1], g[2], g[3], g[4] = "N", (50.0, 27.0, 0.0), "W", (30.0, 31.0, 12.0)
    img.save(path, exif=exif, quality=90)
    return path


def _loaded(engine: Engine, tmp_path: Path) -> dict[str, int]:
    """Two components of specimen SPEC-1; their ids by function."""
    rows = [row(), row(component="MCU", manufacturer="Analog Devices", manufacturer_country="US")]
    load_files(engine, [write_csv(tmp_path / "f.csv", rows)])
    with engine.connect() as conn:
        return dict(conn.execute(select(Component.function, Component.id)).all())


def _stored(store: Store) -> list[str]:
    return sorted(p.name for p in store.root.glob("??/??/*")) if store.root.is_dir() else []


def test_files_are_stored_by_content_once_with_their_exif(engine: Engine, tmp_path: Path) -> None:
    ids = _loaded(engine, tmp_path)
    store = Store(tmp_path / "store")
    photo = jpeg(tmp_path / "IMG_0412.jpg")
    copy = tmp_path / "copy-of-the-same.jpg"
    copy.write_bytes(photo.read_bytes())
    pdf_named_jpg = tmp_path / "scan.jpg"
    pdf_named_jpg.write_bytes(b"%PDF-1.7\n% a scan\n")

    summary = add_evidence(
        engine, store, [photo, pdf_named_jpg], component_id=ids["voltage converter"],
        caption="top", taken_by="Field team", by="A. Analyst",
    )  # fmt: skip
    assert (summary.new_files, summary.new_links) == (2, 2)
    # The same bytes under another name, for another component: one file, one more link.
    again = add_evidence(engine, store, [copy], component_id=ids["MCU"])
    assert (again.new_files, again.new_links) == (0, 1)
    # The same again: nothing new, no custody event.
    assert add_evidence(engine, store, [copy], component_id=ids["MCU"]).new_links == 0

    sha = hashlib.sha256(photo.read_bytes()).hexdigest()
    assert _stored(store) == sorted([sha, hashlib.sha256(pdf_named_jpg.read_bytes()).hexdigest()])
    assert store.path_for(sha).read_bytes() == photo.read_bytes()
    assert store.path_for(sha).stat().st_mode & 0o222 == 0  # read-only
    with engine.connect() as conn:
        d = evidence_detail(conn, sha[:8])
        rows = evidence_rows(conn)
    assert (d.media_type, d.original_name, d.width, d.height) == (
        "image/jpeg",
        "IMG_0412.jpg",
        640,
        480,
    )
    assert d.sha1 == hashlib.sha1(photo.read_bytes()).hexdigest()
    assert (d.taken_at, d.camera) == ("2024-05-01 10:21:05", "Canon EOS 90D")
    assert d.gps_latitude == pytest.approx(50.45)
    assert d.gps_longitude == pytest.approx(-30.52)  # west
    assert sorted(s.component_id or 0 for s in d.shows) == sorted(ids.values())
    assert [(e.event, e.actor, e.sha256_seen) for e in d.custody] == [
        ("received", "A. Analyst", sha),
        ("received", None, sha),
    ]
    media = {r.original_name: r.media_type for r in rows}
    assert media == {"IMG_0412.jpg": "image/jpeg", "scan.jpg": "application/pdf"}
    assert count(engine, "evidence_files") == 2
    assert count(engine, "evidence_links") == 3


def test_a_failed_add_leaves_the_database_and_the_store_as_they_were(
    engine: Engine, tmp_path: Path
) -> None:
    ids = _loaded(engine, tmp_path)
    store = Store(tmp_path / "store")
    before = dump(engine)
    good = jpeg(tmp_path / "good.jpg")
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    with pytest.raises(EvidenceError) as caught:
        add_evidence(engine, store, [good, tmp_path / "missing.jpg", empty], component_id=1)
    message = str(caught.value)
    assert "nothing was added" in message
    assert f"{tmp_path / 'missing.jpg'}: no such file" in message
    assert f"{empty}: the file is empty" in message
    # An unknown component: the good file is not kept in the store either.
    with pytest.raises(EvidenceError, match="no component 999"):
        add_evidence(engine, store, [good], component_id=999)
    with pytest.raises(EvidenceError, match="no specimen labelled 'NOPE'"):
        add_evidence(engine, store, [good], specimen="NOPE")
    with pytest.raises(EvidenceError, match="unknown source"):
        add_evidence(engine, store, [good], component_id=ids["MCU"], source="No such report")
    # Past the size limit.
    with pytest.raises(EvidenceError, match=r"good\.jpg: larger than the limit .*1,000 bytes"):
        add_evidence(
            engine, store, [good], component_id=ids["MCU"], limits=Limits(evidence_size=1000)
        )
    assert dump(engine) == before
    assert _stored(store) == []


def test_verify_names_altered_and_missing_files_and_records_what_it_saw(
    engine: Engine, tmp_path: Path
) -> None:
    ids = _loaded(engine, tmp_path)
    store = Store(tmp_path / "store")
    a, b, c = (tmp_path / f"{n}.txt" for n in "abc")
    for p in (a, b, c):
        p.write_text(f"notes {p.stem}", encoding="utf-8")
    add_evidence(engine, store, [a, b, c], component_id=ids["MCU"])
    assert verify(engine, store).passed

    sha = {p.stem: hashlib.sha256(p.read_bytes()).hexdigest() for p in (a, b, c)}
    altered = store.path_for(sha["a"])
    altered.chmod(0o644)
    data = bytearray(altered.read_bytes())
    data[0] ^= 0x01
    altered.write_bytes(bytes(data))
    store.path_for(sha["b"]).unlink()
    (store.root / "ff" / "ff").mkdir(parents=True)
    (store.root / "ff" / "ff" / ("f" * 64)).write_bytes(b"stray")

    report = verify(engine, store, record=True, by="Checker")
    assert not report.passed
    assert (report.checked, report.ok, report.unreferenced) == (3, 1, 1)
    problems = {p.original_name: (p.problem, p.sha256_seen) for p in report.problems}
    assert problems == {
        "a.txt": ("altered", hashlib.sha256(bytes(data)).hexdigest()),
        "b.txt": ("missing", None),
    }
    with engine.connect() as conn:
        seen = {name: evidence_detail(conn, sha[name]).custody[-1] for name in ("a", "b", "c")}
    assert {n: (e.event, e.actor, e.note) for n, e in seen.items()} == {
        "a": ("verified", "Checker", "altered"),
        "b": ("verified", "Checker", "missing"),
        "c": ("verified", "Checker", "ok"),
    }
    assert seen["b"].sha256_seen is None


def test_the_chain_of_custody_is_append_only(engine: Engine, tmp_path: Path) -> None:
    ids = _loaded(engine, tmp_path)
    store = Store(tmp_path / "store")
    note = tmp_path / "n.txt"
    note.write_text("x", encoding="utf-8")
    add_evidence(engine, store, [note], component_id=ids["MCU"])
    sha = hashlib.sha256(b"x").hexdigest()
    line = custody_event(
        engine, store, sha[:6], CustodyEvent.TRANSFERRED, actor="A. Analyst", note="to CAR"
    )
    assert (line.event, line.sha256_seen) == ("transferred", sha)
    for statement in (
        "UPDATE custody_events SET actor = 'someone else'",
        "DELETE FROM custody_events",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert count(engine, "custody_events") == 2


def test_merging_manufacturers_keeps_the_photos_of_a_combined_component(
    engine: Engine, tmp_path: Path
) -> None:
    rows = [
        row(manufacturer="Texas Instruments", manufacturer_country="US", component="op amp"),
        row(manufacturer="TI Semiconductors", manufacturer_country="US", component="op amp",
            source_title="Report B"),
    ]  # fmt: skip
    from provenance.ingest.options import LoadOptions

    load_files(
        engine, [write_csv(tmp_path / "f.csv", rows)], options=LoadOptions(new_manufacturers=True)
    )
    store = Store(tmp_path / "store")
    with engine.connect() as conn:
        first, second = conn.execute(select(Component.id).order_by(Component.id)).scalars()
    shared, own = tmp_path / "shared.txt", tmp_path / "own.txt"
    shared.write_text("shared", encoding="utf-8")
    own.write_text("own", encoding="utf-8")
    add_evidence(engine, store, [shared], component_id=first)
    add_evidence(engine, store, [shared, own], component_id=second)

    summary = manufacturers.merge(engine, "Texas Instruments", "TI Semiconductors", note="one")
    assert summary.components_combined == 1
    with engine.connect() as conn:
        (survivor,) = conn.execute(select(Component.id)).scalars()
        shown = sorted(r.original_name for r in evidence_rows(conn, component_id=survivor))
    assert shown == ["own.txt", "shared.txt"]


def test_store_location(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'f.db'}")
    assert store_for(engine).root == tmp_path / "f.db.evidence"
    assert store_for(engine, tmp_path / "elsewhere").root == tmp_path / "elsewhere"
    with pytest.raises(EvidenceError, match="name one with --store DIR"):
        store_for(make_engine("sqlite://"))
    with pytest.raises(EvidenceError, match=r"postgresql\) has no folder"):
        store_for(make_engine("postgresql+psycopg://u@localhost/x"))


def test_thumbnails_and_exif_stripping(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    photo = jpeg(tmp_path / "p.jpg", size=(1600, 1200))
    thumb = files.thumbnail(photo, 320)
    assert thumb is not None and thumb[:3] == b"\xff\xd8\xff"
    with Image.open(io.BytesIO(thumb)) as small:
        assert small.size == (320, 240)
    note = tmp_path / "n.txt"
    note.write_text("not an image", encoding="utf-8")
    assert files.thumbnail(note) is None
    # An image with more pixels than the limit gets no thumbnail (it stays stored).
    monkeypatch.setattr(files, "MAX_THUMBNAIL_PIXELS", 1000)
    assert files.thumbnail(photo) is None

    stripped = files.strip_jpeg_exif(photo.read_bytes())
    assert stripped is not None and len(stripped) < photo.stat().st_size
    out = tmp_path / "stripped.jpg"
    out.write_bytes(stripped)
    facts = files.read_facts(out, 1 << 20)
    assert (facts.media_type, facts.gps_latitude, facts.camera) == ("image/jpeg", None, None)
    with Image.open(photo) as a, Image.open(out) as b:
        assert a.tobytes() == b.tobytes()  # the image data untouched
    assert files.strip_jpeg_exif(b"%PDF-1.4") is None


def test_the_cli_adds_lists_shows_and_verifies(tmp_path: Path, sqlite_template: Path) -> None:
    db = tmp_path / "cli.db"
    db.write_bytes(sqlite_template.read_bytes())
    url = f"sqlite:///{db}"
    load_files(make_engine(url), [write_csv(tmp_path / "f.csv", [row()])])
    photo = jpeg(tmp_path / "IMG_1.jpg")
    runner = CliRunner()

    added = runner.invoke(
        cli, ["evidence", "add", str(photo), "--component", "1", "--caption", "top",
              "--by", "A. Analyst", "--db", url, "--format", "json"],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    data = json.loads(added.output)
    sha = hashlib.sha256(photo.read_bytes()).hexdigest()
    assert (data["new_files"], data["files"][0]["sha256"]) == (1, sha)
    assert Path(data["store"]) == tmp_path / "cli.db.evidence"

    listed = runner.invoke(
        cli, ["evidence", "list", "--weapon", "kn-23", "--db", url, "--format", "csv"]
    )
    assert listed.exit_code == 0, listed.output
    assert listed.output.splitlines()[1].startswith(f"{sha},image/jpeg,")
    shown = runner.invoke(cli, ["evidence", "show", sha[:10], "--db", url])
    assert shown.exit_code == 0, shown.output
    assert "taken     2024-05-01 10:21:05, Canon EOS 90D" in shown.output
    assert "received    A. Analyst" in shown.output
    component = runner.invoke(cli, ["component", "show", "1", "--db", url])
    assert f"  - {sha[:12]} image/jpeg IMG_1.jpg: top" in component.output
    as_json = json.loads(
        runner.invoke(cli, ["component", "show", "1", "--db", url, "--format", "json"]).output
    )
    assert [f["sha256"] for f in as_json["evidence"]] == [sha]

    missing = runner.invoke(
        cli, ["evidence", "add", str(tmp_path / "nope.jpg"), "--component", "1", "--db", url]
    )
    assert missing.exit_code == 1
    assert f"{tmp_path / 'nope.jpg'}: no such file" in missing.output

    ok = runner.invoke(cli, ["evidence", "verify", "--db", url])
    assert ok.exit_code == 0, ok.output
    assert "1 file(s) checked" in ok.output and "1 intact" in ok.output
    stored = tmp_path / "cli.db.evidence" / sha[:2] / sha[2:4] / sha
    stored.chmod(0o644)
    stored.write_bytes(stored.read_bytes()[:-1] + b"\x00")
    bad = runner.invoke(cli, ["evidence", "verify", "--db", url])
    assert bad.exit_code == 1
    assert f"ALTERED  {sha[:12]}" in bad.output and "1 altered" in bad.output


# --- the evidence_file column of findings files ---------------------------------------------------


def _findings_with_evidence(folder: Path, reverse: bool = False) -> Path:
    (folder / "photos").mkdir(parents=True, exist_ok=True)
    jpeg(folder / "photos" / "converter.jpg")
    (folder / "photos" / "memo.pdf").write_bytes(b"%PDF-1.4\n% memo\n")
    rows = [
        row(evidence_file="photos/converter.jpg"),
        row(component="MCU", manufacturer="Analog Devices", manufacturer_country="US",
            evidence_file="photos/memo.pdf"),
        row(component="relay", manufacturer="Omron", manufacturer_country="JP",
            evidence_file="photos/converter.jpg"),  # the same photo shows a second part
        row(component="op amp", manufacturer="Texas Instruments", manufacturer_country="US",
            evidence_file="https://example.org/photos/op-amp.jpg"),  # remote: never fetched
    ]  # fmt: skip
    return write_csv(folder / "findings.csv", rows[::-1] if reverse else rows)


def _evidence_state(engine: Engine) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with engine.connect() as conn:
        files_ = conn.execute(
            text("SELECT id, sha256, media_type, original_name FROM evidence_files ORDER BY id")
        ).all()
        links = conn.execute(
            text(
                "SELECT f.sha256, c.function FROM evidence_links l"
                " JOIN evidence_files f ON f.id = l.evidence_id"
                " JOIN components c ON c.id = l.component_id ORDER BY 1, 2"
            )
        ).all()
    return [tuple(r) for r in files_], [tuple(r) for r in links]


def test_a_findings_file_names_its_photos(engine: Engine, tmp_path: Path) -> None:
    from provenance.ingest.options import LoadOptions

    store = Store(tmp_path / "store")
    options = LoadOptions(evidence_store=store, evidence_by="Loader")
    (summary,) = load_files(engine, [_findings_with_evidence(tmp_path)], options=options)
    assert (summary.evidence_files_added, summary.evidence_links_added) == (2, 3)
    _files, links = _evidence_state(engine)
    photo = hashlib.sha256((tmp_path / "photos" / "converter.jpg").read_bytes()).hexdigest()
    memo = hashlib.sha256(b"%PDF-1.4\n% memo\n").hexdigest()
    assert sorted(links) == sorted([(photo, "voltage converter"), (photo, "relay"), (memo, "MCU")])
    assert _stored(store) == sorted([photo, memo])
    with engine.connect() as conn:
        remote = (
            conn.execute(text("SELECT remote_url FROM v_evidence WHERE kind = 'remote'"))
            .scalars()
            .all()
        )
        received = conn.execute(text("SELECT actor, note FROM custody_events ORDER BY id")).all()
    assert remote == ["https://example.org/photos/op-amp.jpg"]
    assert {tuple(r) for r in received} == {
        ("Loader", f"added as {n} by load {summary.batch_id}")
        for n in ("converter.jpg", "memo.pdf")
    }

    # Loading it again adds nothing: no file, no link, no custody event.
    before = dump(engine)
    (again,) = load_files(engine, [_findings_with_evidence(tmp_path)], options=options)
    assert (again.evidence_files_added, again.evidence_links_added) == (0, 0)
    after = dump(engine)
    for table in ("evidence_files", "evidence_links", "custody_events", "components"):
        assert after[table] == before[table], table


def test_the_order_of_the_rows_changes_nothing_stored(
    tmp_path: Path, sqlite_template: Path
) -> None:
    from provenance.ingest.options import LoadOptions

    states = []
    for reverse in (False, True):
        folder = tmp_path / f"run{int(reverse)}"
        folder.mkdir()
        db = folder / "f.db"
        db.write_bytes(sqlite_template.read_bytes())
        engine = make_engine(f"sqlite:///{db}")
        options = LoadOptions(evidence_store=Store(folder / "store"))
        load_files(engine, [_findings_with_evidence(folder, reverse)], options=options)
        states.append(_evidence_state(engine))
        engine.dispose()
    assert states[0] == states[1]


def test_bad_evidence_cells_name_their_row_and_leave_everything_as_it_was(
    engine: Engine, tmp_path: Path
) -> None:
    from provenance.errors import InvalidDataError
    from provenance.ingest.options import LoadOptions

    store = Store(tmp_path / "store")
    inside = tmp_path / "findings"
    inside.mkdir()
    jpeg(inside / "ok.jpg")
    (tmp_path / "secret.txt").write_text("not to be copied", encoding="utf-8")
    (inside / "empty.jpg").write_bytes(b"")
    rows = [
        row(evidence_file="ok.jpg"),
        row(component="MCU", evidence_file="missing.jpg"),
        row(component="relay", evidence_file="../secret.txt"),
        row(component="op amp", evidence_file=str(tmp_path / "secret.txt")),
        row(component="fuse", evidence_file="empty.jpg"),
        row(component="diode", evidence_file="https://a.example/1.jpg",
            evidence_url="https://a.example/2.jpg"),
    ]  # fmt: skip
    findings = write_csv(inside / "bad.csv", rows)
    before = dump(engine)
    with pytest.raises(InvalidDataError) as caught:
        load_files(engine, [findings], options=LoadOptions(evidence_store=store))
    got = {(e.row, e.column, e.message.split(":")[0]) for e in caught.value.errors}
    assert got == {
        (3, "evidence_file", "no such file"),
        (4, "evidence_file", "the path leads out of the findings file's folder"),
        (5, "evidence_file", "give the file's path relative to the findings file's folder, "
            "not an absolute one"),
        (6, "evidence_file", "the file is empty"),
        (7, "evidence_file", "an address here and another in evidence_url"),
    }  # fmt: skip
    assert all(e.file == str(findings) for e in caught.value.errors)
    # Past the size limit; and no store for a file that names evidence.
    good = write_csv(inside / "good.csv", [row(evidence_file="ok.jpg")])
    with pytest.raises(
        InvalidDataError, match=r"good\.csv:2: evidence_file: larger than the limit"
    ):
        load_files(
            engine,
            [good],
            options=LoadOptions(evidence_store=store, limits=Limits(evidence_size=100)),
        )
    with pytest.raises(
        InvalidDataError, match="names evidence files but the database has no evidence store"
    ):
        load_files(engine, [good], options=LoadOptions())
    # A dry run checks the files and stores nothing.
    load_files(engine, [good], dry_run=True, options=LoadOptions(evidence_store=store))
    assert dump(engine) == before
    assert _stored(store) == []
