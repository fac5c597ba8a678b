"""Time slices of a Reddit search: how to list every match when one listing stops near 1,000.

Reddit lists at most about 1,000 items for any listing or search, however far ``after`` is
followed. The way past that cap which PRAW's ``Subreddit.submissions(start, end)`` and
`timesearch` took is to ask the same search again for parts of the time window, in Amazon
CloudSearch syntax (``syntax=cloudsearch``, ``q=(and timestamp:START..END 'query')``) and sorted
``new``. A part whose listing is capped again is narrowed: what it listed (everything from its oldest
item to its end, the listing being newest first) is covered, and the rest is split in two, down to
:data:`MIN_SLICE`. A part that is still capped at that width is reported, not split further.

These are pure functions of their inputs; the spider drives them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

REDDIT_EPOCH = 1119484800  # 2005-06-23, Reddit's first day: nothing on it is older
MIN_SLICE = 3600  # a capped slice one hour wide is not split further
# How far back Reddit's `t` filter reaches, generously rounded up (a month is at most 31 days).
TIME_FILTER_SECONDS = {"hour": 3600, "day": 86400, "week": 7 * 86400, "month": 31 * 86400,
                       "year": 366 * 86400}  # fmt: skip


@dataclass(frozen=True)
class TimeSlice:
    """A half-open span of time ``[start, end)`` in whole seconds since the epoch (UTC)."""

    start: int
    end: int

    @property
    def width(self) -> int:
        """Length in seconds (0 when empty)."""
        return max(0, self.end - self.start)

    def contains(self, created: float) -> bool:
        """Whether a ``created_utc`` lies inside the slice."""
        return self.start <= created < self.end

    def halves(self) -> tuple[TimeSlice, TimeSlice]:
        """The older and the newer half."""
        middle = self.start + self.width // 2
        return TimeSlice(self.start, middle), TimeSlice(middle, self.end)


def cloudsearch_query(query: str, piece: TimeSlice) -> str:
    """The search ``q`` for one slice: the study's query as a CloudSearch string, AND a time range.

    CloudSearch ranges are inclusive at both ends, so the slice's exclusive end becomes ``end - 1``.

    Example:
        >>> cloudsearch_query("model's distillation", TimeSlice(100, 200))
        "(and timestamp:100..199 'model\\\\'s distillation')"
    """
    quoted = query.replace("\\", "\\\\").replace("'", "\\'")
    return f"(and timestamp:{piece.start}..{piece.end - 1} '{quoted}')"


def search_window(
    now: float, time_filter: str, start_date: date | None, end_date: date | None
) -> TimeSlice:
    """The span a search must cover: the study's date window, within the search's ``t`` filter.

    Args:
        now: When the crawl started (epoch seconds).
        time_filter: The search's ``t`` (``hour`` … ``year``, ``all``).
        start_date: First day of the study (inclusive), or None.
        end_date: Last day of the study (inclusive), or None.
    """
    start = REDDIT_EPOCH
    if time_filter in TIME_FILTER_SECONDS:
        start = max(start, math.floor(now) - TIME_FILTER_SECONDS[time_filter])
    if start_date is not None:
        start = max(start, _midnight(start_date))
    end = math.floor(now) + 1
    if end_date is not None:
        end = min(end, _midnight(end_date + timedelta(days=1)))
    return TimeSlice(start, max(start, end))


def _midnight(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def uncovered(piece: TimeSlice, oldest: float | None) -> TimeSlice:
    """The part of a capped slice its newest-first listing did not reach.

    A listing sorted ``new`` that stopped at the cap listed every match from its oldest item to the
    slice's end; only ``[start, oldest]`` is left (the oldest second itself again, as more items may
    share it). Without a known oldest item nothing is known to be covered.
    """
    if oldest is None:
        return piece
    return TimeSlice(piece.start, min(piece.end, math.floor(oldest) + 1))


def next_slices(piece: TimeSlice, oldest: float | None) -> list[TimeSlice] | None:
    """What to ask for after a slice came back capped.

    Returns:
        The halves of the part still uncovered (or that part whole when it is no wider than
        :data:`MIN_SLICE`); ``[]`` when nothing is left; None when the slice was already no wider
        than :data:`MIN_SLICE`, so it cannot be narrowed and stays capped.
    """
    if piece.width <= MIN_SLICE:
        return None
    rest = uncovered(piece, oldest)
    if rest.width == 0:
        return []
    if rest.width <= MIN_SLICE:
        return [rest]
    return list(rest.halves())
