"""Builders for domain objects in unit tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from heed.contracts.events import (
    Author,
    Category,
    Channel,
    Classification,
    Mention,
    MentionKind,
    Visibility,
)


def mention(text: str = "hello", channel: Channel = Channel.WEIBO, **kw: Any) -> Mention:
    now = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    values: dict[str, Any] = dict(
        event_id=uuid.uuid4(), mention_id=uuid.uuid4(), raw_event_id=uuid.uuid4(), channel=channel,
        native_id="n1", author=Author(platform_id="u1", handle="amy", name="Amy", followers=10), text=text,
        thread_root="n1", created_at=now, received_at=now, kind=MentionKind.POST, visibility=Visibility.PUBLIC)
    values.update(kw)
    return Mention(**values)


def classification(category: Category = Category.QUESTION, **kw: Any) -> Classification:
    values: dict[str, Any] = dict(language="en", category=category, sentiment=0.0, model_version="test")
    values.update(kw)
    return Classification(**values)
