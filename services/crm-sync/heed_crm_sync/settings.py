"""crm-sync settings (`HEED_` environment names); keys only from the environment."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field, SecretStr, field_validator

from heed.runtime.bearer import BearerTokens
from heed.runtime.settings import HeedSettings

if TYPE_CHECKING:
    from heed_crm_sync.api import Scope


class CrmSyncSettings(HeedSettings):
    crm_data_key: SecretStr | None = Field(
        default=None, description="AES-256-GCM keys for contact points and the details customers type: "
                                  "comma-separated base64 of 32 bytes each, newest first (it encrypts; the "
                                  "others still decrypt). Unset: the verification page answers 503")
    secure_link_key: SecretStr | None = Field(
        default=None, description="HMAC keys of secure verification links, shared with the responder that "
                                  "issues them: comma-separated base64 (32 bytes or more), newest first")
    verify_max_attempts: int = Field(
        default=5, ge=1, description="Wrong identity checks a link allows; the last one spends it")
    verify_form_ttl_s: int = Field(
        default=1800, ge=60, description="How long an opened verification page's form may be submitted")
    verify_hsts: bool = Field(
        default=False, description="Send Strict-Transport-Security on the verification page even when the "
                                   "request reached crm-sync over plain HTTP (TLS ends at a proxy in front)")
    crm_api_tokens: SecretStr | None = Field(
        default=None, description="The customers API's bearer tokens: comma-separated name:scope+scope:token "
                                  "(scopes read, contact, write, merge, export, erase); unset: the API answers 503")
    crm_field_owners: str = Field(
        default="", description="Which system owns each shared field, over the defaults (email, phone, "
                                "display_name, preferences: heed; tier, owner, marketing_consent: crm): "
                                "comma-separated field=heed|crm")

    hubspot_token: SecretStr | None = Field(
        default=None, description="HubSpot private-app token; set: every customer and interaction is synced "
                                  "with HubSpot both ways")
    hubspot_base_url: str = Field(default="https://api.hubapi.com", description="HubSpot's API base URL")
    hubspot_client_secret: SecretStr | None = Field(
        default=None, description="The HubSpot app's client secret, which signs its webhooks (v3); unset: "
                                  "webhooks are refused and changes arrive by polling only")
    hubspot_webhook_url: str | None = Field(
        default=None, description="The webhook URL as configured in HubSpot (it signs that URL; behind a "
                                  "proxy it differs from what crm-sync sees)")
    hubspot_webhook_ignore_sources: str = Field(
        default="", description="HubSpot webhook `changeSource` values whose changes crm-sync does not take, "
                                "comma-separated (e.g. INTEGRATION, when the portal's other integrations must not "
                                "change Heed's records); Heed's own writes are recognised as echoes either way")
    salesforce_instance_url: str | None = Field(default=None, description="The Salesforce org's instance URL")
    salesforce_token: SecretStr | None = Field(
        default=None, description="Salesforce OAuth access token; set with the instance URL: synced both ways")
    salesforce_api_version: str = Field(default="v60.0")
    crm_sync_every_s: float = Field(default=5.0, gt=0, description="How often changes are pushed to and "
                                                                   "polled from the external CRMs")

    @field_validator("hubspot_token", "hubspot_client_secret", "hubspot_webhook_url", "salesforce_token",
                     "salesforce_instance_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # secrets.env.example and compose leave a CRM's settings empty until it is connected: an empty
        # token would sync with no credentials, an empty client secret would make a webhook signature
        # anyone can compute
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        return None if isinstance(text, str) and not text.strip() else value

    def api_tokens(self) -> BearerTokens[frozenset[Scope]]:
        """The customers API's tokens; the service calls this as it starts, so a malformed setting stops it.

        Raises BearerTokensError naming the entry's position, never a token. Not a field validator:
        pydantic's error would quote the value.
        """
        from heed_crm_sync.api import parse_tokens  # the format is the API's

        return parse_tokens(self.crm_api_tokens.get_secret_value() if self.crm_api_tokens is not None else None)

    def hubspot_ignored_sources(self) -> frozenset[str]:
        """The webhook `changeSource` values whose changes are not taken."""
        return frozenset(s.strip() for s in self.hubspot_webhook_ignore_sources.split(",") if s.strip())

    @field_validator("crm_field_owners")
    @classmethod
    def _owners_parse(cls, value: str) -> str:
        from heed_crm_sync.domain.ownership import parse_owners

        parse_owners(value)
        return value
