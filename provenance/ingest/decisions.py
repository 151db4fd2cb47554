"""Who made a person's decision (``screen review``, ``customs review``): the name as recorded in
a ``decided_by`` column, cleaned, required and bounded the same way everywhere."""

from __future__ import annotations

from provenance.errors import ProvenanceError
from provenance.values.text import clean_text

__all__ = ["NAME_LENGTH", "decider"]

#: The longest name of who decided (the ``decided_by`` columns are String(200)).
NAME_LENGTH = 200


def decider(by: str, error: type[ProvenanceError]) -> str:
    """``by`` cleaned; ``error`` when it is empty or longer than :data:`NAME_LENGTH`."""
    who = clean_text(by)
    if not who:
        raise error("a decision needs the name of who made it (--by NAME)")
    if len(who) > NAME_LENGTH:
        raise error(f"--by: a name of at most {NAME_LENGTH} characters, please")
    return who
