"""Every platform client, built from the settings and keyed by channel value."""

from __future__ import annotations

from heed_responder.adapters.platforms.facebook import FacebookClient, MessengerClient
from heed_responder.adapters.platforms.instagram import InstagramClient
from heed_responder.adapters.platforms.linkedin import LinkedInClient
from heed_responder.adapters.platforms.settings import PlatformSettings
from heed_responder.adapters.platforms.wechat import WeChatClient
from heed_responder.adapters.platforms.weibo import WeiboClient
from heed_responder.adapters.platforms.whatsapp import WhatsAppClient
from heed_responder.adapters.platforms.x import XClient
from heed_responder.ports import PlatformClient


def build_clients(settings: PlatformSettings) -> dict[str, PlatformClient]:
    """One client per channel with at least one configured account (each owns its HTTP client:
    close them with `close_clients` at shutdown)."""
    built: dict[str, PlatformClient] = {}
    if settings.x_accounts:
        built["x"] = XClient(settings)
    if settings.facebook_pages:
        built["facebook"] = FacebookClient(settings)
        built["messenger"] = MessengerClient(settings)
    if settings.instagram_accounts:
        built["instagram"] = InstagramClient(settings)
    if settings.whatsapp_numbers:
        built["whatsapp"] = WhatsAppClient(settings)
    if settings.weibo_accounts:
        built["weibo"] = WeiboClient(settings)
    if settings.wechat_accounts:
        built["wechat"] = WeChatClient(settings)
    if settings.linkedin_accounts:
        built["linkedin"] = LinkedInClient(settings)
    return built


async def close_clients(clients: dict[str, PlatformClient]) -> None:
    """Close each client's connection pool."""
    for client in clients.values():
        close = getattr(client, "aclose", None)
        if close is not None:
            await close()
