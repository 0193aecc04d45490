"""What a channel parser produces: a mention before ingest gives it ids and a thread root."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from heed.contracts.events import Author, Channel, MentionKind, Visibility


class MentionDraft(BaseModel):
    model_config = ConfigDict(frozen=True)

    channel: Channel
    native_id: str = Field(min_length=1, max_length=200)
    account: str | None = None
    kind: MentionKind = MentionKind.POST
    visibility: Visibility = Visibility.PUBLIC
    author: Author
    text: str
    lang_hint: str | None = None
    url: str | None = None
    thread_root: str | None = None
    in_reply_to: str | None = None
    created_at: datetime
    matched: list[str] = Field(default_factory=list)


class UnparseableBody(ValueError):
    """The body is authentic but cannot be read as mentions; the message says why."""
