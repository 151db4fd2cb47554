"""Writing checked findings, a chunk at a time, in the load's one transaction.

New weapon systems, manufacturers, sources and specimens go first, through SQLAlchemy Core (few
rows; their ids are then read back by their keys); then components and what each row cites,
many rows, straight through the driver: ``executemany`` on SQLite, ``COPY`` into a staging table
on PostgreSQL. Every insert is ``INSERT ... ON CONFLICT DO NOTHING``: a row already there, from
an earlier chunk or an earlier load, is kept. At the end of each file, what its rows cite becomes
citations in one statement, and its counts go to its summary and its load batch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Date,
    Enum,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    literal,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from provenance import __version__
from provenance.errors import ProvenanceError
from provenance.ingest.catalogue import FINDING_VALUES, Entity, Finding, chunks, finding_values
from provenance.ingest.readers import STDIN_NAME
from provenance.ingest.summary import FileLoad, LoadSummary
from provenance.models import (
    AliasKind,
    Authenticity,
    Citation,
    Component,
    LoadBatch,
    Manufacturer,
    ManufacturerAlias,
    Source,
    Specimen,
    WeaponSystem,
)

__all__ = ["ROWS", "BulkInsert", "Writer", "insert_new"]


def insert_new(conn: Connection, table: Table, index_elements: Sequence[str]) -> Insert:
    """``INSERT ... ON CONFLICT (index_elements) DO NOTHING``: a row already there (written by an
    earlier chunk of the load, or an earlier load) is kept. Without a target (empty
    ``index_elements``), a conflict on any unique key is ignored."""
    stmt: Any
    if conn.dialect.name == "postgresql":
        stmt = postgresql.insert(table)
    elif conn.dialect.name == "sqlite":
        stmt = sqlite.insert(table)
    else:  # pragma: no cover - SQLite and PostgreSQL are the databases provenance supports
        return insert(table)
    return stmt.on_conflict_do_nothing(index_elements=list(index_elements) or None)  # type: ignore[no-any-return]


class BulkInsert:
    """``INSERT ... ON CONFLICT DO NOTHING`` of many rows of a table, set up once per load.

    Each value goes through its column type's own conversion (an enum to its value, a date for
    SQLite), then the rows go to the driver as they are: SQLAlchemy's parameter handling of
    every row would cost more than the database's insert. On SQLite they go to the driver's
    ``executemany``; on PostgreSQL they are copied (``COPY``) into a temporary staging table, then
    moved with one ``INSERT ... SELECT`` in their order."""

    def __init__(
        self, conn: Connection, table: Table, columns: Sequence[str], conflict: Sequence[str]
    ) -> None:
        self.conn = conn
        self.columns = list(columns)
        processors = [table.c[c].type.bind_processor(conn.dialect) for c in self.columns]
        self.processors = [(i, f) for i, f in enumerate(processors) if f is not None]
        insert_rows = insert_new(conn, table, conflict)
        self.stage: Table | None = None
        self.staged = False  # whether ``stage`` exists (it goes at commit or rollback)
        self.copy: Any = None
        if conn.dialect.name == "postgresql":
            from psycopg import sql as pg_sql  # PostgreSQL only, an optional dependency

            stage = Table(
                f"provenance_stage_{table.name}",
                MetaData(),
                Column("position", Integer),
                *(Column(c, _plain(table.c[c].type)) for c in self.columns),
                prefixes=["TEMPORARY"],
                postgresql_on_commit="DROP",
            )
            self.stage = stage  # created when first needed (``_copy``)
            self.move = insert_rows.from_select(
                self.columns,
                select(*(stage.c[c] for c in self.columns)).order_by(stage.c.position),
            )
            self.copy = pg_sql.SQL("COPY {} ({}) FROM STDIN").format(
                pg_sql.Identifier(stage.name),
                pg_sql.SQL(", ").join(map(pg_sql.Identifier, ["position", *self.columns])),
            )
            self.clear = delete(stage)
        else:
            compiled = insert_rows.compile(dialect=conn.dialect, column_keys=self.columns)
            self.sql = str(compiled)
            order = compiled.positiontup
            assert order is not None  # SQLite's driver takes the parameters by position
            #: Where each parameter comes from in a row of ``columns``.
            self.order = [self.columns.index(n) for n in order]
            #: The conversions, by the parameter's position.
            self.placed = [(self.order.index(i), f) for i, f in self.processors]

    def __call__(self, rows: Iterable[Sequence[Any]]) -> None:
        """Insert rows given as values in ``columns`` order."""
        processors = self.processors
        if self.stage is not None:
            converted: list[list[Any]] = []
            for row in rows:
                values = list(row)
                for i, process in processors:
                    if values[i] is not None:
                        values[i] = process(values[i])
                converted.append(values)
            if converted:
                self._copy(converted)
            return
        # One list per row, already in the statement's order, converted where it stands.
        order, placed = self.order, self.placed
        params: list[tuple[Any, ...]] = []
        for row in rows:
            values = [row[i] for i in order]
            for at, process in placed:
                if values[at] is not None:
                    values[at] = process(values[at])
            params.append(tuple(values))  # the driver takes a list of tuples
        if params:
            self.conn.exec_driver_sql(self.sql, params)

    def _copy(self, rows: list[list[Any]]) -> None:
        if not self.staged:
            assert self.stage is not None
            self.stage.create(self.conn, checkfirst=True)
            self.staged = True
        driver = self.conn.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor, cursor.copy(self.copy) as copy:
            for position, values in enumerate(rows):
                copy.write_row((position, *values))
        self.conn.execute(self.move)
        self.conn.execute(self.clear)


def _text_or_none(value: object) -> str | None:
    return None if value is None else str(getattr(value, "value", value))


def _plain(type_: Any) -> Any:
    """A staging table's column type: an enum as the text it is stored as (no constraint)."""
    return String(type_.length) if isinstance(type_, Enum) else type_


