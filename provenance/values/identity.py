"""What makes a component unique: the identity it is matched on within its specimen.

Loading findings (``provenance.ingest``) files a row under a known component when their
identities are equal, and merging manufacturers (``provenance.reference.manufacturers``)
recomputes the identities of the components it moves: both use this one definition.
"""

from __future__ import annotations

import functools
import hashlib

from provenance.values.text import name_key

__all__ = ["component_identity", "record_identity", "unknown_maker_key"]

#: Most parts repeat (a specimen's label, a function, a maker): their keys are kept, up to this
#: many (then forgotten, to keep memory flat).
_CACHE_LIMIT = 1 << 16
_key = functools.lru_cache(maxsize=_CACHE_LIMIT)(name_key)


def component_identity(
    specimen_key: str,
    function: str,
    part_number: str | None,
    marking: str | None,
    manufacturer_key: str,
    date_code: str | None,
) -> str:
    """The hash that identifies a component within its specimen.

    ``manufacturer_key`` is the key of the manufacturer the component is filed under (after
    aliases are resolved), so a part written "XP POWER LTD" in one file and "XP Power" in another
    is the same component.
    """
    parts = (specimen_key, function, part_number or "", marking or "", manufacturer_key)
    text = "\x1f".join(_key(p) for p in (*parts, date_code or ""))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def unknown_maker_key(reported_country: str | None) -> str:
    """What stands for the manufacturer in the identity of a part whose maker the source could
    not identify: the country it reported for the maker, so that "Not identified, China" and
    "Not identified, Japan" are two parts (no manufacturer key has a control character)."""
    return "\x1dunidentified " + (reported_country or "")


def record_identity(source_key: tuple[str, str], record: str) -> str:
    """The identity of a finding that its source numbers (a portal's record id, or the page that
    shows it): the source and its record, whatever the finding says. Two records are two parts,
    however alike; the same record again is the same part."""
    text = "\x1e".join(("record", *source_key, record))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
