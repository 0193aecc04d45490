"""Router settings (`HEED_` environment names)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from heed.runtime.settings import HeedSettings


class RouterSettings(HeedSettings):
    router_rules: Path | None = Field(
        default=None, description="Routing rules and SLA policies (YAML); unset = deploy/config/routing-rules.yaml")
    router_rules_poll_s: float = Field(
        default=3.0, gt=0, description="How often the rules file is checked for edits, in seconds")
