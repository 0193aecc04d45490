"""Responder settings (`HEED_` environment names)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from heed.runtime.settings import ErasureKeySettings, HeedSettings


class ResponderSettings(ErasureKeySettings):
    # a refused setting's message never repeats its value: HEED_RESPONDER_API_TOKENS holds secrets
    model_config = SettingsConfigDict(**{**HeedSettings.model_config, "hide_input_in_errors": True})

    responder_templates: Path | None = Field(
        default=None, description="The replies file: templates and the brand per account (YAML, hot-reloaded); "
                                  "unset, the example shipped in deploy/config/replies.yaml")
    responder_knowledge: Path | None = Field(
        default=None, description="The knowledge base: checked answers to general questions (YAML, hot-reloaded); "
                                  "unset, the example shipped in deploy/config/knowledge.yaml")
    responder_templates_poll_s: float = Field(
        default=3.0, gt=0, description="How often the replies file and the knowledge base are checked")
    responder_channel_adapter: str = Field(
        default="sandbox", description="Outbound adapter: `sandbox` records every message in PostgreSQL instead of "
                                      "sending it; `platforms` sends through each platform's API")
    responder_tick_s: float = Field(
        default=2.0, gt=0, description="How often the responder reads back replies left `sending` by a stopped "
                                       "responder, sends replies a platform asked to retry, and reports them")
    responder_stuck_after_s: float = Field(
        default=30.0, gt=0, description="A reply `sending` for longer than this is read back from its platform "
                                        "(longer than any platform call takes)")
    secure_link_key: SecretStr | None = Field(
        default=None, description="HMAC keys of secure verification links (the same as crm-sync's): comma-separated "
                                  "base64, newest first; unset, private handling names no link")
    responder_verify_url: str | None = Field(
        default=None, description="Where customers open the verification page, up to the token: crm-sync's "
                                  "/verify behind TLS, e.g. https://care.example.com/verify")
    responder_link_ttl_s: int = Field(default=86400, gt=0, description="How long a secure link works")

    responder_api_tokens: SecretStr | None = Field(
        default=None, description="Bearer tokens of the answering API at /v1 (previews, snippets, secure links) the "
                                  "agent console calls: comma-separated name:console:token; unset, it answers 503")

    @field_validator("responder_api_tokens")
    @classmethod
    def _tokens_parse(cls, value: SecretStr | None) -> SecretStr | None:
        from heed_responder.api import parse_tokens  # refused at start, naming the entry, never the token

        parse_tokens(value.get_secret_value() if value is not None else None)
        return value
