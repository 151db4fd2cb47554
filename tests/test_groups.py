"""Country groups: the shipped EU, G7 and coalition, membership by date, and user groups."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine

from provenance.db import write_transaction
from provenance.errors import InvalidDataError, UnknownGroupError
from provenance.reference import groups
from provenance.reference.sync import load_reference_lists, sync_reference_lists
from tests.analysis_data import ensure_reference_lists
from tests.helpers import dump

# fmt: off
EU_2025 = {
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
}
# fmt: on
COALITION = EU_2025 | {"US", "GB", "JP", "CH", "CA", "AU", "NZ", "NO", "IS", "LI", "KR", "TW", "SG"}


@pytest.fixture
def synced(engine: Engine) -> Engine:
    ensure_reference_lists(engine)
    return engine


def test_eu_membership_by_date(synced: Engine) -> None:
    with synced.connect() as conn:
        assert len(EU_2025) == 27
        assert groups.members_on(conn, "eu", dt.date(2025, 1, 1)) == EU_2025
        assert groups.members_on(conn, "eu", dt.date(1958, 1, 1)) == {
            "BE",
            "DE",
            "FR",
            "IT",
            "LU",
            "NL",
        }
        assert groups.members_on(conn, "eu", dt.date(1957, 12, 31)) == set()
        # The United Kingdom: a member from 1 January 1973 to 31 January 2020, both included.
        assert groups.is_member(conn, "eu", "GB", dt.date(1973, 1, 1))
        assert groups.is_member(conn, "eu", "gb", dt.date(2020, 1, 31))
        assert not groups.is_member(conn, "eu", "GB", dt.date(2020, 2, 1))
        assert not groups.is_member(conn, "eu", "GB", dt.date(1972, 12, 31))
        # Croatia joined on 1 July 2013; the 2004 enlargement on 1 May 2004.
        assert not groups.is_member(conn, "eu", "HR", dt.date(2013, 6, 30))
        assert groups.is_member(conn, "eu", "HR", dt.date(2013, 7, 1))
        assert not groups.is_member(conn, "eu", "PL", dt.date(2004, 4, 30))
        assert groups.is_member(conn, "eu", "PL", dt.date(2004, 5, 1))
        assert len(groups.members_on(conn, "eu", dt.date(2019, 1, 1))) == 28


def test_g7_and_coalition(synced: Engine) -> None:
    with synced.connect() as conn:
        assert groups.members_on(conn, "g7", dt.date(2025, 1, 1)) == {
            "US",
            "GB",
            "FR",
            "DE",
            "IT",
            "JP",
            "CA",
        }
        assert groups.members_on(conn, "coalition", dt.date(2025, 1, 1)) == COALITION
        assert len(COALITION) == 40
        assert groups.members_on(conn, "coalition", dt.date(2022, 2, 23)) == set()
        controls = groups.controls_dates(conn)
        assert controls == dict.fromkeys(COALITION, dt.date(2022, 2, 24))
        notes = {m.country_code: m.note for m in groups.memberships(conn, "coalition")}
        unverified = {code for code, note in notes.items() if note and "not verified" in note}
        assert unverified == COALITION - EU_2025 - {"US"}
        info = groups.get_group(conn, "COALITION")
        assert info.basis and "24 February 2022" in info.basis
        assert [g.code for g in groups.list_groups(conn)] == ["coalition", "eu", "g7"]


def test_user_groups_are_added_and_kept(synced: Engine, tmp_path: Path) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text(
        """
version: 1
country_groups:
  - code: nordic
    name: Nordic countries
    basis: my own list
    members: ["DK", "FI", "IS", "NO", "Schweden"]
  - code: coalition
    name: Countries with export controls on Russia
    members:
      - {country: "JP", from: "2022-02-24", controls_from: "2022-03-01", note: "a test date"}
""",
        encoding="utf-8",
    )
    summary = load_reference_lists(synced, mine)
    assert (summary.groups_created, summary.members_created, summary.members_updated) == (1, 5, 0)
    with synced.connect() as conn:
        assert groups.members_on(conn, "nordic", dt.date(2025, 1, 1)) == {
            "DK",
            "FI",
            "IS",
            "NO",
            "SE",
        }
        # Without --update an existing membership keeps its values.
        assert groups.controls_dates(conn)["JP"] == dt.date(2022, 2, 24)
    summary = load_reference_lists(synced, mine, update_existing=True)
    assert summary.members_updated == 1
    with synced.connect() as conn:
        assert groups.controls_dates(conn)["JP"] == dt.date(2022, 3, 1)
    # A later sync of the shipped groups adds what is missing and changes nothing else.
    before = dump(synced)
    with write_transaction(synced) as conn:
        sync_reference_lists(conn)
    assert dump(synced) == before


def test_bad_group_files_write_nothing(synced: Engine, tmp_path: Path) -> None:
    before = dump(synced)
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        """
version: 1
country_groups:
  - code: nordic
    name: Nordic countries
    members:
      - NO
      - Atlantis
      - {country: "SE", from: "2020-01-01", until: "2019-01-01"}
      - {country: "DK", since: "2020-01-01"}
""",
        encoding="utf-8",
    )
    with pytest.raises(InvalidDataError) as info:
        load_reference_lists(synced, bad)
    message = str(info.value)
    assert 'write the code in quotes (country: "NO" for Norway)' in message
    assert "members[2].country: unknown country (got 'Atlantis')" in message
    assert "members[3].until: is before 'from'" in message
    assert "members[4]: unknown key 'since'" in message
    assert dump(synced) == before


def test_unknown_group(synced: Engine) -> None:
    with synced.connect() as conn, pytest.raises(UnknownGroupError, match="known groups"):
        groups.members_on(conn, "nato", dt.date(2025, 1, 1))
