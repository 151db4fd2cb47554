"""Screening manufacturers and the parties of the supply chain against the loaded sanctions lists
(issue 16): ``screen run``, ``screen review`` and ``screen list``.

The subjects are every manufacturer and every party that is not a manufacturer (a party that is
one, ``parties.manufacturer_id``, is screened as that manufacturer). Every name and alias of every
subject is compared with every name and alias of the listed
companies, organisations and legal entities, on the project's own manufacturer key
(``values.text.manufacturer_key``: case, accents, punctuation and legal forms folded, so
"Xilinx Inc." and "XILINX, INC" are both ``xilinx``; a name in Cyrillic letters is also compared
in Latin ones, ``values.text.latin_key``), scored with rapidfuzz's token-sort ratio
(0-100). People are candidates only when a key is the same (a company named like a person is
rare; a fuzzy match on people's names is noise). The country is a feature: a manufacturer's
headquarters country among the entity's countries adds :data:`COUNTRY_AGREES`, a country the
entity does not have takes :data:`COUNTRY_DISAGREES` away, and a country not known on either side
changes nothing. A pair at or above the threshold is a candidate, with its score and the reasons.
A party's identifier (registration, tax, LEI, OpenSanctions id) that the entity also has (its id,
or one of its identifiers) makes a candidate of score 100 whatever the names: one identifier
identifies one company, but a person still decides.

A person decides (accept: the manufacturer is the listed entity; reject: a name alike). A
candidate is one row per subject and OpenSanctions id: running again updates its score and
reasons and keeps the decision, also when a newer list is loaded; an open candidate that is no
longer found is dropped, a decided one kept. When an entity is on several loaded lists, the
entry of the list loaded last is used.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from sqlalchemy import (
    Connection,
    Engine,
    Select,
    and_,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)

from provenance.db import write_transaction
from provenance.errors import ScreeningError
from provenance.ingest.decisions import decider
from provenance.ingest.screening import lock_screening
from provenance.migrate import ensure_current
from provenance.models import (
    Manufacturer,
    ManufacturerAlias,
    Party,
    PartyAlias,
    PartyIdentifier,
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
#: What is screened: a manufacturer or a party (``Candidate.subject_kind``).
MANUFACTURER, PARTY = "manufacturer", "party"

#: A subject of the screening: (MANUFACTURER or PARTY, its row id).
Subject = tuple[str, int]


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
    parties: int = 0  # parties screened (those that are no manufacturer)


@dataclass(frozen=True)
class Candidate:
    """A candidate match as ``screen list`` shows it."""

    candidate_id: int
    manufacturer: str | None  # None: a party's candidate
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
    subject_kind: str = MANUFACTURER  # manufacturer or party
    party: str | None = None  # None: a manufacturer's candidate
    party_country: str | None = None

    @property
    def subject(self) -> str:
        """The screened name: the manufacturer's or the party's."""
        return self.party if self.subject_kind == PARTY and self.party else self.manufacturer or ""

    @property
    def subject_country(self) -> str | None:
        return self.party_country if self.subject_kind == PARTY else self.manufacturer_country


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


def _subject_names(conn: Connection) -> dict[Subject, tuple[str | None, _Names]]:
    """Each subject's (country, names by key): every manufacturer (its headquarters country)
    and every party that is no manufacturer."""
    names: dict[Subject, dict[str, str]] = defaultdict(dict)
    countries: dict[Subject, str | None] = {}
    screened_party = Party.manufacturer_id.is_(None)
    sides: tuple[tuple[str, Select[int, str, str | None], Select[int, str]], ...] = (
        (
            MANUFACTURER,
            select(Manufacturer.id, Manufacturer.name, Manufacturer.country_code),
            select(ManufacturerAlias.manufacturer_id, ManufacturerAlias.alias).order_by(
                ManufacturerAlias.id
            ),
        ),
        (
            PARTY,
            select(Party.id, Party.name, Party.country_code).where(screened_party),
            select(PartyAlias.party_id, PartyAlias.alias)
            .join(Party, Party.id == PartyAlias.party_id)
            .where(screened_party)
            .order_by(PartyAlias.id),
        ),
    )
    for kind, subjects, aliases in sides:
        for row_id, name, country in conn.execute(subjects):
            countries[(kind, row_id)] = country
            _add_keys(names[(kind, row_id)], name)
        for row_id, alias in conn.execute(aliases):
            _add_keys(names[(kind, row_id)], alias)
    return {subject: (countries[subject], _Names(names[subject])) for subject in countries}


def _identifier_key(value: str) -> str:
    """An identifier as compared: without case, spaces, dots or dashes."""
    return "".join(ch for ch in value.upper() if ch.isalnum())


def _party_identifiers(conn: Connection) -> dict[str, list[tuple[int, str, str]]]:
    """Identifier key -> [(party id, kind, value as written)] of the parties that are no
    manufacturer."""
    found: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    query = (
        select(PartyIdentifier.party_id, PartyIdentifier.kind, PartyIdentifier.value)
        .join(Party, Party.id == PartyIdentifier.party_id)
        .where(Party.manufacturer_id.is_(None))
        .order_by(PartyIdentifier.party_id, PartyIdentifier.kind, PartyIdentifier.value)
    )
    for p_id, kind, value in conn.execute(query):
        key = _identifier_key(value)
        if key:
            found[key].append((p_id, kind, value))
    return found


@dataclass(frozen=True)
class _Entity:
    entity_id: str
    list_id: int
    schema: str
    name: str
    countries: frozenset[str]
    names: _Names
    identifiers: frozenset[str]  # identifier keys: its OpenSanctions id and its identifiers


def _entities(conn: Connection) -> list[_Entity]:
    """The listed entities, each from the list loaded last that has it, in id order."""
    e = ScreeningEntity
    newest = (
        select(e.entity_id, func.max(e.list_id).label("list_id")).group_by(e.entity_id).subquery()
    )
    columns = (e.entity_id, e.list_id, e.schema, e.name, e.aliases, e.countries, e.identifiers)
    rows = select(*columns).join(
        newest, and_(newest.c.entity_id == e.entity_id, newest.c.list_id == e.list_id)
    )
    found: list[_Entity] = []
    for entity_id, list_id, schema, name, aliases, countries, identifiers in conn.execute(rows):
        by_key: dict[str, str] = {}
        for written in [name, *(aliases or "").split(";")]:
            _add_keys(by_key, written)
        codes = frozenset(c.strip().upper() for c in (countries or "").split(";") if c.strip())
        ids = {_identifier_key(v) for v in [entity_id, *(identifiers or "").split(";")]}
        found.append(
            _Entity(entity_id, list_id, schema, name, codes, _Names(by_key), frozenset(ids - {""}))
        )
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
    makers: dict[Subject, tuple[str | None, _Names]], entities: list[_Entity], cutoff: float
) -> dict[tuple[Subject, int], tuple[float, str, str]]:
    """(subject, entity index) -> (best name score, subject's key, entity's key).

    Every key of every subject is scored against every key of the entities matched
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
    best: dict[tuple[Subject, int], tuple[float, str, str]] = {}

    def keep(m_id: Subject, index: int, score: float, key: str, their: str) -> None:
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
) -> dict[tuple[Subject, str], _Match]:
    """Every (subject, OpenSanctions id) pair scoring at least ``threshold``."""
    makers = _subject_names(conn)
    entities = _entities(conn)
    hits = _name_hits(makers, entities, max(0.0, threshold - COUNTRY_AGREES))
    found: dict[tuple[Subject, str], _Match] = {}
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
    _add_identifier_matches(found, _party_identifiers(conn), entities)
    return found


