"""Where the shipped migrations and seed data are, in a source checkout and in an installed wheel.

The repository keeps ``migrations/`` and ``seeds/`` at its top; the wheel carries them inside the
package as ``provenance/_migrations`` and ``provenance/_seeds`` (see pyproject.toml).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def _locate(packaged: str, top_level: str) -> Path:
    inside = Path(str(resources.files("provenance"))) / packaged
    if inside.is_dir():
        return inside
    checkout = Path(__file__).resolve().parent.parent / top_level
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(
        f"cannot find the shipped {top_level}/ folder (looked in {inside} and {checkout})"
    )


def migrations_path() -> Path:
    """The Alembic script folder."""
    return _locate("_migrations", "migrations")


def seeds_path() -> Path:
    """The folder of shipped reference and demo data."""
    return _locate("_seeds", "seeds")