def _count_of_batch(conn: Connection, table: Table, batch_id: int) -> int:
    return conn.execute(
        select(func.count()).select_from(table).where(table.c.batch_id == batch_id)
    ).scalar_one()


def _insert_entities(
    conn: Connection,
    table: Table,
    entities: list[Entity],
    rows: Callable[[Entity], dict[str, Any]],
    key_columns: Sequence[str],
    batch_id: int,
) -> int:
    """Insert new entities, set their ids (looked up again by their unique key) and return how
    many this load created (those whose row carries its batch)."""
    if not entities:
        return 0
    by_key = {e.key: e for e in entities}
    ordered = sorted(by_key, key=lambda k: k if isinstance(k, tuple) else (k,))
    conn.execute(
        insert_new(conn, table, key_columns if len(key_columns) == 1 else ()),
        [rows(by_key[k]) for k in ordered],
    )
    for e in by_key.values():
        e.id = None
    cols = [table.c[c] for c in key_columns]
    created = 0
    for chunk in chunks(ordered):
        condition = cols[0].in_(chunk) if len(cols) == 1 else tuple_(*cols).in_(chunk)
        for row in conn.execute(select(table.c.id, table.c.batch_id, *cols).where(condition)):
            key = row[2] if len(cols) == 1 else tuple(row[2:])
            by_key[key].id = row[0]
            created += row[1] == batch_id
    lost = [e for e in by_key.values() if e.id is None]
    if lost:  # another unique key of the row (a source's URL) is taken
        raise ProvenanceError(
            f"another load wrote a conflicting {table.name} row at the same time "
            f"({', '.join(map(str, [e.key for e in lost][:3]))}): nothing was loaded, load again"
        )
    return created


def _unique(entities: Iterable[Entity]) -> list[Entity]:
    return list({id(e): e for e in entities}.values())


def _manufacturers_of(findings: Iterable[Finding]) -> Iterator[Entity]:
    """The manufacturers of the findings and their parents, up to the top."""
    for f in findings:
        entity: Entity | None = f.manufacturer  # None: not identified
        while entity is not None:
            yield entity
            entity = entity.values["parent"]


def _write_updates(conn: Connection, model: Any, entities: Iterable[Entity]) -> int:
    """Write the values the entities' rows have given to blank stored values; how many."""
    changed = sorted((e for e in entities if e.update), key=lambda e: e.id or 0)
    for entity in changed:
        conn.execute(update(model).where(model.id == entity.id).values(entity.update))
        entity.update = {}
    return len(changed)


