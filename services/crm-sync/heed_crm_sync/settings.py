"""crm-sync settings (`HEED_` environment names); keys only from the environment."""

from __future__ import annotations

from pydantic import Field, SecretStr

from heed.runtime.settings import HeedSettings


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
