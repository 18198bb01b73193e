"""Feed dates to timezone-aware UTC datetimes, or None.

Why three stages: a hand-written RFC 822 matcher and `datetime.fromisoformat` cover
nearly every real feed at a few microseconds each; `email.utils` catches the rest of the
RFC 822 family; feedparser's date handlers (imported lazily, only for odd strings) know
the historical oddities (Korean, Greek, Hungarian, asctime, W3C-DTF variants).
Nothing here raises: garbage and out-of-range values become None.

Absurd dates become None too, because a feed's date decides where its article sorts:
a component out of range (month 13, day 30 of February, year 0) is never rolled over
into a neighbouring date, and a date more than a year after now is treated as
unknown (the store then sorts the article by when it was first seen) instead of
pinning the article above everything else.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
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
# Day and month names in any language ([^\W\d_] is a letter): "Seg, 24 Set 2018" (UOL).
_RFC822 = re.compile(
    r"\s*(?:[^\W\d_]{2,9}\.?,?\s+)?(\d{1,2})\s+([^\W\d_]{3,})\.?\s+(\d{2,4})"
    r"\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([+-]\d{4}|[A-Za-z]{1,5})?\s*\Z"
)
# Month names of feeds written in Portuguese, Spanish, French, German, Italian and
# Dutch, where they differ from English, by their first three letters (French "juin"
# and "juil" by four). newsboat refuses such feeds whole.
_FOREIGN_MONTHS = {
    "ene": 1,
    "gen": 1,
    "fev": 2,
    "fév": 2,
    "mär": 3,
    "mrz": 3,
    "mrt": 3,
    "abr": 4,
    "avr": 4,
    "mai": 5,
    "mag": 5,
    "mei": 5,
    "juin": 6,
    "giu": 6,
    "juil": 7,
    "lug": 7,
    "ago": 8,
    "aoû": 8,
    "aou": 8,
    "set": 9,
    "out": 10,
    "okt": 10,
    "ott": 10,
    "dez": 12,
    "dic": 12,
    "déc": 12,
}
# Every field of this form sits at a fixed offset: see _canonical_rfc822.
_CANONICAL = re.compile(
    r"[A-Za-z]{3}, [0-9]{2} [A-Za-z]{3} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}\Z"
)
_MONTH_DIGITS = {name: f"{number:02d}" for name, number in _MONTHS.items()}
_ISO_SPACE = re.compile(r"(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(.*)\Z")
# "2020/1/10 14:33:00" (Dvbbs, other Chinese forum software): the month, day and hour
# may have one digit.
_SLASHED = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})(?:\s+(\d{1,2})(:\d{2}(?::\d{2})?.*))?\Z")
_ISO_ZONE = re.compile(r"(?:Z|[+-]\d{2}(?::?\d{2})?)\Z", re.IGNORECASE)
# Longer strings are not dates; don't let a hostile one feed the slow fallbacks.
_MAX_DATE_LENGTH = 100
# Dates further ahead than this are typos or tricks; clocks disagree by hours, not years.
_MAX_AHEAD = timedelta(days=365)
_future_limit = datetime.min.replace(tzinfo=UTC)


def _is_believable(parsed: datetime) -> bool:
    """Not more than `_MAX_AHEAD` after now.

    The limit only grows with time, so a date under the last one computed passes with
    one comparison; parse_date runs once per article.
    """
    global _future_limit
    if parsed <= _future_limit:
        return True
    _future_limit = datetime.now(UTC) + _MAX_AHEAD
    return parsed <= _future_limit


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
            or _slashed(text)
            or _email(text)
            or _feedparser(text)
        )
        if parsed is None:
            return None
        parsed = parsed.astimezone(UTC)
    except (ValueError, OverflowError, TypeError):
        return None
    return parsed if _is_believable(parsed) else None


def _canonical_rfc822(text: str) -> datetime | None:
    """The form nearly every RSS generator writes, "Wed, 01 May 2024 12:00:00 +0000".

    Rewritten as ISO 8601 for datetime.fromisoformat (C code): about twice as fast as
    converting six fields one by one. Out-of-range fields raise ValueError either way.
    """
    if _CANONICAL.match(text) is None:
        return None
    # The pattern is anchored and of fixed width, so slices are its fields: cheaper than
    # match groups. "Wed, 01 May 2024 12:00:00 +0000": day 5:7, month 8:11, year 12:16,
    # clock 17:25, zone 26:31.
    month = _MONTH_DIGITS.get(text[8:11].lower())
    if month is None:
        return None
    return datetime.fromisoformat(
        f"{text[12:16]}-{month}-{text[5:7]}T{text[17:25]}{text[26:29]}:{text[29:31]}"
    )


def _rfc822(text: str) -> datetime | None:
    match = _RFC822.match(text)
    if match is None:
        return None
    day, month_name, year_text, hour, minute, second, zone = match.groups()
    name = month_name.lower()
    month = _MONTHS.get(name[:3]) or _FOREIGN_MONTHS.get(name[:3]) or _FOREIGN_MONTHS.get(name[:4])
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
    # Extended ("2024-05-01") or basic ("20240501T1200Z") form.
    if len(text) < 8 or not text[:4].isdigit() or (text[4] != "-" and not text[:8].isdigit()):
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


def _slashed(text: str) -> datetime | None:
    """A year/month/day date read as the ISO date it spells (zoneless, so UTC)."""
    match = _SLASHED.match(text)
    if match is None:
        return None
    year, month, day, hour, rest = match.groups()
    clock = f" {int(hour):02d}{rest}" if hour else ""
    return _iso(f"{year}-{int(month):02d}-{int(day):02d}{clock}")


def _email(text: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(text)
    except (ValueError, TypeError, IndexError, OverflowError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


_handlers: list[Callable[[str], object]] | None = None


def _feedparser_handlers() -> list[Callable[[str], object]]:
    """feedparser's date handlers, minus its ISO 8601 one.

    That handler rolls invalid fields over through mktime ("9999-99-99" is 9999-11-01,
    "2024-13-01" is 2025-01-01), reads the time in the local zone, and drops the time of
    basic-format dates; `_iso` and the W3C-DTF handler cover ISO dates correctly.
    """
    global _handlers
    if _handlers is None:
        from feedparser.datetimes import _date_handlers, _parse_date_iso8601

        _handlers = [handler for handler in _date_handlers if handler is not _parse_date_iso8601]
    return _handlers


def _feedparser(text: str) -> datetime | None:
    for handler in _feedparser_handlers():
        try:
            parsed = handler(text)
        except Exception:  # feedparser's handlers raise assorted errors on garbage
            continue
        if isinstance(parsed, tuple | time.struct_time) and len(parsed) == 9:
            year, month, day, hour, minute, second = parsed[:6]
            return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    return None
