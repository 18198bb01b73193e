"""dates: the hand-written RFC 822 reader agrees with the standard library on any date."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime

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
    assert parsed == parsedate_to_datetime(text)
    assert parsed is not None and parsed.tzinfo is UTC


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
    assert parse_date(text) == (fast if isinstance(fast, datetime) else None)