#: What each written row of the load gives: the component it files (specimen and identity), the
#: source it cites with that source's record, and the digest of what it says of the component.
#: Temporary (dropped when the load ends): citations are made from it at the end of each file,
#: and rows that file one component but say different things of it are found at the end.
_ROWS = Table(
    "provenance_load_rows",
    MetaData(),
    Column("file_index", Integer),
    Column("row", Integer),
    Column("is_record", Integer),  # 1: the row is a JSON record (numbered), not a line
    Column("specimen_id", Integer),
    Column("identity", String(32)),
    Column("source_id", Integer),
    Column("fingerprint", BigInteger),
    Column("record_id", String(200)),
    Column("record_url", String(2000)),
    Column("evidence_url", String(2000)),
    Column("said", Text),  # what the row says of the component: Finding.said
    Column("authenticity", String(21)),  # the source's claim (NULL: none)
    Column("authenticity_basis", Text),
    # What the row's source states of the part's manufacture (NULL: nothing).
    Column("made_in_code", String(2)),
    Column("manufactured_on", Date),
    Column("manufactured_precision", String(5)),
    prefixes=["TEMPORARY"],
)
ROWS = _ROWS


class Writer:
    """Writes checked findings as they come, chunk by chunk, in the load's one transaction: new
    weapon systems, manufacturers, sources and specimens first (their ids are then known), then
    components and citations, each with ``INSERT ... ON CONFLICT DO NOTHING``."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.components: Table = Component.__table__  # type: ignore[assignment]
        self.citations: Table = Citation.__table__  # type: ignore[assignment]
        component_columns = [*FINDING_VALUES, "specimen_id", "identity", "manufacturer_id"]
        self.insert_components = BulkInsert(
            conn, self.components, [*component_columns, "batch_id"], ["specimen_id", "identity"]
        )
        # Appended (no key to keep in order as it grows: that gets slow), made distinct at the end.
        self.insert_cites = BulkInsert(conn, _ROWS, list(_ROWS.c.keys()), [])

    def start(self, file: FileLoad) -> None:
        """The file's load batch, which its rows will point to."""
        _ROWS.create(self.conn, checkfirst=True)
        summary = file.summary
        summary.batch_id = self.conn.execute(
            insert(LoadBatch).returning(LoadBatch.id),
            {
                "file_name": Path(file.name).name if file.name != STDIN_NAME else STDIN_NAME,
                "sha256": file.sha256,
                "loaded_at": dt.datetime.now(dt.UTC),
                "rows_read": 0,
                "components_added": 0,
                "components_matched": 0,
                "citations_added": 0,
                "tool_version": __version__,
            },
        ).scalar_one()

    def write(self, file: FileLoad, findings: list[Finding]) -> None:
        """Write a chunk of the file's checked findings, and what they need first."""
        if not findings:
            return
        summary = file.summary
        batch_id = summary.batch_id
        assert batch_id is not None
        file.findings_written += len(findings)
        specimens = _unique(f.specimen for f in findings)
        self._weapons(summary, specimens, batch_id)
        self._manufacturers(file, findings)
        self._sources(summary, _unique(f.source for f in findings), batch_id)
        self._specimens(summary, specimens, batch_id)
        self._components(file, findings, batch_id)

    def _weapons(self, summary: LoadSummary, specimens: list[Entity], batch_id: int) -> None:
        """The weapon systems new in this chunk, and what rows filled in about known ones."""
        every = _unique(s.values["weapon"] for s in specimens)
        known = [e for e in every if e.id is not None]
        for entity in known:
            if "producer" in entity.update:
                entity.update["producer_country_code"] = entity.update.pop("producer")
        _write_updates(self.conn, WeaponSystem, known)
        summary.weapon_systems_created += _insert_entities(
            self.conn,
            WeaponSystem.__table__,  # type: ignore[arg-type]
            _unique(s.values["weapon"] for s in specimens if s.values["weapon"].id is None),
            lambda e: {
                "designation": e.values["designation"],
                "designation_key": e.key,
                "category": e.values.get("category"),
                "producer_country_code": e.values["producer"],
                "batch_id": batch_id,
            },
            ["designation_key"],
            batch_id,
        )

    def _sources(self, summary: LoadSummary, sources: list[Entity], batch_id: int) -> None:
        """The sources new in this chunk, and what rows filled in about known ones."""
        summary.sources_created += _insert_entities(
            self.conn,
            Source.__table__,  # type: ignore[arg-type]
            [e for e in sources if e.id is None],
            lambda e: {
                "publisher": e.values["publisher"],
                "title": e.values["title"],
                "publisher_key": e.key[0],
                "title_key": e.key[1],
                "url": e.values["url"],
                "published_on": (e.values["published_on"] or (None, None))[0],
                "published_precision": (e.values["published_on"] or (None, None))[1],
                "reliability": e.values["reliability"],
                "batch_id": batch_id,
            },
            ["publisher_key", "title_key"],
            batch_id,
        )
        for entity in sources:
            if "published_on" in entity.update:
                on, precision = entity.update.pop("published_on")
                entity.update |= {"published_on": on, "published_precision": precision}
        _write_updates(self.conn, Source, sources)

    def _specimens(self, summary: LoadSummary, specimens: list[Entity], batch_id: int) -> None:
        """The specimens new in this chunk, and what rows filled in about known ones."""
        summary.specimens_created += _insert_entities(
            self.conn,
            Specimen.__table__,  # type: ignore[arg-type]
            [e for e in specimens if e.id is None],
            lambda e: {
                "label": e.values["label"],
                "label_key": e.key,
                "weapon_system_id": e.values["weapon"].id,
                "recovered_on": e.values["recovered_on"],
                "recovered_at": e.values["recovered_at"],
                "recovered_by": e.values["recovered_by"],
                "identification_confidence": e.values["identification_confidence"],
                "batch_id": batch_id,
            },
            ["label_key"],
            batch_id,
        )
        _write_updates(self.conn, Specimen, specimens)

    def _manufacturers(self, file: FileLoad, findings: list[Finding]) -> None:
        """The chunk's manufacturers and their parents: new ones, and what rows filled in
        about known ones (a headquarters country, a parent)."""
        conn, summary = self.conn, file.summary
        batch_id = summary.batch_id
        assert batch_id is not None
        every = _unique(_manufacturers_of(findings))
        new = [e for e in every if e.id is None]
        summary.manufacturers_created += _insert_entities(
            conn,
            Manufacturer.__table__,  # type: ignore[arg-type]
            new,
            lambda e: {
                "name": e.values["name"],
                "name_key": e.key,
                "country_code": e.values["country_code"],
                "batch_id": batch_id,
            },
            ["name_key"],
            batch_id,
        )
        for entity in new:
            if entity.values["parent"] is not None:
                entity.update["parent"] = entity.values["parent"]
        for entity in every:  # every parent has its id now
            parent = entity.update.pop("parent", None)
            if parent is not None:
                entity.update["parent_id"] = parent.id
        new_ones = {id(e) for e in new}
        for entity in every:
            if entity.update and id(entity) not in new_ones and entity.created_by != file.index:
                file.updated_manufacturers.add(entity.id or 0)
        _write_updates(conn, Manufacturer, every)
        self._aliases(file)

    def _aliases(self, file: FileLoad) -> None:
        """The manufacturer aliases of the mapping that the file's rows used."""
        conn, summary = self.conn, file.summary
        added = 0
        for alias, key, entity in sorted(file.new_aliases, key=lambda a: a[1]):
            # One by one (a few per load), to count those not already there.
            stmt = insert_new(conn, ManufacturerAlias.__table__, ["alias_key"])  # type: ignore[arg-type]
            row = {"manufacturer_id": entity.id, "alias": alias, "alias_key": key}
            row["kind"] = AliasKind.ALIAS
            added += len(conn.execute(stmt.returning(ManufacturerAlias.id), row).all())
        file.new_aliases.clear()
        summary.manufacturer_aliases_added += added

    def _components(self, file: FileLoad, findings: list[Finding], batch_id: int) -> None:
        """The chunk's new components, in the file's order, and what each row says: its
        component, source, record and digest go to the load's rows table, which ``finish`` turns
        into citations (its distinct rows against the rows written: the duplicates) and the load's
        end checks for rows that file one component but say different things of it."""
        wanted: dict[tuple[int, str], Finding] = {}
        rows: dict[tuple[int, str, int, int], tuple[Any, ...]] = {}
        for f in findings:
            assert f.specimen.id is not None and f.source.id is not None
            component = (f.specimen.id, f.identity)
            wanted.setdefault(component, f)
            said = (*component, f.source.id, f.fingerprint)
            if said not in rows:
                index, row, is_record = f.row
                claim = f.values["authenticity"]
                rows[said] = (
                    index,
                    row,
                    int(is_record),
                    *said,
                    *f.record,
                    f.said,
                    None if claim is Authenticity.UNKNOWN else str(claim),
                    f.basis if claim is not Authenticity.UNKNOWN else None,
                    f.values["made_in_code"],
                    f.values["manufactured_on"],
                    _text_or_none(f.values["manufactured_precision"]),
                )
        self.insert_components(
            (
                *finding_values(f.values),
                k[0],
                k[1],
                f.manufacturer.id if f.manufacturer is not None else None,
                batch_id,
            )
            for k, f in wanted.items()
        )
        self.insert_cites(rows.values())

    def finish(self, file: FileLoad) -> None:
        """The file's citations, then its counts, in its summary and its load batch."""
        conn, summary = self.conn, file.summary
        batch_id = summary.batch_id
        assert batch_id is not None
        c, t = self.components.c, _ROWS.c
        of_file = t.file_index == file.index
        # One citation per component and source; when rows differ in their records, the
        # greatest (MAX ignores a blank) is kept whatever their order (differences of one
        # component's rows are reported when the load ends: ``merge``).
        cited = (
            select(
                c.id,
                t.source_id,
                literal(batch_id),
                func.max(t.record_id),
                func.max(t.record_url),
                func.max(t.evidence_url),
                func.max(t.authenticity),
                func.max(t.authenticity_basis),
                func.max(t.made_in_code),
                func.max(t.manufactured_on),
                func.max(t.manufactured_precision),
            )
            .join_from(
                _ROWS,
                self.components,
                (c.specimen_id == t.specimen_id) & (c.identity == t.identity),
            )
            .where(of_file)
            .group_by(c.id, t.source_id)
            .order_by(c.id, t.source_id)
        )
        conn.execute(
            insert_new(conn, self.citations, ["component_id", "source_id"]).from_select(
                [
                    "component_id",
                    "source_id",
                    "batch_id",
                    "source_record_id",
                    "source_record_url",
                    "evidence_url",
                    "authenticity",
                    "authenticity_basis",
                    "made_in_code",
                    "manufactured_on",
                    "manufactured_precision",
                ],
                cited,
            )
        )
        said = (
            select(t.specimen_id, t.identity, t.source_id, t.fingerprint)
            .distinct()
            .where(of_file)
            .subquery()
        )
        pairs = conn.execute(select(func.count()).select_from(said)).scalar_one()
        summary.duplicate_rows = file.findings_written - pairs
        summary.components_added = _count_of_batch(conn, self.components, batch_id)
        summary.components_matched = file.findings_written - summary.components_added
        summary.matched_by_record_id = self._known_records(file, batch_id)
        summary.matched_by_attributes = (
            summary.components_matched - summary.duplicate_rows - summary.matched_by_record_id
        )
        summary.citations_added = _count_of_batch(conn, self.citations, batch_id)
        summary.manufacturers_updated = len(file.updated_manufacturers)
        summary.rows_rejected = len(file.rejected)
        conn.execute(
            update(LoadBatch)
            .where(LoadBatch.id == batch_id)
            .values(
                rows_read=summary.rows_read,
                components_added=summary.components_added,
                components_matched=summary.components_matched,
                citations_added=summary.citations_added,
                duplicate_rows=summary.duplicate_rows,
                rows_rejected=summary.rows_rejected,
            )
        )

    def _known_records(self, file: FileLoad, batch_id: int) -> int:
        """How many of the file's rows (duplicates aside) name a source's record that another
        file or load had already brought."""
        c, t = self.components.c, _ROWS.c
        records = (
            select(t.specimen_id, t.identity, t.source_id)
            .distinct()
            .where(
                t.file_index == file.index,
                (t.record_id.is_not(None)) | (t.record_url.is_not(None)),
            )
            .subquery()
        )
        known = (
            select(func.count())
            .select_from(records)
            .join(
                self.components,
                (c.specimen_id == records.c.specimen_id) & (c.identity == records.c.identity),
            )
            .where(c.batch_id != batch_id)
        )
        return int(self.conn.execute(known).scalar_one())

    def close(self) -> None:
        _ROWS.drop(self.conn, checkfirst=True)
