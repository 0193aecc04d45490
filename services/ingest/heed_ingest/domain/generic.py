"""The generic mention shape: JSONL replay files and POST /v1/mentions.

One object (or a JSON array of objects) per body:
{"channel", "native_id", "author": {"id", "handle", "name", "followers", "verified"}, "text",
 "created_at", "in_reply_to", "visibility", "kind", "account", "thread_root", "url", "lang_hint"}
"""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from heed.contracts.events import Author, Channel, MentionKind, Visibility
from heed_ingest.channels.fields import load_json
from heed_ingest.domain.drafts import MentionDraft, UnparseableBody

MAX_TEXT_CHARS = 20_000


class GenericAuthor(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=200)
    handle: str | None = Field(default=None, max_length=200)
    name: str | None = Field(default=None, max_length=500)
    followers: int = Field(default=0, ge=0)
    verified: bool = False


class GenericMention(BaseModel):
    model_config = ConfigDict(extra="ignore")

    channel: Channel
    native_id: str = Field(min_length=1, max_length=200)
    author: GenericAuthor
    text: str = Field(max_length=MAX_TEXT_CHARS)
    created_at: AwareDatetime
    in_reply_to: str | None = Field(default=None, max_length=200)
    thread_root: str | None = Field(default=None, max_length=200)
    visibility: Visibility = Visibility.PUBLIC
    kind: MentionKind | None = None
    account: str | None = None
    url: str | None = None
    lang_hint: str | None = None
    matched: list[str] = Field(default_factory=list)

    def draft(self) -> MentionDraft:
        kind = self.kind or (MentionKind.REPLY if self.in_reply_to else MentionKind.POST)
        return MentionDraft(
            channel=self.channel, native_id=self.native_id, account=self.account, kind=kind,
            visibility=self.visibility,
            author=Author(platform_id=self.author.id, handle=self.author.handle, name=self.author.name,
                          followers=self.author.followers, verified=self.author.verified),
            text=self.text, lang_hint=self.lang_hint, url=self.url, thread_root=self.thread_root,
            in_reply_to=self.in_reply_to, created_at=self.created_at, matched=self.matched,
        )


def parse_generic(body: bytes) -> list[MentionDraft]:
    """Parse a generic body: one mention object or an array of them. Raises UnparseableBody."""
    data = load_json(body, "generic")
    items = data if isinstance(data, list) else [data]
    if not items:
        raise UnparseableBody("body is an empty array: no mention in it")
    drafts = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise UnparseableBody(f"mention {index}: expected a JSON object, got {type(item).__name__}")
        try:
            drafts.append(GenericMention.model_validate(item).draft())
        except ValidationError as exc:
            reasons = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:8])
            raise UnparseableBody(f"mention {index} is not a valid mention: {reasons}") from None
    return drafts