def _add_identifier_matches(
    found: dict[tuple[Subject, str], _Match],
    identifiers: dict[str, list[tuple[int, str, str]]],
    entities: list[_Entity],
) -> None:
    """Candidates of score 100 where a party's identifier is the entity's (its id or one of its
    identifiers), whatever the names; a name match of the same pair gives its reason after."""
    for entity in entities:
        shared: dict[int, list[str]] = defaultdict(list)
        for key in sorted(entity.identifiers):
            for p_id, kind, value in identifiers.get(key, ()):
                shared[p_id].append(f"{kind} {value!r}")
        for p_id, written in sorted(shared.items()):
            pair = ((PARTY, p_id), entity.entity_id)
            reasons = f"identifier {', '.join(written)} is the entity's (100)"
            if pair in found:
                reasons += f"; {found[pair].reasons}"
            found[pair] = _Match(100.0, reasons, entity.name, entity.list_id)


def run_screening(engine: Engine, threshold: float = DEFAULT_THRESHOLD) -> RunSummary:
    """Screen every manufacturer and party against the loaded lists and write the candidates
    (one transaction); decisions already made are kept."""
    if not 0 < threshold <= 100:
        raise ScreeningError(f"threshold {threshold:g}: expected a score above 0, at most 100")
    ensure_current(engine)
    now = dt.datetime.now(dt.UTC)
    with write_transaction(engine) as conn:
        lock_screening(conn)
        found = find_candidates(conn, threshold)
        maker_count = conn.execute(select(func.count()).select_from(Manufacturer)).scalar_one()
        party_count = conn.execute(
            select(func.count()).select_from(Party).where(Party.manufacturer_id.is_(None))
        ).scalar_one()
        entity_count = conn.execute(
            select(func.count(ScreeningEntity.entity_id.distinct()))
        ).scalar_one()
        existing = {
            (_subject(m_id, p_id), key): (c_id, decision)
            for c_id, m_id, p_id, key, decision in conn.execute(
                select(
                    ScreeningCandidate.id,
                    ScreeningCandidate.manufacturer_id,
                    ScreeningCandidate.party_id,
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
            {
                "manufacturer_id": pair[0][1] if pair[0][0] == MANUFACTURER else None,
                "party_id": pair[0][1] if pair[0][0] == PARTY else None,
                "entity_key": pair[1],
                "found_at": now,
                **_values(match),
            }
            for pair, match in sorted(found.items())
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
        parties=party_count,
    )


def _subject(manufacturer_id: int | None, party_id: int | None) -> Subject:
    if manufacturer_id is not None:
        return (MANUFACTURER, manufacturer_id)
    assert party_id is not None  # the one_subject check
    return (PARTY, party_id)


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
    subject_name = func.coalesce(Manufacturer.name, Party.name)
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
            Party.name,
            Party.country_code,
        )
        .outerjoin(Manufacturer, Manufacturer.id == c.manufacturer_id)
        .outerjoin(Party, Party.id == c.party_id)
        .outerjoin(e, and_(e.list_id == c.list_id, e.entity_id == c.entity_key))
        .order_by(c.score.desc(), subject_name, c.party_id.is_not(None), c.entity_key, c.id)
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
            subject_kind=PARTY if r[15] is not None else MANUFACTURER,
            party=r[15],
            party_country=r[16],
        )
        for r in conn.execute(query)
    ]
