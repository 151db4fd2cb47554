"""Screening manufacturers against the loaded sanctions lists (issue 16): ``screen run``,
``screen review`` and ``screen list``.

Every name and alias of every manufacturer is compared with every name and alias of the listed
companies, organisations and legal entities, on the project's own manufacturer key
(``values.text.manufacturer_key``: case, accents, punctuation and legal forms folded, so
"Xilinx Inc." and "XILINX, INC" are both ``xilinx``; a name in Cyrillic letters is also compared
in Latin ones, ``values.text.latin_key``), scored with rapidfuzz's token-sort ratio
(0-100). People are candidates only when a key is the same (a company named like a person is
rare; a fuzzy match on people's names is noise). The country is a feature: a manufacturer's
headquarters country among the entity's countries adds :data:`COUNTRY_AGREES`, a country the
entity does not have takes :data:`COUNTRY_DISAGREES` away, and a country not known on either side
changes nothing. A pair at or above the threshold is a candidate, with its score and the reasons.

A person decides (accept: the manufacturer is the listed entity; reject: a name alike). A
candidate is one row per manufacturer and OpenSanctions id: running again updates its score and
reasons and keeps the decision, also when a newer list is loaded; an open candidate that is no
longer found is dropped, a decided one kept. When an entity is on several loaded lists, the
entry of the list loaded last is used.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from sqlalchemy import Connection, Engine, and_, bindparam, delete, func, insert, select, update

from provenance.db import write_transaction
from provenance.errors import ScreeningError
from provenance.ingest.decisions import decider
from provenance.ingest.screening import lock_screening
from provenance.migrate import ensure_current
from provenance.models import (
    Manufacturer,
    ManufacturerAlias,
    ScreeningCandidate,
    ScreeningDecision,
    ScreeningEntity,
)
from provenance.values.text import clean_text, latin_key, manufacturer_key

#: The score a pair needs to be a candidate, unless ``run_screening`` is given another.
DEFAULT_THRESHOLD = 88.0
#: Added when the manufacturer's country is one of the entity's.
COUNTRY_AGREES = 5.0
#: Taken away when the entity has countries and the manufacturer's is not among them.
COUNTRY_DISAGREES = 10.0
#: The schemas matched fuzzily; people only on the same key.
FUZZY_SCHEMAS = frozenset({"Company", "Organization", "LegalEntity", "PublicBody"})
STATUSES = ("open", "accepted", "rejected")


@dataclass(frozen=True)
class RunSummary:
    """What ``run_screening`` found."""

    threshold: float
    manufacturers: int
    entities: int
    candidates: int  # found in this run
    new: int
    updated: int
    dropped: int  # open candidates no longer found
    decided_kept: int  # decided candidates no longer found, kept with their decision


@dataclass(frozen=True)
class Candidate:
    """A candidate match as ``screen list`` shows it."""

    candidate_id: int
    manufacturer: str
    manufacturer_country: str | None  # ISO code of its headquarters
    entity_id: str
    entity_name: str
    schema: str | None
    entity_countries: str | None
    datasets: str | None
    sanctions: str | None
    score: float
    reasons: str
    status: str  # open, accepted or rejected
    decided_by: str | None
    decided_at: dt.datetime | None
    note: str | None


@dataclass(frozen=True)
class _Names:
    """The written names of one side of a comparison, by key."""

    by_key: dict[str, str]


@dataclass
class _Match:
    score: float
    reasons: str
    entity_name: str
    list_id: int


def _add_keys(by_key: dict[str, str], written: str) -> None:
    """The keys of a written name: its manufacturer key, and the key in Latin letters when it
    has Cyrillic ones ("ООО Микрон": ``микрон`` and ``mikron``)."""
    if not written.strip():
        return
    key = manufacturer_key(written)
    for each in (key, latin_key(key)):
        if each:
            by_key.setdefault(each, written.strip())


def _maker_names(conn: Connection) -> dict[int, tuple[str | None, _Names]]:
    """Each manufacturer's (headquarters country, names by key)."""
    names: dict[int, dict[str, str]] = defaultdict(dict)
    countries: dict[int, str | None] = {}
    for m_id, name, country in conn.execute(
        select(Manufacturer.id, Manufacturer.name, Manufacturer.country_code)
    ):
        countries[m_id] = country
        _add_keys(names[m_id], name)
    aliases = select(ManufacturerAlias.manufacturer_id, ManufacturerAlias.alias).order_by(
        ManufacturerAlias.id
    )
    for m_id, alias in conn.execute(aliases):
        _add_keys(names[m_id], alias)
    return {m_id: (countries[m_id], _Names(names[m_id])) for m_id in countries}


@dataclass(frozen=True)
class _Entity:
    entity_id: str
    list_id: int
    schema: str
    name: str
    countries: frozenset[str]
    names: _Names


