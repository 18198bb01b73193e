"""Feed dates to timezone-aware UTC datetimes, or None.

Why three stages: a hand-written RFC 822 matcher and `datetime.fromisoformat` cover
nearly every real feed at a few microseconds each; `email.utils` catches the rest of the
RFC 822 family; feedparser's date handlers (imported lazily, only for odd strings) know
the historical oddities (Korean, Greek, Hungarian, asctime, W3C-DTF variants).
Nothing here raises: garbage and out-of-range values become None.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
# North American zone names still common in RSS; everything else goes to the fallbacks.
_ZONES = {
    "GMT": 0,
    "UT": 0,
    "UTC": 0,
    "Z": 0,
    "EST": -5,
    "EDT": -4,
    "CST": -6,
    "CDT": -5,
    "MST": -7,
    "MDT": -6,
    "PST": -8,
    "PDT": -7,
}
_RFC822 = re.compile(
    r"\s*(?:[A-Za-z]{3,9},?\s+)?(\d{1,2})\s+([A-Za-z]{3})[A-Za-z]*\.?\s+(\d{2,4})"
    r"\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([+-]\d{4}|[A-Za-z]{1,5})?\s*\Z"
)
_CANONICAL = re.compile(
    r"[A-Za-z]{3}, ([0-9]{2}) ([A-Za-z]{3}) ([0-9]{4}) ([0-9]{2}:[0-9]{2}:[0-9]{2}) "
    r"([+-][0-9]{2})([0-9]{2})\Z"
)
_ISO_SPACE = re.compile(r"(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(.*)\Z")
_ISO_ZONE = re.compile(r"(?:Z|[+-]\d{2}(?::?\d{2})?)\Z", re.IGNORECASE)
# Longer strings are not dates; don't let a hostile one feed the slow fallbacks.
_MAX_DATE_LENGTH = 100


def parse_date(value: str | None) -> datetime | None:
    """A date string from a feed as an aware UTC datetime; None when unreadable."""
    if not value:
        return None
    text = value.strip()
    if not text or len(text) > _MAX_DATE_LENGTH:
        return None
    try:
        parsed = (
            _canonical_rfc822(text)
            or _rfc822(text)
            or _iso(text)
            or _email(text)
            or _feedparser(text)
        )
        return parsed.astimezone(UTC) if parsed is not None else None
    except (ValueError, OverflowError, TypeError):
        return None


def _canonical_rfc822(text: str) -> datetime | None:
    """The form nearly every RSS generator writes, "Wed, 01 May 2024 12:00:00 +0000".

    Rewritten as ISO 8601 for datetime.fromisoformat (C code): about twice as fast as
    converting six fields one by one. Out-of-range fields raise ValueError either way.
    """
    match = _CANONICAL.match(text)
    if match is None:
        return None
    day, month_name, year, clock, zone_hours, zone_minutes = match.groups()
    month = _MONTHS.get(month_name.lower())
    if month is None:
        return None
    return datetime.fromisoformat(f"{year}-{month:02d}-{day}T{clock}{zone_hours}:{zone_minutes}")


def _rfc822(text: str) -> datetime | None:
    match = _RFC822.match(text)
    if match is None:
        return None
    day, month_name, year_text, hour, minute, second, zone = match.groups()
    month = _MONTHS.get(month_name.lower())
    if month is None:
        return None
    year = int(year_text)
    if len(year_text) == 2:
        year += 2000 if year < 50 else 1900
    tzinfo = _zone(zone or "Z")
    if tzinfo is None:
        return None
    return datetime(year, month, int(day), int(hour), int(minute), int(second or 0), tzinfo=tzinfo)


_zone_cache: dict[str, tzinfo] = {}


def _zone(zone: str) -> tzinfo | None:
    """The fixed offset an RFC 822 zone names, cached: a feed repeats one or two zones.

    UTC is the `UTC` singleton itself, so the final astimezone(UTC) is free.
    """
    cached = _zone_cache.get(zone)
    if cached is not None:
        return cached
    if zone[0] in "+-":
        minutes = int(zone[1:3]) * 60 + int(zone[3:5])
        offset = timedelta(minutes=-minutes if zone[0] == "-" else minutes)
    else:
        hours = _ZONES.get(zone.upper())
        if hours is None:
            return None
        offset = timedelta(hours=hours)
    result = UTC if not offset else timezone(offset)
    if len(_zone_cache) < 256:  # zone text is bounded by the pattern; so is the cache
        _zone_cache[zone] = result
    return result


def _iso(text: str) -> datetime | None:
    if len(text) < 10 or not text[:4].isdigit() or text[4] != "-":
        return None
    candidate = text
    spaced = _ISO_SPACE.match(text)
    if spaced is not None:
        date_part, time_part, zone = spaced.groups()
        zone = zone.replace(" ", "")
        if zone and not _ISO_ZONE.match(zone):
            return None
        candidate = f"{date_part}T{time_part}{zone}"
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    # A date with no zone is read as UTC: the least surprising guess for a feed.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _email(text: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(text)
    except (ValueError, TypeError, IndexError, OverflowError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _feedparser(text: str) -> datetime | None:
    from feedparser.datetimes import _parse_date

    try:
        parsed = _parse_date(text)
    except Exception:  # feedparser's handlers raise assorted errors on garbage
        return None
    if parsed is None:
        return None
    year, month, day, hour, minute, second = parsed[:6]
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
