"""From drafts to mentions: one arrival per post, thread roots, ids. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping
from typing import TypeVar

from heed.contracts.events import Mention, RawMention, derive_id
from heed_ingest.domain.drafts import MentionDraft

T = TypeVar("T")
PostKey = tuple[str, str]  # (channel, native id)


def first_arrivals(parsed: Iterable[tuple[T, MentionDraft]]) -> list[tuple[T, MentionDraft]]:
    """One draft per post, the first seen: the same post twice in one batch (by webhook and by
    poll together) is one arrival."""
    unique: dict[PostKey, tuple[T, MentionDraft]] = {}
    for carrier, draft in parsed:
        unique.setdefault((draft.channel.value, draft.native_id), (carrier, draft))
    return list(unique.values())


def parents(drafts: Iterable[MentionDraft]) -> set[PostKey]:
    """The posts these drafts reply to, whose thread roots ingest may already know."""
    return {(d.channel.value, d.in_reply_to) for d in drafts if d.in_reply_to}


def resolve_thread_root(draft: MentionDraft, known_roots: Mapping[PostKey, str]) -> str:
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


def build_mentions(arrivals: Iterable[tuple[RawMention, MentionDraft]],
                   known_roots: MutableMapping[PostKey, str]) -> list[Mention]:
    """Mentions in arrival order; a reply later in the batch joins the root of a parent earlier in it.

    `known_roots` (the roots the ledger knows for the drafts' parents) learns each new mention's root.
    """
    mentions = []
    for raw, draft in arrivals:
        mention = build_mention(draft, raw, resolve_thread_root(draft, known_roots))
        known_roots[(mention.channel.value, mention.native_id)] = mention.thread_root
        mentions.append(mention)
    return mentions