def _entities(conn: Connection) -> list[_Entity]:
    """The listed entities, each from the list loaded last that has it, in id order."""
    e = ScreeningEntity
    newest = (
        select(e.entity_id, func.max(e.list_id).label("list_id")).group_by(e.entity_id).subquery()
    )
    rows = select(e.entity_id, e.list_id, e.schema, e.name, e.aliases, e.countries).join(
        newest, and_(newest.c.entity_id == e.entity_id, newest.c.list_id == e.list_id)
    )
    found: list[_Entity] = []
    for entity_id, list_id, schema, name, aliases, countries in conn.execute(rows):
        by_key: dict[str, str] = {}
        for written in [name, *(aliases or "").split(";")]:
            _add_keys(by_key, written)
        codes = frozenset(c.strip().upper() for c in (countries or "").split(";") if c.strip())
        found.append(_Entity(entity_id, list_id, schema, name, codes, _Names(by_key)))
    return sorted(found, key=lambda entity: entity.entity_id)  # the same order on every database


def _country(maker: str | None, entity: frozenset[str]) -> tuple[float, str]:
    """The country's change to the score, and the reason."""
    if maker is None or not entity:
        return 0.0, "country not known on both sides (no change)"
    listed = ", ".join(sorted(entity))
    if maker in entity:
        return COUNTRY_AGREES, f"country {maker} agrees (+{COUNTRY_AGREES:g})"
    return (
        -COUNTRY_DISAGREES,
        f"country {maker} is not the entity's {listed} (-{COUNTRY_DISAGREES:g})",
    )


def _sorted_tokens(key: str) -> str:
    """A key with its words in order: the ratio of two such is their token-sort ratio."""
    return " ".join(sorted(key.split()))


#: Cells of one block of the score matrix (queries x names, 4 bytes each): about 32 MB.
_BLOCK_CELLS = 8_000_000


