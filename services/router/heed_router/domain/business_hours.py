"""SLA due times that count only a department's open hours: pure, no I/O.

A department without business hours in the rules file counts wall-clock time. With them, the
clock stops outside open hours, on closed weekdays and on holidays, in the department's own time
zone (so a daylight-saving change moves the opening hour in UTC, not in local time).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from heed_router.domain.rules import BusinessHours, RuleTable

_MAX_DAYS = 3 * 366  # an SLA is at most 7 days of open time; a year of holidays cannot stall it forever


def sla_due(table: RuleTable, department: str, start: datetime, due: timedelta) -> datetime:
    """When `due` of the department's open time has passed since `start` (an aware time; UTC out)."""
    hours = table.business_hours.get(department)
    if hours is None:
        return start + due
    return add_open_time(hours, start, due)


def add_open_time(hours: BusinessHours, start: datetime, due: timedelta) -> datetime:
    zone = hours.zone
    opens, closes = hours.opening()
    left = due
    local = start.astimezone(zone)
    day = local.date()
    for _ in range(_MAX_DAYS):
        if hours.open_on(day):
            day_open = datetime.combine(day, opens, zone)
            day_close = datetime.combine(day, closes, zone)
            begin = max(local, day_open)
            if begin < day_close:
                available = day_close - begin
                if left <= available:
                    return (begin + left).astimezone(UTC)
                left -= available
        day += timedelta(days=1)
    raise ValueError(f"no open time within {_MAX_DAYS} days: check the business hours' days and holidays")


def open_time_between(hours: BusinessHours, start: datetime, end: datetime) -> timedelta:
    """The department's open time from `start` to `end` (the inverse of add_open_time; for tests and reports)."""
    zone = hours.zone
    opens, closes = hours.opening()
    total = timedelta(0)
    day = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    while day <= last:
        if hours.open_on(day):
            begin = max(start, datetime.combine(day, opens, zone))
            finish = min(end, datetime.combine(day, closes, zone))
            if finish > begin:
                total += finish - begin
        day += timedelta(days=1)
    return total
