"""Router settings (`HEED_` environment names)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from heed.runtime.settings import ErasureKeySettings, HeedSettings
from heed_router.domain.customers import OwnerAgents


class RouterSettings(ErasureKeySettings):
    # a refused setting's message never repeats its value: HEED_API_TOKENS holds secrets
    model_config = SettingsConfigDict(**{**HeedSettings.model_config, "hide_input_in_errors": True})

    alert_webhook_url: str | None = Field(
        default=None, description="Where each crisis alert is POSTed as JSON; unset means no notification")
    alert_webhook_secret: str | None = Field(
        default=None, description="HMAC-SHA256 key of the X-Heed-Signature header; required with the URL")
    alert_webhook_timeout_s: float = Field(default=5.0, gt=0, description="Per attempt")
    alert_webhook_attempts: int = Field(default=5, ge=1, description="Attempts per alert before giving up")

    @model_validator(mode="after")
    def _a_webhook_is_signed(self) -> RouterSettings:
        if self.alert_webhook_url and not self.alert_webhook_secret:
            raise ValueError("HEED_ALERT_WEBHOOK_URL is set without HEED_ALERT_WEBHOOK_SECRET: "
                             "alerts are only sent signed; set the secret the receiver verifies with")
        return self

    router_rules: Path | None = Field(
        default=None, description="Routing rules and SLA policies (YAML); unset = deploy/config/routing-rules.yaml")
    router_rules_poll_s: float = Field(
        default=3.0, gt=0, description="How often the rules file is checked for edits, in seconds")
    router_timer_poll_s: float = Field(
        default=1.0, gt=0, description="How often due case timers (SLA warning and breach, claims, follow-ups, "
                                       "closes) are looked for, in seconds")
    api_tokens: SecretStr | None = Field(
        default=None, description="The cases API's bearer tokens: comma-separated name:role:token "
                                  "(roles agent, supervisor, reader, system); unset: the API answers 503")

    router_owner_agents: str | None = Field(
        default=None, description="Which agent each CRM owner is, to reserve their customers' new cases for: "
                                  "comma-separated crm-owner-id=agent-name (HubSpot owner ids, Salesforce OwnerIds; "
                                  "the names those of HEED_API_TOKENS). An owner that is an agent's name already "
                                  "needs no entry; any other owner reserves nothing")

    @field_validator("router_owner_agents")
    @classmethod
    def _owner_agents_parse(cls, value: str | None) -> str | None:
        OwnerAgents.parse(value, ())  # the format is refused at start, naming the entry
        return value

    def owner_agents(self) -> OwnerAgents:
        """HEED_ROUTER_OWNER_AGENTS, for the agents HEED_API_TOKENS names."""
        from heed_router.api import ApiTokens

        tokens = ApiTokens.parse(self.api_tokens.get_secret_value() if self.api_tokens is not None else None)
        return OwnerAgents.parse(self.router_owner_agents, tokens.agents())

    @field_validator("api_tokens")
    @classmethod
    def _tokens_parse(cls, value: SecretStr | None) -> SecretStr | None:
        from heed_router.api import ApiTokens  # the format is the API's; refused at start, not at first use

        ApiTokens.parse(value.get_secret_value() if value is not None else None)
        return value

    env: str = Field(default="development", description="HEED_ENV: `production` refuses the demo login and always "
                                                        "sets the console's cookies Secure")
    console_crm_url: str | None = Field(
        default=None, description="crm-sync's base URL, for the console's customer panel (e.g. http://crm-sync:8084)")
    console_crm_token: SecretStr | None = Field(
        default=None, description="A bearer token of HEED_CRM_API_TOKENS with the read scope, for the console")
    console_responder_url: str | None = Field(
        default=None, description="The responder's base URL, for the console's previews, snippets and secure links")
    console_responder_token: SecretStr | None = Field(
        default=None, description="A bearer token of the responder's HEED_RESPONDER_API_TOKENS, for the console")

    console_trusted_proxies: str = Field(
        default="", description="The proxies in front of the router, comma-separated addresses or networks "
                                "(e.g. 10.0.0.0/8): only from them is X-Forwarded-For believed, for the console's "
                                "login rate limit per client address; unset, the connection's own address counts")

    @field_validator("console_trusted_proxies")
    @classmethod
    def _proxies_parse(cls, value: str) -> str:
        from heed_router.domain.accounts import parse_proxies

        parse_proxies(value)
        return value

    @property
    def production(self) -> bool:
        return self.env.strip().lower() == "production"
