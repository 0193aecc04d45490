"""The crisis detector on event time: a spike opens one incident, normal traffic opens none, calm resolves."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from heed.contracts.events import (
    Alert,
    AlertState,
    AlertTopicKind,
    Category,
    ClassifiedMention,
    IssueType,
)
from heed_router.domain.alerts import AlertDetector, AlertParameters, AlertTopic, is_negative, topics_of
from tests.unit.factories import classification, mention

START = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
ISSUES = [IssueType.PRODUCT_QUALITY, IssueType.SHIPPING_DELIVERY, IssueType.BILLING,
          IssueType.SERVICE_ATTITUDE, IssueType.USAGE_DIFFICULTY]


def negative(at: datetime, issue: IssueType | None = IssueType.PRODUCT_QUALITY, matched: tuple[str, ...] = (),
             sentiment: float = -0.6, category: Category = Category.COMPLAINT) -> ClassifiedMention:
    m = mention("It broke again", received_at=at, created_at=at, matched=list(matched))
    return ClassifiedMention(event_id=uuid.uuid4(), mention_id=m.mention_id, mention=m,
                             classification=classification(category, issue_type=issue, sentiment=sentiment))


def feed(detector: AlertDetector, *mentions: ClassifiedMention) -> list[Alert]:
    return [alert for m in mentions for alert in detector.observe(m)]


def normal_hour(rng: random.Random, start: datetime = START) -> list[ClassifiedMention]:
    """2–5 negative mentions a minute for an hour, spread over the issue types and two keywords."""
    out = []
    for minute in range(60):
        for _ in range(rng.randint(2, 5)):
            at = start + timedelta(minutes=minute, seconds=rng.uniform(0, 59.9))
            matched = (rng.choice(["lumo x2", "lumo app"]),) if rng.random() < 0.3 else ()
            out.append(negative(at, rng.choice(ISSUES), matched))
    return sorted(out, key=lambda c: c.mention.received_at)


def spike(start: datetime, n: int = 60, minutes: float = 2, issue: IssueType = IssueType.PRODUCT_QUALITY,
          ) -> list[ClassifiedMention]:
    step = timedelta(minutes=minutes) / n
    return [negative(start + i * step, issue) for i in range(n)]


def test_sixty_negative_mentions_on_one_topic_in_two_minutes_on_a_quiet_baseline_open_exactly_one_incident():
    detector = AlertDetector()
    burst = spike(START)
    alerts = feed(detector, *burst)

    opened = [a for a in alerts if a.state is AlertState.OPENED]
    assert len(opened) == 1 and len({a.alert_id for a in alerts}) == 1
    [first] = opened
    assert (first.topic_kind, first.topic) == (AlertTopicKind.ISSUE_TYPE, "product_quality")
    assert first.window_count >= 10 and first.p_value < 1e-4 and first.expected_count == 4.0
    assert first.example_mention_ids == [m.mention_id for m in burst[:len(first.example_mention_ids)]]
    assert len(first.example_mention_ids) == 10
    # it grew: updates follow, each a new version of the same incident with a higher total
    updates = [a for a in alerts if a.state is AlertState.UPDATED]
    assert updates and [a.version for a in alerts] == list(range(1, len(alerts) + 1))
    assert [a.total_count for a in alerts] == sorted(a.total_count for a in alerts)
    assert alerts[-1].total_count <= 60 and len({a.event_id for a in alerts}) == len(alerts)
    assert all(a.opened_at == START for a in alerts)


def test_the_same_spike_after_an_hour_of_normal_traffic_opens_one_incident_and_normal_traffic_none():
    rng = random.Random(9)
    detector = AlertDetector()
    assert feed(detector, *normal_hour(rng)) == []
    alerts = feed(detector, *spike(START + timedelta(hours=1), issue=IssueType.BILLING))
    assert [a.state for a in alerts if a.state is AlertState.OPENED] == [AlertState.OPENED]
    assert {(a.topic_kind, a.topic) for a in alerts} == {(AlertTopicKind.ISSUE_TYPE, "billing")}


@pytest.mark.parametrize("seed", range(5))
def test_normal_traffic_for_an_hour_raises_no_alert(seed):
    detector = AlertDetector()
    assert feed(detector, *normal_hour(random.Random(seed))) == []
    assert detector.pending == []


def test_a_busy_topic_learns_its_baseline_and_a_burst_at_its_usual_rate_is_no_incident():
    detector = AlertDetector()
    # 8 a minute on one topic for an hour: above the floor, so the baseline learns it
    steady = [negative(START + timedelta(minutes=m, seconds=7 * i)) for m in range(60) for i in range(8)]
    alerts = feed(detector, *steady)
    # the first minutes may alarm while the baseline learns; by the end it is resolved and quiet
    assert not alerts or alerts[-1].state is AlertState.RESOLVED
    assert feed(detector, *[negative(START + timedelta(minutes=60, seconds=5 * i)) for i in range(10)]) == []


def test_an_incident_resolves_after_calm_minutes_and_a_new_spike_is_a_new_incident():
    params = AlertParameters(calm_minutes=10)
    detector = AlertDetector(params)
    first = feed(detector, *spike(START))
    # quiet: a mention on another topic a minute moves the clock on
    calm = [negative(START + timedelta(minutes=2 + m), IssueType.BILLING, sentiment=-0.5) for m in range(15)]
    after = feed(detector, *calm)
    [resolved] = [a for a in after if a.alert_id == first[0].alert_id]
    assert resolved.state is AlertState.RESOLVED and resolved.version == first[-1].version + 1
    # the last busy minute is 08:01; ten calm minutes later, at 08:12, it is resolved
    assert resolved.resolved_at == resolved.updated_at == START + timedelta(minutes=12)
    assert resolved.opened_at == START and resolved.total_count == 60

    again = feed(detector, *spike(START + timedelta(minutes=30)))
    assert again[0].state is AlertState.OPENED and again[0].alert_id != first[0].alert_id


def test_advancing_the_clock_alone_resolves_an_incident_without_traffic():
    detector = AlertDetector()
    opened = feed(detector, *spike(START))
    [resolved] = detector.advance(START + timedelta(minutes=30))
    assert resolved.state is AlertState.RESOLVED and resolved.alert_id == opened[0].alert_id
    assert resolved.resolved_at == START + timedelta(minutes=12)


def test_a_replayed_spike_yields_the_same_alerts_with_the_same_ids():
    burst = spike(START)
    once, twice = feed(AlertDetector(), *burst), feed(AlertDetector(), *burst)
    assert [a.event_id for a in once] == [a.event_id for a in twice]
    assert once == twice


def test_a_redelivered_mention_counts_once():
    detector = AlertDetector()
    m = negative(START)
    alerts = feed(detector, *[m] * 60)
    assert alerts == []


def test_pending_alerts_stay_until_acknowledged():
    detector = AlertDetector()
    alerts = feed(detector, *spike(START))
    assert detector.pending == alerts
    detector.acknowledge(alerts[:1])
    assert detector.pending == alerts[1:]
    detector.acknowledge(alerts)
    assert detector.pending == []


def test_listening_matches_are_topics_of_their_own_and_positive_mentions_do_not_count():
    detector = AlertDetector()
    at = [START + timedelta(seconds=2 * i) for i in range(60)]
    praise = [negative(t, None, ("Lumo X2",), sentiment=0.8, category=Category.PRAISE) for t in at]
    assert feed(detector, *praise) == []
    complaints = [negative(t + timedelta(minutes=5), None, ("Lumo X2", "executive:ceo")) for t in at]
    alerts = feed(detector, *complaints)
    assert {(a.topic_kind, a.topic) for a in alerts if a.state is AlertState.OPENED} == {
        (AlertTopicKind.LISTENING, "lumo x2"), (AlertTopicKind.LISTENING, "executive:ceo")}


def test_negative_means_a_complaint_or_a_sentiment_below_the_threshold():
    params = AlertParameters()
    assert is_negative(negative(START, sentiment=0.5, category=Category.COMPLAINT), params)
    assert is_negative(negative(START, sentiment=-0.3, category=Category.QUESTION), params)
    assert not is_negative(negative(START, sentiment=-0.1, category=Category.QUESTION), params)
    assert topics_of(negative(START, IssueType.BILLING, (" Lumo ", "lumo"))) == [
        AlertTopic(AlertTopicKind.ISSUE_TYPE, "billing"), AlertTopic(AlertTopicKind.LISTENING, "lumo")]


def test_parameters_refuse_nonsense():
    with pytest.raises(ValueError, match="p_value"):
        AlertParameters(p_value=2)
    with pytest.raises(ValueError, match="window_minutes"):
        AlertParameters(window_minutes=0)
