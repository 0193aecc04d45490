"""What a channel parser produces: a mention before ingest gives it ids and a thread root."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from heed.contracts.events import Author, Channel, MentionKind, NativeId, PostTime, StoredText, Visibility


class MentionDraft(BaseModel):
    """Holds only what the Mention contract holds, so a draft that exists can be stored by every service."""

    model_config = ConfigDict(frozen=True)

    channel: Channel
    native_id: NativeId
    account: StoredText | None = None
    kind: MentionKind = MentionKind.POST
    visibility: Visibility = Visibility.PUBLIC
    author: Author
    text: StoredText
    lang_hint: StoredText | None = None
    url: StoredText | None = None
    thread_root: NativeId | None = None
    in_reply_to: NativeId | None = None
    created_at: PostTime
    matched: list[StoredText] = Field(default_factory=list)


class UnparseableBody(ValueError):
    """The body is authentic but cannot be read as mentions; the message says why."""
