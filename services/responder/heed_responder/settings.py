"""Responder settings (`HEED_` environment names)."""

from __future__ import annotations

from pydantic import Field

from heed.runtime.settings import HeedSettings


class ResponderSettings(HeedSettings):
    responder_brand: str = Field(default="Lumo", description="The brand name used in replies")
    responder_hotline: str = Field(default="400-820-0000", description="Public hotline named in holding replies")
    responder_channel_adapter: str = Field(
        default="sandbox", description="Outbound adapter: `sandbox` records every message in PostgreSQL instead of "
                                      "sending it; `platforms` sends through each platform's API")
    responder_tick_s: float = Field(
        default=2.0, gt=0, description="How often the responder reads back replies left `sending` by a stopped "
                                       "responder, sends replies a platform asked to retry, and reports them")
    responder_stuck_after_s: float = Field(
        default=30.0, gt=0, description="A reply `sending` for longer than this is read back from its platform "
                                        "(longer than any platform call takes)")
