"""What a channel parser produces: mentions before ingest gives them ids and thread roots, the
engagement events it counted, and the Instagram mentions whose text must be fetched."""

from __future__ import annotations

from dataclasses import dataclass, field

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


@dataclass(frozen=True)
class InstagramLookup:
    """An Instagram @mention notification: the comment or media to fetch for its text."""

    ig_user_id: str
    comment_id: str | None
    media_id: str | None


@dataclass
class ParseResult:
    """What one body holds: its mentions, how many engagement events (likes, reactions, follows)
    it carried, and the Instagram @mentions whose text ingest must fetch."""

    drafts: list[MentionDraft] = field(default_factory=list)
    engagement: int = 0
    lookups: list[InstagramLookup] = field(default_factory=list)


class UnparseableBody(ValueError):
    """The body is authentic but cannot be read as mentions; the message says why."""
