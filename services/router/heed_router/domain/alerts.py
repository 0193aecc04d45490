"""Crisis alerts: negative mentions per topic against the topic's own baseline; pure, no I/O.

A topic is an issue type (`product_quality`, `billing`, …) or a listening match (a brand or product
keyword, `executive:<name>`). Per topic the detector counts distinct negative mentions in 1-minute
buckets and keeps an EWMA of the per-minute count as its baseline, never below a floor: a topic
that is quiet (a baseline of ~0) still needs a real spike. Whenever a mention arrives it tests the
last `window_minutes` minutes against what the baseline expects with a Poisson tail; an incident
opens when the count is both large enough and unlikely enough. One incident per topic while it
lasts: it is announced opened, updated as it grows, and resolved after `calm_minutes` minutes in
a row at the baseline. The baseline keeps learning during an incident: a burst of a few minutes
barely moves it, a level that lasts becomes the new normal within a half-life or two (and the
incident resolves) rather than an incident that never ends.

The clock is the mentions' `received_at`: the detector is deterministic, a replay of the same
mentions yields the same alerts with the same ids. The state lives in memory: a restart learns
the baselines again, and each router replica sees only its partitions' mentions.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from scipy.stats import poisson

from heed.contracts.events import (
    Alert,
    AlertState,
    AlertTopicKind,
    Category,
    ClassifiedMention,
    derive_id,
)

MINUTE = timedelta(minutes=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_EXAMPLES = 10


@dataclass(frozen=True)
class AlertParameters:
    """How the detector decides; the defaults suit a brand with a few negative mentions a minute."""

    negative_below: float = -0.2
    """A mention is negative when its sentiment is below this, or when it is a complaint."""
    window_minutes: int = 2
    """The test covers the last N minutes, the current (partial) one included."""
    half_life_minutes: float = 30.0
    """The baseline (an EWMA of the per-minute count) forgets a minute's weight by half in this time."""
    baseline_floor: float = 2.0
    """Per minute: the baseline never expects less, so a topic quiet so far needs a real spike
    (about 15 mentions in 2 minutes at the defaults), not three complaints in a row."""
    p_value: float = 1e-4
    """An incident opens when the window's count is this unlikely under the baseline (Poisson tail)."""
    min_count: int = 10
    """…and has at least this many mentions, whatever the baseline."""
    calm_quantile: float = 0.95
    """A minute is calm when its count is within this quantile of the baseline's Poisson."""
    calm_minutes: int = 10
    """An incident resolves after this many calm minutes in a row."""
    update_growth: float = 0.5
    """An open incident is announced again each time its total grew by this share since the last
    announcement (50 %: at 15, 23, 34, … mentions), so a growing crisis is heard, a steady one is not
    repeated."""
    idle_baseline: float = 0.01
    """A topic without an incident, without recent mentions and with a baseline below this is forgotten."""

    def __post_init__(self) -> None:
        if self.window_minutes < 1 or self.calm_minutes < 1 or self.min_count < 1:
            raise ValueError("window_minutes, calm_minutes and min_count must be at least 1")
        if not 0 < self.p_value < 1 or not 0 < self.calm_quantile < 1:
            raise ValueError("p_value and calm_quantile must be between 0 and 1")
        if self.half_life_minutes <= 0 or self.baseline_floor <= 0 or self.update_growth <= 0:
            raise ValueError("half_life_minutes, baseline_floor and update_growth must be positive")

    @property
    def alpha(self) -> float:
        """The EWMA's weight of one new minute."""
        return 1.0 - 0.5 ** (1.0 / self.half_life_minutes)


@dataclass(frozen=True)
class AlertTopic:
    kind: AlertTopicKind
    value: str


def is_negative(classified: ClassifiedMention, params: AlertParameters) -> bool:
    """A complaint, or a sentiment below the threshold."""
    c = classified.classification
    return c.category is Category.COMPLAINT or c.sentiment < params.negative_below


def topics_of(classified: ClassifiedMention) -> list[AlertTopic]:
    """The topics a mention counts towards: its issue type and each listening match."""
    found = []
    if classified.classification.issue_type is not None:
        found.append(AlertTopic(AlertTopicKind.ISSUE_TYPE, classified.classification.issue_type.value))
    for match in dict.fromkeys(m.strip().lower() for m in classified.mention.matched):
        if match:
            found.append(AlertTopic(AlertTopicKind.LISTENING, match))
    return found


