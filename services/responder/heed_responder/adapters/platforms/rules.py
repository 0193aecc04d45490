"""What the platforms allow and how a sent reply is recognised: messaging windows, the account a
reply is sent from, and the text match a read-back uses. Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from heed_responder.domain.outbox import OutboxRow
from heed_responder.domain.sending import SendResult

T = TypeVar("T")

# Meta (Messenger, Instagram) and WhatsApp: a business may answer freely for 24 hours after the
# customer's last message; Meta allows a human agent (HUMAN_AGENT tag) 7 days; a private reply to a
# comment is possible once, within 7 days of the comment; WeChat customer-service messages and
# Weibo fans-service messages 48 hours.
STANDARD_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
PRIVATE_REPLY_WINDOW = timedelta(days=7)
WECHAT_WINDOW = timedelta(hours=48)
WEIBO_WINDOW = timedelta(hours=48)

WINDOW_CLOSED = "messaging window closed"


def utcnow() -> datetime:
    return datetime.now(UTC)


def since_received(reply: OutboxRow, now: datetime) -> timedelta:
    """How long ago Heed received the customer's message (the windows count from it)."""
    return now - reply.received_at


def is_direct_message(reply: OutboxRow) -> bool:
    """The customer wrote in a private conversation (ingest gives those the thread root `dm:<sender>`)."""
    return (reply.thread_root or "").startswith("dm:")


def account_for(accounts: Mapping[str, T], reply: OutboxRow, setting: str) -> tuple[str, T] | SendResult:
    """The credentials of the brand account the mention addressed; with one account configured and
    none named, that one. A missing account is `failed`: no retry will find credentials."""
    if reply.account and reply.account in accounts:
        return reply.account, accounts[reply.account]
    if reply.account is None and len(accounts) == 1:
        return next(iter(accounts.items()))
    named = f"account {reply.account!r}" if reply.account else "no account named"
    return SendResult.failed(f"no credentials for {named}: add it to {setting}")


_LINK = re.compile(r"https?://\S+")
_SPACE = re.compile(r"\s+")


def comparable(text: str) -> str:
    """Text as platforms keep it: links are rewritten (t.co, t.cn) and whitespace may be folded."""
    return _SPACE.sub(" ", _LINK.sub("", text)).strip()


def same_text(sent: str | None, found: str | None) -> bool:
    """The platform's copy is our text, possibly after a prefix it adds ("@amy ", "回复@amy:")."""
    if not sent or not found:
        return False
    ours, theirs = comparable(sent), comparable(found)
    return bool(ours) and theirs.endswith(ours)
