"""From raw bodies to mentions: pick the parser for the source, give ids and thread roots."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pydantic import ValidationError

from heed.contracts.events import Mention, RawMention, derive_id
from heed_ingest.channels.meta import parse_instagram_lookup, parse_meta
from heed_ingest.channels.wechat import parse_wechat
from heed_ingest.channels.weibo import parse_weibo
from heed_ingest.channels.x import parse_x, parse_x_search
from heed_ingest.domain.drafts import MentionDraft, UnparseableBody
from heed_ingest.domain.generic import parse_generic

Parser = Callable[[RawMention], list[MentionDraft]]

# source of the raw event → parser of its body; platform receivers and pollers add theirs here
PARSERS: dict[str, Parser] = {
    "replay": lambda raw: parse_generic(raw.body),
    "api": lambda raw: parse_generic(raw.body, ndjson=raw.content_type == "application/x-ndjson"),
    "webhook:meta": lambda raw: parse_meta(raw.body),
    "poll:instagram": lambda raw: parse_instagram_lookup(raw.body),
    "webhook:x": lambda raw: parse_x(raw.body),
    "webhook:wechat": lambda raw: parse_wechat(raw.body),
    "webhook:weibo": lambda raw: parse_weibo(raw.body),
    "poll:x": lambda raw: parse_x_search(raw.body),
    "poll:weibo": lambda raw: parse_weibo(raw.body),
}


def parse_raw(raw: RawMention) -> list[MentionDraft]:
    """The drafts in a raw body; raises UnparseableBody with a reason a person can act on."""
    parser = PARSERS.get(raw.source)
    if parser is None:
        raise UnparseableBody(f"no parser for source {raw.source!r}; known: {', '.join(sorted(PARSERS))}")
    try:
        return parser(raw)
    except UnparseableBody:
        raise
    except ValidationError as exc:
        # a field of the platform's body has a type or value the mention cannot hold
        reasons = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
        raise UnparseableBody(f"{raw.source} body has a field Heed cannot use: {reasons}") from None
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
        raise UnparseableBody(f"{raw.source} body has an unexpected shape: {type(exc).__name__}: {exc}") from None



def resolve_thread_root(draft: MentionDraft, known_roots: Mapping[tuple[str, str], str]) -> str:
    """The native id of the conversation's first post.

    An explicit root wins; otherwise the parent's root when ingest has seen the parent, else the
    parent itself; a post with no parent is its own root.
    """
    if draft.thread_root:
        return draft.thread_root
    if draft.in_reply_to:
        return known_roots.get((draft.channel.value, draft.in_reply_to), draft.in_reply_to)
    return draft.native_id


def build_mention(draft: MentionDraft, raw: RawMention, thread_root: str) -> Mention:
    mid = derive_id("mention", draft.channel.value, draft.native_id)
    return Mention(
        event_id=mid, mention_id=mid, raw_event_id=raw.event_id,
        channel=draft.channel, native_id=draft.native_id, account=draft.account, kind=draft.kind,
        visibility=draft.visibility, author=draft.author, text=draft.text, lang_hint=draft.lang_hint,
        url=draft.url, thread_root=thread_root, in_reply_to=draft.in_reply_to,
        created_at=draft.created_at, received_at=raw.received_at, matched=draft.matched,
    )
