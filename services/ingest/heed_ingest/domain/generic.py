"""The generic mention shape: JSONL replay files and POST /v1/mentions.

One object (or a JSON array of objects) per body:
{"channel", "native_id", "author": {"id", "handle", "name", "followers", "verified"}, "text",
 "created_at", "in_reply_to", "visibility", "kind", "account", "thread_root", "url", "lang_hint"}
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from heed.contracts.events import (
    PG_INT_MAX,
    Author,
    Channel,
    MentionKind,
    NativeId,
    PostTime,
    StoredText,
    Visibility,
)
from heed_ingest.domain.bodies import load_json
from heed_ingest.domain.drafts import MentionDraft, UnparseableBody

MAX_TEXT_CHARS = 20_000


class GenericAuthor(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: NativeId
    handle: StoredText | None = Field(default=None, max_length=200)
    name: StoredText | None = Field(default=None, max_length=500)
    followers: int = Field(default=0, ge=0, le=PG_INT_MAX)
    verified: bool = False


class GenericMention(BaseModel):
    model_config = ConfigDict(extra="ignore")

    channel: Channel
    native_id: NativeId
    author: GenericAuthor
    text: StoredText = Field(max_length=MAX_TEXT_CHARS)
    created_at: PostTime
    in_reply_to: NativeId | None = None
    thread_root: NativeId | None = None
    visibility: Visibility = Visibility.PUBLIC
    kind: MentionKind | None = None
    account: StoredText | None = Field(default=None, max_length=200)
    url: StoredText | None = Field(default=None, max_length=2000)
    lang_hint: StoredText | None = Field(default=None, max_length=35)
    matched: list[StoredText] = Field(default_factory=list, max_length=50)

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


def parse_generic(body: bytes, ndjson: bool = False) -> list[MentionDraft]:
    """Parse a generic body: one mention object or an array of them, or with `ndjson` one object
    per line. Raises UnparseableBody."""
    if ndjson:
        items = []
        for number, line in enumerate(body.splitlines(), start=1):
            if line.strip():
                try:
                    items.append(load_json(line, "generic"))
                except UnparseableBody as exc:
                    raise UnparseableBody(f"line {number}: {exc}") from None
    else:
        data = load_json(body, "generic")
        items = data if isinstance(data, list) else [data]
    if not items:
        raise UnparseableBody("body has no line with a mention" if ndjson else
                              "body is an empty array: no mention in it")
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
