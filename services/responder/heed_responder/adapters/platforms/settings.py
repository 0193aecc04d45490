"""Settings of the platform adapters (`HEED_` environment names).

Credentials are per brand account: a mapping from the account a mention addressed (the X user id,
the Facebook Page id, the Instagram account id, the WhatsApp phone-number id, the Weibo uid, the
WeChat original id, the LinkedIn organization) to its credentials, given as JSON in one variable,
for example `HEED_X_ACCOUNTS='{"1234": {"bearer_token": "..."}}'`. Tokens are SecretStr and have no
default: they come from the environment only. Base URLs point the adapters at a stand-in in tests.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from heed_responder.adapters.platforms.http import HttpPolicy


class XAccount(BaseModel):
    bearer_token: SecretStr = Field(description="OAuth 2.0 user-context token of the brand's X account")
    user_id: str | None = Field(default=None, description="The brand's X user id; defaults to the account key")


class MetaAccount(BaseModel):
    """A Facebook Page or an Instagram professional account (sends as the account key's id)."""

    access_token: SecretStr = Field(description="Page access token (pages_messaging, pages_manage_engagement…)")


class WhatsAppNumber(BaseModel):
    access_token: SecretStr = Field(description="System-user token with whatsapp_business_messaging")
    template_name: str | None = Field(
        default=None, description="Approved template sent outside the 24-hour window; overrides the default")
    template_language: str | None = Field(default=None, description="That template's language code")


class WeiboAccount(BaseModel):
    access_token: SecretStr = Field(description="OAuth 2.0 token of the brand's Weibo account (comments)")
    fans_access_token: SecretStr | None = Field(
        default=None, description="Fans-service (粉丝服务) token for private messages; defaults to access_token")
    uid: str | None = Field(default=None, description="The brand's Weibo uid; defaults to the account key")


class WeChatAccount(BaseModel):
    appid: str
    secret: SecretStr = Field(description="AppSecret of the Official Account")


class LinkedInAccount(BaseModel):
    access_token: SecretStr = Field(description="Token with w_organization_social and r_organization_social")
    organization: str | None = Field(
        default=None, description="urn:li:organization:<id>; defaults to the account key")


class PlatformSettings(BaseSettings):
    """Base URLs, credentials per account and HTTP policy for the outbound platform adapters."""

    model_config = SettingsConfigDict(env_prefix="HEED_", extra="ignore")

    platform_timeout_s: float = Field(default=10.0, description="Per request; past it a send is `unknown`")
    platform_max_wait_s: float = Field(
        default=5.0, description="A rate-limit wait up to this long is waited out; a longer one returns `retry`")
    platform_attempts: int = Field(default=3, ge=1, description="Requests per send for what the platform refused")
    platform_backoff_s: float = Field(default=0.5, description="First retry backoff; doubles each attempt")

    x_base_url: str = "https://api.x.com"
    x_accounts: dict[str, XAccount] = Field(default_factory=dict)
    x_read_back_posts: int = Field(default=100, ge=5, le=100, description="Recent posts a read-back looks through")

    graph_base_url: str = Field(default="https://graph.facebook.com/v23.0",
                                description="Graph API host and version (Facebook, Messenger, Instagram, WhatsApp)")
    facebook_pages: dict[str, MetaAccount] = Field(default_factory=dict, description="Page id → token (also Messenger)")
    instagram_accounts: dict[str, MetaAccount] = Field(default_factory=dict, description="IG user id → token")
    meta_usage_hold_s: float = Field(
        default=300.0, description="How long to rest when X-App-Usage reaches 100% (the header gives no time)")
    whatsapp_numbers: dict[str, WhatsAppNumber] = Field(default_factory=dict, description="Phone-number id → token")
    whatsapp_template_name: str | None = Field(
        default=None, description="Approved template sent outside the 24-hour window; none: refuse instead")
    whatsapp_template_language: str = "en_US"
    whatsapp_template_text_parameter: bool = Field(
        default=True, description="Pass the reply's text as the template body's single parameter {{1}}")

    weibo_base_url: str = "https://api.weibo.com"
    weibo_fans_base_url: str = Field(default="https://m.api.weibo.com", description="Fans-service messages host")
    weibo_accounts: dict[str, WeiboAccount] = Field(default_factory=dict)
    weibo_rate_limit_hold_s: float = Field(
        default=600.0, description="Weibo's limits are hourly and it sends no reset time: rest this long")

    wechat_base_url: str = "https://api.weixin.qq.com"
    wechat_accounts: dict[str, WeChatAccount] = Field(default_factory=dict, description="Original id (gh_…) → app")
    wechat_token_margin_s: float = Field(default=300.0, description="Refresh the access token this long before expiry")

    linkedin_base_url: str = "https://api.linkedin.com"
    linkedin_version: str = Field(default="202506", description="LinkedIn-Version header (YYYYMM)")
    linkedin_accounts: dict[str, LinkedInAccount] = Field(default_factory=dict)

    def http_policy(self) -> HttpPolicy:
        return HttpPolicy(timeout_s=self.platform_timeout_s, max_wait_s=self.platform_max_wait_s,
                          attempts=self.platform_attempts, backoff_s=self.platform_backoff_s)
