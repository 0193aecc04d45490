"""The rules file's lifecycle keys: escalations, follow-ups, windows, chasers, business hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heed.contracts.events import Category, CustomerTier, Urgency
from heed_router.domain.business_hours import add_open_time, open_time_between, sla_due
from heed_router.domain.rules import BusinessHours, RulesError, is_chaser, parse_rules, route
from tests.unit.factories import classification, mention
from tests.unit.router.builtin_rules import SHIPPED_RULES
from tests.unit.router.test_rules_file import VALID

LIFECYCLE = VALID.replace("  slow: {due: 4h}\n", """\
  slow: {due: 4h, escalation: {raise_priority: 20, move_to: supervisors, notify: false}}
lifecycle: {reopen_window: 2d, claim_timeout: 90s, agent_capacity: 3}
chasers: {keywords: [still waiting, 还没回复], raise_to: critical}
business_hours:
  customer-service: {timezone: Asia/Hong_Kong, start: "09:00", end: "18:00", holidays: [2026-12-25]}
""").replace("    sla: slow\n", "    sla: slow\n    follow_up: 2h\n")


def _problem(text: str) -> str:
    with pytest.raises(RulesError) as raised:
        parse_rules(text, "routing-rules.yaml")
    return str(raised.value)


def test_lifecycle_keys_are_read_and_carried_on_the_decision():
    table = parse_rules(LIFECYCLE, "routing-rules.yaml")
    assert table.lifecycle.reopen_window == timedelta(days=2) and table.lifecycle.claim_timeout == timedelta(seconds=90)
    assert table.lifecycle.agent_capacity == 3 and table.chasers.raise_to is Urgency.CRITICAL
    decision = route(table, mention("thanks"), classification(Category.PRAISE), CustomerTier.STANDARD)
    assert decision.rule_id == "rest" and decision.follow_up == timedelta(hours=2)
    assert (decision.escalation.raise_priority, decision.escalation.move_to, decision.escalation.notify) == (
        20, "supervisors", False)


def test_defaults_when_the_keys_are_absent():
    table = parse_rules(VALID, "routing-rules.yaml")
    assert table.lifecycle.reopen_window == timedelta(days=3) and table.lifecycle.agent_capacity == 5
    assert table.chasers.keywords == [] and not is_chaser(table, "still waiting")
    assert table.sla_policies["fast"].escalation.raise_priority == 10
    assert table.business_hours == {}


@pytest.mark.parametrize(("edit", "expected"), [
    (("    sla: slow\n    follow_up: 2h\n", "    sla: slow\n    follow_up: 40d\n"), "line 21, rule 'rest'"),
    (("    mode: acknowledge\n", "    mode: ignore\n"), "rule 'rest': a rule whose mode is ignore (spam) cannot have"),
    (("agent_capacity: 3", "agent_capacity: 0"), "line 5"),
    (("timezone: Asia/Hong_Kong", "timezone: Mars/Olympus"), "unknown time zone 'Mars/Olympus'"),
    (('end: "18:00"', 'end: "08:00"'), "end 08:00 is not after start 09:00"),
    (("raise_priority: 20", "raise_priority: 200"), "line 4"),
])
def test_bad_lifecycle_values_name_their_line_and_rule(edit, expected):
    assert expected in _problem(LIFECYCLE.replace(*edit))


def test_unquoted_times_and_a_bad_date_get_errors_with_their_line_not_a_crash():
    unquoted = LIFECYCLE.replace('start: "09:00", end: "18:00"', "start: 09:00, end: 18:00")
    table = parse_rules(unquoted, "routing-rules.yaml")  # a time of day, not the number 540
    assert table.business_hours["customer-service"].end == "18:00"
    problem = _problem(LIFECYCLE.replace("holidays: [2026-12-25]", "holidays: [2026-13-01]"))
    assert problem.startswith("routing-rules.yaml line 8") and "holidays" in problem


@pytest.mark.parametrize("text", ["still waiting, 3 hours", "Still waiting for a reply!", "订单还没回复我",
                                  "等咗好耐都冇人理", "ยังรออยู่นะคะ", "anyone there?"])
def test_the_shipped_chasers_recognise_a_customer_chasing_an_answer(text):
    assert is_chaser(SHIPPED_RULES, text)


@pytest.mark.parametrize("text", ["How do I reset my vacuum?", "我想问一下营业时间", "waiting room was clean"])
def test_ordinary_posts_are_not_chasers(text):
    assert not is_chaser(SHIPPED_RULES, text)


HK = BusinessHours.model_validate({"timezone": "Asia/Hong_Kong", "start": "09:00", "end": "18:00",
                                  "holidays": ["2026-12-25"]})
LONDON = BusinessHours(timezone="Europe/London", days=["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                       start="08:00", end="20:00")


def test_friday_evening_is_due_on_monday_morning_local_time():
    friday = datetime(2026, 11, 20, 17, 50, tzinfo=HK.zone)  # a Friday
    assert add_open_time(HK, friday, timedelta(minutes=30)) == datetime(2026, 11, 23, 9, 20, tzinfo=HK.zone)


def test_a_holiday_does_not_count():
    eve = datetime(2026, 12, 24, 17, 0, tzinfo=HK.zone)
    assert add_open_time(HK, eve, timedelta(hours=2)) == datetime(2026, 12, 28, 10, 0, tzinfo=HK.zone)


def test_hours_follow_local_time_across_a_daylight_saving_change():
    saturday = datetime(2026, 10, 24, 19, 0, tzinfo=LONDON.zone)  # clocks go back on Sunday 25 October
    due = add_open_time(LONDON, saturday, timedelta(hours=2))
    assert due == datetime(2026, 10, 25, 9, 0, tzinfo=LONDON.zone)
    assert due == datetime(2026, 10, 25, 9, 0, tzinfo=UTC)  # GMT after the change


def test_departments_without_hours_count_every_hour():
    start = datetime(2026, 11, 21, 23, 0, tzinfo=UTC)
    assert sla_due(SHIPPED_RULES, "billing", start, timedelta(minutes=30)) == start + timedelta(minutes=30)


@settings(max_examples=200, deadline=None)
@given(start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)),
       minutes=st.integers(min_value=1, max_value=7 * 24 * 60), hours=st.sampled_from([HK, LONDON]))
def test_the_due_time_counts_exactly_the_sla_in_open_time(start, minutes, hours):
    due = add_open_time(hours, start, timedelta(minutes=minutes))
    assert due >= start + timedelta(minutes=minutes) - timedelta(hours=1)  # never sooner (an hour of DST aside)
    assert open_time_between(hours, start, due) == timedelta(minutes=minutes)
