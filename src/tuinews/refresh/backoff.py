"""When a failing feed is tried again, and which feeds a refresh leaves alone."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from tuinews.refresh.fetch import RETRY_AFTER_STATUSES
from tuinews.refresh.locations import location_kind
from tuinews.refresh.outcome import FeedOutcome, SkipKind, short_time
from tuinews.refresh.shown_error import plain_error

if TYPE_CHECKING:
    from tuinews.store import FeedInfo

# Back-off: a web feed that failed is left alone for a while, twice as long after each
# failure in a row (2, 4, 8 ... minutes), up to a cap that depends on who failed:
# - no HTTP answer (connection refused, unresolvable host, timeout, TLS, or a proxy's own
#   502/504/407, which says it could not reach the server): 1 hour. The
#   fault may well be ours (offline, DNS, a laptop's sleep); retrying costs a connection.
#   And when NO feed of a refresh got an HTTP answer, the machine is most likely offline:
#   those failures are recorded (`feeds` shows them) but set no back-off at all.
# - a server error (5xx): 6 hours; usually over within hours.
# - any other answer (404, not a feed, too large): 24 hours.
# A Retry-After (429/503) can lengthen the wait, never shorten it (fetch caps it at
# 7 days). Local files never wait: checking one is free. A feed named on the command
# line, or --force, is fetched whatever its back-off; a named feed still honours a wait
# its server asked for.
# The wait doubles from the previous one (`next_fetch - last_error_at`), not from the
# count of failures: failures while offline leave no wait, so they do not lengthen it.
FIRST_BACKOFF = timedelta(minutes=2)
NETWORK_BACKOFF_CAP = timedelta(hours=1)
SERVER_ERROR_BACKOFF_CAP = timedelta(hours=6)
MAX_BACKOFF = timedelta(hours=24)


def backoff(previous: timedelta | None, status: int | None) -> timedelta:
    """How long to leave a web feed alone after a failure (answered `status`, None for no
    HTTP answer), given the wait set after its previous failure in a row (None: first)."""
    wait = FIRST_BACKOFF if previous is None else max(FIRST_BACKOFF, previous * 2)
    if status is None:
        cap = NETWORK_BACKOFF_CAP
    elif 500 <= status < 600:
        cap = SERVER_ERROR_BACKOFF_CAP
    else:
        cap = MAX_BACKOFF
    return min(wait, cap)


def previous_wait(info: FeedInfo) -> timedelta | None:
    """The wait set after the feed's previous failure in a row, if it is failing."""
    if not info.failures or info.next_fetch is None or info.last_error_at is None:
        return None
    wait = info.next_fetch - info.last_error_at
    return wait if wait > timedelta(0) else None


def skipped_outcome(
    info: FeedInfo, now: datetime, *, force: bool, named: bool, since: datetime | None
) -> FeedOutcome | None:
    """The outcome of a feed a refresh leaves alone, or None to fetch it. `force` and
    `named` (the user named the feed) as in `refresh_feeds`; `since`: when another
    refresh this one waited for began (feeds it fetched meanwhile are not fetched again)."""

    def skip(
        kind: SkipKind,
        reason: str,
        *,
        retry_at: datetime | None = None,
        last_error: str | None = None,
        disabled: bool = False,
    ) -> FeedOutcome:
        return FeedOutcome(
            info.url,
            info.title,
            "skipped",
            error=reason,
            skipped_because=kind,
            retry_at=retry_at,
            last_error=last_error,
            disabled=disabled,
        )

    if info.disabled and not (force or named):
        gone = (info.last_error or "gone (HTTP 410)").removesuffix(": feed disabled")
        return skip("disabled", f"disabled: {gone}", disabled=True, last_error=gone)
    if force:
        return None
    if since is not None:
        latest = max(
            (t for t in (info.last_refresh, info.last_error_at) if t is not None),
            default=None,
        )
        if latest is not None and latest >= since:
            if info.failures and info.last_error_at == latest:
                # Failed there: still failing, for this refresh's summary and exit status
                # as for the other's (a cron job that waited must not report all well).
                error = plain_error(info.last_error or "failed")
                reason = f"failed in the refresh that just ran: {error}"
                return skip("other_refresh_failed", reason, last_error=error)
            return skip("other_refresh", "just refreshed by another refresh")
    if location_kind(info.url) != "http":
        return None  # a file is free to check (an older store may hold a back-off)
    if info.next_fetch is None or info.next_fetch <= now:
        return None
    last = plain_error(info.last_error) if info.last_error else None
    why = f" (last error: {last})" if last else ""
    when = short_time(info.next_fetch, now)
    if named:
        # The user asked for this feed: fetched now, as `r` in the reader does, unless
        # its server asked for a pause (a 429's or 503's Retry-After) that is not over,
        # which --force overrides. Our own back-off does not hold it back.
        wait = info.server_wait
        if info.last_status not in RETRY_AFTER_STATUSES or wait is None or wait <= now:
            return None
        reason = f"the server asked to wait until {short_time(wait, now)}{why}"
        return skip("server_wait", reason, retry_at=wait, last_error=last)
    reason = f"next try after {when}{why}"
    return skip("backoff", reason, retry_at=info.next_fetch, last_error=last)