def minute_of(at: datetime) -> int:
    """The 1-minute bucket a time falls in (minutes since the epoch)."""
    return math.floor((at - EPOCH) / MINUTE)


def start_of(minute: int) -> datetime:
    return EPOCH + minute * MINUTE


@dataclass
class Incident:
    alert_id: uuid.UUID
    opened_at: datetime
    examples: list[uuid.UUID]
    total: int
    version: int = 0
    announced_total: int = 0
    calm_streak: int = 0


@dataclass
class TopicState:
    baseline: float = 0.0  # EWMA of closed minutes' counts, without the floor
    closed_through: int | None = None  # the last minute folded into the baseline
    # the tested minutes' distinct mentions, in arrival order
    buckets: dict[int, dict[uuid.UUID, None]] = field(default_factory=dict)
    incident: Incident | None = None


class AlertDetector:
    """Per-topic rolling detector; `observe` each classified mention, publish `pending`, then
    `acknowledge` what the broker took (unacknowledged alerts stay pending for the next attempt)."""

    def __init__(self, params: AlertParameters = AlertParameters()) -> None:
        self.params = params
        self.topics: dict[AlertTopic, TopicState] = {}
        self.watermark: int | None = None  # the newest minute seen
        self.pending: list[Alert] = []

    def acknowledge(self, alerts: list[Alert]) -> None:
        """Forget pending alerts once published."""
        done = {a.event_id for a in alerts}
        self.pending = [a for a in self.pending if a.event_id not in done]

    def observe(self, classified: ClassifiedMention) -> list[Alert]:
        """Count the mention if it is negative; returns the alerts it (or the time it brings) caused,
        which are also added to `pending`."""
        at = classified.mention.received_at
        alerts = self.advance(at)
        if not is_negative(classified, self.params):
            return alerts
        minute, now = minute_of(at), self._now()
        if minute <= now - self.params.window_minutes:
            return alerts  # too late for any window still tested
        raised = []
        for topic in topics_of(classified):
            state = self.topics.setdefault(topic, TopicState(closed_through=now - 1))
            if any(classified.mention_id in ids for ids in state.buckets.values()):
                continue  # a redelivered mention counts once
            state.buckets.setdefault(minute, {})[classified.mention_id] = None
            alert = self._test(topic, state, classified.mention_id, at)
            if alert is not None:
                raised.append(alert)
        self.pending.extend(raised)
        return alerts + raised

    def advance(self, now: datetime) -> list[Alert]:
        """Move the clock to `now` (never back): close the minutes before it, fold them into the
        baselines, and resolve incidents that have been calm long enough."""
        minute = minute_of(now)
        if self.watermark is not None and minute <= self.watermark:
            return []
        self.watermark = minute
        resolved = []
        for topic, state in list(self.topics.items()):
            alert = self._close_minutes(topic, state, minute)
            if alert is not None:
                resolved.append(alert)
            if (state.incident is None and not state.buckets
                    and state.baseline < self.params.idle_baseline):
                del self.topics[topic]
        self.pending.extend(resolved)
        return resolved

    def expected_per_minute(self, state: TopicState) -> float:
        return max(state.baseline, self.params.baseline_floor)

    def _now(self) -> int:
        if self.watermark is None:
            raise RuntimeError("the detector has no time yet: advance() or observe() first")
        return self.watermark

    def _window(self, state: TopicState) -> list[int]:
        """The minutes of the window (the current one last)."""
        first = self._now() - self.params.window_minutes + 1
        return [m for m in sorted(state.buckets) if m >= first]

    def _window_count(self, state: TopicState) -> int:
        return sum(len(state.buckets[m]) for m in self._window(state))

    def _test(self, topic: AlertTopic, state: TopicState, mention_id: uuid.UUID, at: datetime) -> Alert | None:
        p = self.params
        count = self._window_count(state)
        incident = state.incident
        if incident is None:
            # the cheap test first: the tail is computed only for a window that could open an incident
            if count < p.min_count or self._p_value(state, count) >= p.p_value:
                return None
            opened_at = start_of(minute_of(at))
            examples = [i for m in self._window(state) for i in state.buckets[m]][:MAX_EXAMPLES]
            incident = state.incident = Incident(
                alert_id=derive_id("alert", topic.kind.value, topic.value, opened_at.isoformat()),
                opened_at=opened_at, examples=examples, total=count)
            return self._announce(topic, state, AlertState.OPENED, at, count, self._p_value(state, count))
        incident.total += 1
        if len(incident.examples) < MAX_EXAMPLES:
            incident.examples.append(mention_id)
        if incident.total < incident.announced_total * (1 + p.update_growth):
            return None
        return self._announce(topic, state, AlertState.UPDATED, at, count, self._p_value(state, count))

    def _p_value(self, state: TopicState, count: int) -> float:
        """P(at least `count` in a window) under the baseline's Poisson."""
        expected = self.params.window_minutes * self.expected_per_minute(state)
        return float(poisson.sf(count - 1, expected))

    def _close_minutes(self, topic: AlertTopic, state: TopicState, now_minute: int) -> Alert | None:
        """Fold the minutes before `now_minute` into the baseline; count calm minutes of an incident."""
        p = self.params
        start = (state.closed_through if state.closed_through is not None else now_minute - 1) + 1
        resolution = None
        for minute, count in self._minutes(state, start, now_minute):
            # the empty minutes before this one: calm, and nothing for the baseline
            resolution = self._calm_minutes(topic, state, start, minute) or resolution
            if state.incident is not None:
                calm = count <= poisson.ppf(p.calm_quantile, self.expected_per_minute(state))
                state.incident.calm_streak = state.incident.calm_streak + 1 if calm else 0
                if state.incident.calm_streak >= p.calm_minutes:
                    resolution = self._resolve(topic, state, start_of(minute + 1))
            state.baseline *= (1 - p.alpha) ** (minute - start)
            state.baseline += p.alpha * (count - state.baseline)
            start = minute + 1
        resolution = self._calm_minutes(topic, state, start, now_minute) or resolution
        state.baseline *= (1 - p.alpha) ** (now_minute - start)
        state.closed_through = now_minute - 1
        oldest_tested = now_minute - p.window_minutes + 1
        state.buckets = {m: ids for m, ids in state.buckets.items() if m >= oldest_tested}
        return resolution

    def _calm_minutes(self, topic: AlertTopic, state: TopicState, start: int, end: int) -> Alert | None:
        """Minutes [start, end) without mentions: each a calm one for an open incident."""
        incident = state.incident
        if incident is None or end <= start:
            return None
        incident.calm_streak += end - start
        if incident.calm_streak < self.params.calm_minutes:
            return None
        return self._resolve(topic, state, start_of(end - (incident.calm_streak - self.params.calm_minutes)))

    @staticmethod
    def _minutes(state: TopicState, start: int, end: int) -> Iterator[tuple[int, int]]:
        """The closing minutes in [start, end) that had mentions, with their counts."""
        for minute in sorted(state.buckets):
            if start <= minute < end:
                yield minute, len(state.buckets[minute])

    def _resolve(self, topic: AlertTopic, state: TopicState, at: datetime) -> Alert:
        count = self._window_count(state)
        alert = self._announce(topic, state, AlertState.RESOLVED, at, count, self._p_value(state, count))
        state.incident = None
        return alert

    def _announce(self, topic: AlertTopic, state: TopicState, kind: AlertState, at: datetime, count: int,
                  p_value: float) -> Alert:
        incident = state.incident
        assert incident is not None
        incident.version += 1
        incident.announced_total = incident.total
        expected_per_minute = self.expected_per_minute(state)
        return Alert(
            event_id=derive_id("alert-event", incident.alert_id, incident.version), occurred_at=at,
            alert_id=incident.alert_id, version=incident.version, topic_kind=topic.kind, topic=topic.value,
            state=kind, window_minutes=self.params.window_minutes, window_count=count,
            expected_count=self.params.window_minutes * expected_per_minute,
            baseline_per_minute=expected_per_minute, p_value=min(1.0, max(0.0, p_value)),
            total_count=incident.total, example_mention_ids=list(incident.examples),
            opened_at=incident.opened_at, updated_at=at,
            resolved_at=at if kind is AlertState.RESOLVED else None)
