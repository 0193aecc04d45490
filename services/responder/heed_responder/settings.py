"""Responder settings (`HEED_` environment names)."""

from __future__ import annotations

from pydantic import Field

from heed.runtime.settings import HeedSettings


class ResponderSettings(HeedSettings):
    responder_brand: str = Field(default="Lumo", description="The brand name used in replies")
    responder_hotline: str = Field(default="400-820-0000", description="Public hotline named in holding replies")
    responder_channel_adapter: str = Field(
        default="sandbox", description="Outbound adapter; `sandbox` records every sent message in PostgreSQL")
