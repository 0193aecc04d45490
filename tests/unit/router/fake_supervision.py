"""An in-memory `Supervision` (heed_router.ports): the figures, alerts, SLA board and load it is given."""

from __future__ import annotations

from datetime import datetime
from typing import Any


class FakeSupervision:
    def __init__(self, figures: dict[str, Any], alerts: list[dict[str, Any]] | None = None,
                 board: dict[str, dict[str, Any]] | None = None, load: list[dict[str, Any]] | None = None) -> None:
        self.by_group = figures  # by → the figures `figures(since, by)` answers
        self.alerts = alerts or []
        self.board = board or {}
        self.load = load or []
        self.asked: list[tuple[datetime, str | None]] = []

    async def figures(self, since: datetime, by: str | None) -> dict[str, Any]:
        self.asked.append((since, by))
        return self.by_group[by or ""]

    async def open_alerts(self) -> list[dict[str, Any]]:
        return list(self.alerts)

    async def sla_board(self, now: datetime) -> dict[str, dict[str, Any]]:
        return self.board

    async def agent_load(self, now: datetime) -> list[dict[str, Any]]:
        return self.load
