"""dates: the hand-written RFC 822 reader agrees with the standard library on any date;
absurd dates (invalid fields, years ahead) are unknown rather than pinned to the top."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tuinews.sources import dates
from tuinews.sources.dates import parse_date

MOMENTS = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2099, 12, 30))
OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60)


@settings(max_examples=300, deadline=None)
@given(MOMENTS, OFFSETS)
def test_rfc822_dates_match_the_standard_library(moment: datetime, offset: int) -> None:
    aware = moment.replace(microsecond=0, tzinfo=timezone(timedelta(minutes=offset)))
    text = format_datetime(aware)
    parsed = parse_date(text)
    expected = parsedate_to_datetime(text)
    if expected > _a_year_from_now():
        assert parsed is None
        return
    assert parsed == expected
    assert parsed is not None and parsed.tzinfo is UTC


def _a_year_from_now() -> datetime:
    return datetime.now(UTC) + timedelta(days=365)


def test_named_zones_and_repeated_offsets() -> None:
    assert parse_date("Wed, 01 May 2024 12:00:00 GMT") == datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert parse_date("Wed, 01 May 2024 12:00:00 EDT") == datetime(2024, 5, 1, 16, tzinfo=UTC)
    for _ in range(2):  # the second read comes from the zone cache
        assert parse_date("1 May 24 12:00 -0130") == datetime(2024, 5, 1, 13, 30, tzinfo=UTC)


def _reading(read: Callable[[str], datetime | None], text: str) -> datetime | str | None:
    try:
        return read(text)
    except ValueError:
        return "ValueError"


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 39),
    st.sampled_from(["Jan", "may", "Dec", "Foo"]),
    st.integers(0, 9999),
    st.tuples(st.integers(0, 25), st.integers(0, 61), st.integers(0, 61)),
    st.sampled_from(["+0000", "-0000", "+0530", "-1200", "+2400", "+9999"]),
)
def test_the_canonical_fast_path_reads_like_the_general_reader(
    day: int, month: str, year: int, clock: tuple[int, int, int], zone: str
) -> None:
    text = f"Wed, {day:02d} {month} {year:04d} {clock[0]:02d}:{clock[1]:02d}:{clock[2]:02d} {zone}"
    fast = _reading(dates._canonical_rfc822, text)
    assert fast == _reading(dates._rfc822, text)
    # Year 1 east of UTC is year 0 in UTC, which datetime cannot hold: unknown too.
    try:
        in_utc = fast.astimezone(UTC) if isinstance(fast, datetime) else None
    except OverflowError:
        in_utc = None
    believable = in_utc is not None and in_utc <= _a_year_from_now()
    assert parse_date(text) == (in_utc if believable else None)


@pytest.mark.parametrize(
    "text",
    [
        "99999999999999999999",
        "9999-99-99",
        "2024-13-01",
        "2024-02-30T10:00:00Z",
        "20241301",
        "0000-01-01",
        "Wed, 01 May 0000 12:00:00 +0000",
        "Wed, 01 Jan 0001 00:00:00 +0530",  # year 0 in UTC
        "Mon, 32 Jan 2024 10:00:00 GMT",
        "Fri, 2006/13/15 08:19:53 EDT",
        "Fri, 31 Dec 9999 23:59:59 +0000",
        "9999-12-31T23:59:59Z",
    ],
)
def test_absurd_dates_are_unknown_instead_of_rolled_over(text: str) -> None:
    assert parse_date(text) is None


def test_dates_years_ahead_are_unknown_but_near_future_ones_are_kept() -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    soon = now + timedelta(days=30)  # a wrong clock or a scheduled post: kept as given
    assert parse_date(soon.isoformat()) == soon
    assert parse_date(format_datetime(soon)) == soon
    far = now + timedelta(days=400)
    assert parse_date(far.isoformat()) is None
    assert parse_date(format_datetime(far)) is None
    assert parse_date(f"{now.year + 5}-01-01") is None


def test_iso_dates_in_basic_form_and_partial_dates_keep_their_fields() -> None:
    assert parse_date("20240501") == datetime(2024, 5, 1, tzinfo=UTC)
    assert parse_date("20240501T1200Z") == datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert parse_date("2024-05") == datetime(2024, 5, 1, tzinfo=UTC)
    assert parse_date("2024") == datetime(2024, 1, 1, tzinfo=UTC)
    assert parse_date("Fri, 2006/09/15 08:19:53 EDT") == datetime(
        2006, 9, 15, 12, 19, 53, tzinfo=UTC
    )


def test_slashed_dates_of_forum_software_are_read() -> None:
    # kc0011.net (Dvbbs) writes "2020/1/10 14:33:00": unknown before, so its articles
    # sorted by when they were first seen (newsboat reads it as 2020-01-01).
    assert parse_date("2020/1/10 14:33:00") == datetime(2020, 1, 10, 14, 33, tzinfo=UTC)
    assert parse_date("2020/01/10") == datetime(2020, 1, 10, tzinfo=UTC)
    assert parse_date("2020/1/10 9:05 +0800") == datetime(2020, 1, 10, 1, 5, tzinfo=UTC)
    assert parse_date("2020/13/10 14:33") is None
    assert parse_date("2020/1/10 14:33 garbage") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # UOL (Portuguese): newsboat refuses the whole feed; every article was undated.
        ("Seg, 24 Set 2018 19:42:40 -0300", datetime(2018, 9, 24, 22, 42, 40, tzinfo=UTC)),
        ("Sáb, 01 Dez 2018 10:00:00 -0300", datetime(2018, 12, 1, 13, tzinfo=UTC)),
        ("mié, 02 ene 2019 10:00:00 +0100", datetime(2019, 1, 2, 9, tzinfo=UTC)),
        ("sam., 12 juil. 2025 08:00:00 +0200", datetime(2025, 7, 12, 6, tzinfo=UTC)),
        ("12 juin 2025 08:00 GMT", datetime(2025, 6, 12, 8, tzinfo=UTC)),
        ("Di, 04 Mär 2025 10:00:00 +0100", datetime(2025, 3, 4, 9, tzinfo=UTC)),
        ("gio, 15 ott 2020 10:00:00 +0200", datetime(2020, 10, 15, 8, tzinfo=UTC)),
        # A month name of ten letters, read by its first three before the change.
        ("Lun, 24 septiembre 2018 10:00:00 +0000", datetime(2018, 9, 24, 10, tzinfo=UTC)),
        ("Wed, 01 Xyz 2024 12:00:00 +0000", None),
    ],
)
def test_day_and_month_names_of_other_languages_are_read(
    text: str, expected: datetime | None
) -> None:
    assert parse_date(text) == expected
