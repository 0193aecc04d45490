"""Ingest settings (`HEED_` environment names)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from heed.runtime.settings import ErasureKeySettings

# a list set in the environment as one comma-separated value: HEED_LISTEN_KEYWORDS=Lumo,AirFryer X2
CommaList = Annotated[list[str], NoDecode]


class IngestSettings(ErasureKeySettings):
    # HEED_ERASURE_KEY and identity_hashes() come from ErasureKeySettings: the router and responder read it too

    dlq_retention_days: int = Field(
        default=30, ge=1, description="Dead letters (with their personal data) are deleted this many days "
                                      "after they failed: by ingest hourly and by `heed dlq purge --retention`")
    ingest_api_tokens: CommaList = Field(
        default_factory=list, description="Comma-separated bearer tokens accepted by POST /v1/mentions")
    ingest_max_body_bytes: int = Field(default=1_048_576, description="Larger bodies get 413")
    meta_app_secret: str = Field(default="", description="Meta app secret: checks X-Hub-Signature-256")
    meta_verify_token: str = Field(default="", description="Answers Meta's hub.challenge subscription check")
    meta_access_token: str = Field(default="", description="Graph API token: fetches Instagram @mention text")
    meta_graph_base: str = Field(default="https://graph.facebook.com/v21.0", description="Graph API base URL")
    x_consumer_secret: str = Field(default="", description="X app consumer secret: CRC and signatures")
    wechat_token: str = Field(default="", description="WeChat Official Account server token")
    weibo_app_secret: str = Field(default="", description="Weibo fans-service push token")
    wechat_encoding_aes_key: str = Field(
        default="", description="WeChat EncodingAESKey (43 characters): safe-mode messages are decrypted with it")
    wechat_app_id: str = Field(default="", description="WeChat AppID, checked inside every decrypted message")
    webhook_max_age_s: int = Field(
        default=300, gt=0, description="WeChat and Weibo: signed timestamps older or further ahead get 401")
    x_crc_rate_per_s: float = Field(default=1.0, gt=0, description="X CRC challenges answered per second")
    x_crc_burst: int = Field(default=10, ge=1, description="X CRC challenges answered in a burst before 429")
    x_bearer_token: str = Field(default="", description="X API bearer token for the search poller")
    x_api_base: str = Field(default="https://api.x.com", description="X API base URL")
    weibo_access_token: str = Field(default="", description="Weibo access token for the mention poller")
    weibo_account_id: str = Field(default="", description="Weibo uid of the polled account (the mentions' addressee)")
    weibo_api_base: str = Field(default="https://api.weibo.com", description="Weibo open API base URL")
    poll_interval_s: float = Field(default=60.0, gt=0, description="Seconds between polls of each source")
    listen_keywords: CommaList = Field(
        default_factory=list, description="Comma-separated brand and product names to listen for")
    listen_executives: CommaList = Field(
        default_factory=list,
        description="Comma-separated executives' names and @handles; their mentions are marked executive:")
    x_account_ids: CommaList = Field(
        default_factory=list, description="Comma-separated X user ids whose mentions are polled")

    @field_validator("ingest_api_tokens", "listen_keywords", "listen_executives", "x_account_ids", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        """"a, b,,c" → ["a", "b", "c"]: spaces around each item and empty items dropped."""
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    def retention(self) -> timedelta:
        """How long a dead letter (and the personal data in its body) is kept."""
        return timedelta(days=self.dlq_retention_days)