def _name_hits(
    makers: dict[int, tuple[str | None, _Names]], entities: list[_Entity], cutoff: float
) -> dict[tuple[int, int], tuple[float, str, str]]:
    """(manufacturer id, entity index) -> (best name score, maker's key, entity's key).

    Every key of every manufacturer is scored against every key of the entities matched
    fuzzily in blocks (rapidfuzz's ``cdist``: one C loop per block, not one Python call per
    pair); the keys of every entity are also looked up as they are (people: only so)."""
    choices: list[str] = []
    owners: list[tuple[int, str]] = []
    exact: dict[str, list[int]] = defaultdict(list)
    for index, entity in enumerate(entities):
        for key in entity.names.by_key:
            exact[key].append(index)
            if entity.schema in FUZZY_SCHEMAS:
                choices.append(_sorted_tokens(key))
                owners.append((index, key))
    queries = [(m_id, key) for m_id, (_c, names) in makers.items() for key in names.by_key]
    best: dict[tuple[int, int], tuple[float, str, str]] = {}

    def keep(m_id: int, index: int, score: float, key: str, their: str) -> None:
        pair = (m_id, index)
        if pair not in best or score > best[pair][0]:
            best[pair] = (score, key, their)

    for m_id, key in queries:
        for index in exact.get(key, ()):
            keep(m_id, index, 100.0, key, key)
    block = max(1, _BLOCK_CELLS // max(1, len(choices)))
    for start in range(0, len(queries) if choices else 0, block):
        part = queries[start : start + block]
        scores = process.cdist(
            [_sorted_tokens(key) for _m, key in part],
            choices,
            scorer=fuzz.ratio,
            score_cutoff=cutoff,
            workers=1,
        )
        for row, column in zip(*scores.nonzero(), strict=True):
            m_id, key = part[row]
            index, their = owners[column]
            keep(m_id, index, float(scores[row, column]), key, their)
    return best


def find_candidates(
    conn: Connection, threshold: float = DEFAULT_THRESHOLD
) -> dict[tuple[int, str], _Match]:
    """Every (manufacturer id, OpenSanctions id) pair scoring at least ``threshold``."""
    makers = _maker_names(conn)
    entities = _entities(conn)
    hits = _name_hits(makers, entities, max(0.0, threshold - COUNTRY_AGREES))
    found: dict[tuple[int, str], _Match] = {}
    for (m_id, index), (name_score, key, their) in sorted(hits.items()):
        entity = entities[index]
        country_code, names = makers[m_id]
        change, country_reason = _country(country_code, entity.countries)
        score = max(0.0, min(100.0, name_score + change))
        if score < threshold:
            continue
        ours, listed = names.by_key[key], entity.names.by_key[their]
        same = "the same key" if key == their else f"keys {key!r} and {their!r}"
        reasons = (
            f"name {ours!r} ~ {entity.schema} {listed!r}: {same}, {name_score:.0f}; "
            f"{country_reason}"
        )
        found[(m_id, entity.entity_id)] = _Match(
            round(score, 1), reasons, entity.name, entity.list_id
        )
    return found


def run_screening(engine: Engine, threshold: float = DEFAULT_THRESHOLD) -> RunSummary:
    """Screen every manufacturer against the loaded lists and write the candidates (one
    transaction); decisions already made are kept."""
    if not 0 < threshold <= 100:
        raise ScreeningError(f"threshold {threshold:g}: expected a score above 0, at most 100")
    ensure_current(engine)
    now = dt.datetime.now(dt.UTC)
    with write_transaction(engine) as conn:
        lock_screening(conn)
        found = find_candidates(conn, threshold)
        maker_count = conn.execute(select(func.count()).select_from(Manufacturer)).scalar_one()
        entity_count = conn.execute(
            select(func.count(ScreeningEntity.entity_id.distinct()))
        ).scalar_one()
        existing = {
            (m_id, key): (c_id, decision)
            for c_id, m_id, key, decision in conn.execute(
                select(
                    ScreeningCandidate.id,
                    ScreeningCandidate.manufacturer_id,
                    ScreeningCandidate.entity_key,
                    ScreeningCandidate.decision,
                )
            )
        }
        updates = [
            {"c_id": existing[pair][0], **_values(match)}
            for pair, match in found.items()
            if pair in existing
        ]
        new = [
            {"manufacturer_id": pair[0], "entity_key": pair[1], "found_at": now, **_values(match)}
            for pair, match in found.items()
            if pair not in existing
        ]
        gone = [(c_id, d) for pair, (c_id, d) in existing.items() if pair not in found]
        dropped = [c_id for c_id, decision in gone if decision is None]
        if updates:
            conn.execute(
                update(ScreeningCandidate)
                .where(ScreeningCandidate.id == bindparam("c_id"))
                .values(
                    score=bindparam("score"),
                    reasons=bindparam("reasons"),
                    entity_name=bindparam("entity_name"),
                    list_id=bindparam("list_id"),
                ),
                updates,
            )
        if new:
            conn.execute(insert(ScreeningCandidate), new)
        if dropped:
            conn.execute(delete(ScreeningCandidate).where(ScreeningCandidate.id.in_(dropped)))
    return RunSummary(
        threshold=threshold,
        manufacturers=maker_count,
        entities=entity_count,
        candidates=len(found),
        new=len(new),
        updated=len(updates),
        dropped=len(dropped),
        decided_kept=len(gone) - len(dropped),
    )


def _values(match: _Match) -> dict[str, object]:
    return {
        "score": match.score,
        "reasons": match.reasons,
        "entity_name": match.entity_name,
        "list_id": match.list_id,
    }


def review(
    engine: Engine,
    candidate_id: int,
    decision: ScreeningDecision,
    by: str,
    note: str | None = None,
) -> Candidate:
    """Record a person's decision on a candidate (a later decision replaces an earlier one)."""
    who = decider(by, ScreeningError)
    ensure_current(engine)
    with write_transaction(engine) as conn:
        done = conn.execute(
            update(ScreeningCandidate)
            .where(ScreeningCandidate.id == candidate_id)
            .values(
                decision=decision,
                decided_by=who,
                decided_at=dt.datetime.now(dt.UTC),
                note=clean_text(note),
            )
        ).rowcount
        if not done:
            raise ScreeningError(
                f"no screening candidate {candidate_id}: see `provenance screen list`"
            )
        return candidates(conn, candidate_id=candidate_id)[0]


def candidates(
    conn: Connection, status: str | None = None, candidate_id: int | None = None
) -> list[Candidate]:
    """The candidates (all, or those of one status), best score first."""
    if status is not None and status not in STATUSES:
        raise ScreeningError(f"unknown status {status!r}: expected one of {', '.join(STATUSES)}")
    c, e = ScreeningCandidate, ScreeningEntity
    query = (
        select(
            c.id,
            Manufacturer.name,
            Manufacturer.country_code,
            c.entity_key,
            c.entity_name,
            e.schema,
            e.countries,
            e.datasets,
            e.sanctions,
            c.score,
            c.reasons,
            c.decision,
            c.decided_by,
            c.decided_at,
            c.note,
        )
        .join(Manufacturer, Manufacturer.id == c.manufacturer_id)
        .outerjoin(e, and_(e.list_id == c.list_id, e.entity_id == c.entity_key))
        .order_by(c.score.desc(), Manufacturer.name, c.entity_key, c.id)
    )
    if status == "open":
        query = query.where(c.decision.is_(None))
    elif status is not None:
        query = query.where(c.decision == ScreeningDecision(status))
    if candidate_id is not None:
        query = query.where(c.id == candidate_id)
    return [
        Candidate(
            candidate_id=r[0],
            manufacturer=r[1],
            manufacturer_country=r[2],
            entity_id=r[3],
            entity_name=r[4],
            schema=r[5],
            entity_countries=r[6],
            datasets=r[7],
            sanctions=r[8],
            score=float(r[9]),
            reasons=r[10],
            status=r[11].value if r[11] is not None else "open",
            decided_by=r[12],
            decided_at=r[13],
            note=r[14],
        )
        for r in conn.execute(query)
    ]
