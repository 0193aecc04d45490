"""Responder settings (`HEED_` environment names)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator

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
    responder_time_zone: str = Field(default="UTC", description="The brand's time zone: due times in replies are "
                                                                  "written in it (an IANA name, e.g. Asia/Hong_Kong)")
    responder_market: str | None = Field(
        default=None, description="The brand's market (HK, MO, TW, CN…): the Traditional Chinese standard of replies "
                                  "when the post itself shows none")
    secure_link_key: SecretStr | None = Field(
        default=None, description="HMAC keys of secure verification links (the same as crm-sync's): comma-separated "
                                  "base64, newest first; unset, private handling names no link")
    responder_verify_url: str | None = Field(
        default=None, description="Where customers open the verification page, up to the token: crm-sync's "
                                  "/verify behind TLS, e.g. https://care.example.com/verify")
    responder_link_ttl_s: int = Field(default=86400, gt=0, description="How long a secure link works")

    @field_validator("responder_time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}: give an IANA name such as Asia/Hong_Kong") from None
        return value
