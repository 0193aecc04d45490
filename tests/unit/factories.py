"""Builders for domain objects in unit tests."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime
from typing import Any, TypeVar

from aiokafka.structs import ConsumerRecord
from opentelemetry import context as otel_context
from pydantic import BaseModel

from heed.contracts.events import (
    Author,
    Category,
    Channel,
    Classification,
    Mention,
    MentionKind,
    Visibility,
)
from heed.runtime.messaging import Incoming

E = TypeVar("E", bound=BaseModel)


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


_offsets = itertools.count()


def incoming(event: E, topic: str = "heed.test", partition: int = 0, key: str | None = None) -> Incoming[E]:
    """`event` as a handler receives it from the Stage: with its record (the JSON bytes as they
    would travel) and an empty trace context. Offsets rise across calls, as on a partition."""
    value = event.model_dump_json().encode()
    record: ConsumerRecord[bytes, bytes] = ConsumerRecord(
        topic=topic, partition=partition, offset=next(_offsets), timestamp=0, timestamp_type=0,
        key=key.encode() if key else None, value=value, checksum=None, serialized_key_size=len(key or ""),
        serialized_value_size=len(value), headers=())
    return Incoming(event, record, otel_context.Context())


def batch(*events: E, topic: str = "heed.test") -> list[Incoming[E]]:
    return [incoming(e, topic) for e in events]
