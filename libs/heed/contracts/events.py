"""Heed's event contracts, version 1.

Every event is immutable, carries `schema_version`, an `event_id` (the idempotency key) and
`occurred_at`, plus the ids it descends from. Ids derived from a parent are deterministic
(`derive_id`), so reprocessing the same input yields the same event id and consumers can
deduplicate with a unique key. Changes within v1 are additive only.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from hashlib import sha1
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

SCHEMA_VERSION = 1
_NAMESPACE = uuid.UUID("6f1c1b0e-6c1d-4b51-9a4e-8f9e0c1d2a33")
_NAMESPACE_BYTES = _NAMESPACE.bytes
_VERSION_5 = ~((0xC000 << 48) | (0xF000 << 64)), (0x8000 << 48) | (5 << 76)  # RFC 4122 variant, version 5
_new_uuid, _set = object.__new__, object.__setattr__


def derive_id(kind: str, *parts: object) -> uuid.UUID:
    """A deterministic id for `kind` from its parents' ids or natural keys: `uuid.uuid5` of them in
    Heed's namespace, built without `uuid5`'s per-call import and `UUID.__init__`'s checks (it is
    called several times for every mention in every service; a test compares it with `uuid5`)."""
    name = kind + "\x1f" + "\x1f".join([str(p) for p in parts])
    number = int.from_bytes(sha1(_NAMESPACE_BYTES + name.encode()).digest()[:16]) & _VERSION_5[0] | _VERSION_5[1]
    derived = _new_uuid(uuid.UUID)
    _set(derived, "int", number)
    _set(derived, "is_safe", uuid.SafeUUID.unknown)
    return derived


def customer_id_for(channel: str, platform_id: str) -> uuid.UUID:
    """The customer id crm-sync gives a channel identity, the same however often it is seen (the
    responder names it in a secure link; crm-sync owns the record)."""
    return derive_id("customer", channel, platform_id)


def utcnow() -> datetime:
    return datetime.now(UTC)


# What ingest accepts, every service can store: PostgreSQL text holds no NUL, UTF-8 no lone
# surrogate (pydantic refuses one while checking the pattern), integer columns are 32-bit, and a
# time must convert to UTC and back without leaving the calendar. The checks run in pydantic-core.
StoredText = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$")]
NativeId = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00]*$")]
PG_INT_MAX = 2**31 - 1
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
PostTime = Annotated[AwareDatetime, Field(ge=EARLIEST, lt=LATEST)]


class Event(BaseModel):
    # bytes travel as base64 in JSON and stay raw bytes in Python
    model_config = ConfigDict(frozen=True, extra="ignore", ser_json_bytes="base64", val_json_bytes="base64")

    schema_version: Literal[1] = 1
    event_id: uuid.UUID
    occurred_at: datetime = Field(default_factory=utcnow)


class Channel(StrEnum):
    WEIBO = "weibo"
    WECHAT = "wechat"
    X = "x"
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    LINKEDIN = "linkedin"
    WHATSAPP = "whatsapp"
    MESSENGER = "messenger"
    API = "api"


class Visibility(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"


class MentionKind(StrEnum):
    POST = "post"
    COMMENT = "comment"
    REPLY = "reply"
    DIRECT_MESSAGE = "direct_message"


class RawMention(Event):
    """An authentic inbound body exactly as received, published before any parsing."""

    source: str = Field(description="How it arrived: replay, api, webhook:meta, webhook:x, poll:weibo, …")
    channel: Channel | None = Field(default=None, description="Channel when the source knows it")
    content_type: str = "application/json"
    body: bytes = Field(description="The original bytes, base64 in JSON")
    received_at: datetime = Field(default_factory=utcnow)
    origin: str | None = Field(default=None, description="Where in the source: file:line, request id")


class Author(BaseModel):
    model_config = ConfigDict(frozen=True)

    platform_id: NativeId
    handle: StoredText | None = None
    name: StoredText | None = None
    followers: int = Field(default=0, ge=0, le=PG_INT_MAX)
    verified: bool = False


class Mention(Event):
    """A normalised, deduplicated mention of the brand."""

    mention_id: uuid.UUID
    raw_event_id: uuid.UUID
    channel: Channel
    native_id: NativeId
    account: StoredText | None = Field(default=None, description="The brand account addressed, if any")
    kind: MentionKind = MentionKind.POST
    visibility: Visibility = Visibility.PUBLIC
    author: Author
    text: StoredText
    lang_hint: StoredText | None = None
    url: StoredText | None = None
    thread_root: NativeId = Field(description="Native id of the conversation's first post")
    in_reply_to: NativeId | None = None
    created_at: PostTime
    received_at: datetime
    matched: list[StoredText] = Field(default_factory=list, description="Keywords or executives that matched")

    @property
    def conversation_key(self) -> str:
        """Kafka key: one conversation keeps its order within a partition."""
        return f"{self.channel}:{self.thread_root}"


class Category(StrEnum):
    COMPLAINT = "complaint"
    QUESTION = "question"
    PRAISE = "praise"
    SALES_LEAD = "sales_lead"
    SUGGESTION = "suggestion"
    SPAM = "spam"
    OTHER = "other"


class IssueType(StrEnum):
    PRODUCT_QUALITY = "product_quality"
    SERVICE_ATTITUDE = "service_attitude"
    SHIPPING_DELIVERY = "shipping_delivery"
    USAGE_DIFFICULTY = "usage_difficulty"
    BILLING = "billing"
    FACILITIES_HYGIENE = "facilities_hygiene"
    OTHER = "other"
    # additive (v1): hospitality's own issues
    FOOD_BEVERAGE = "food_beverage"  # restaurants, breakfast, room service, bars
    ROOM = "room"  # the room itself: bed, air conditioning, hot water, noise, view
    BOOKING = "booking"  # reservations, check-in and check-out, overbooking, changes


class Urgency(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    CRITICAL = "critical"


class Complexity(StrEnum):
    GENERAL = "general"
    COMPLEX = "complex"


class Classification(BaseModel):
    model_config = ConfigDict(frozen=True)

    language: str = Field(description="BCP-47-ish: zh, en, th, … or und")
    script: Literal["Hans", "Hant"] | None = Field(default=None, description="For Chinese only")
    category: Category
    issue_type: IssueType | None = None
    sentiment: float = Field(ge=-1.0, le=1.0)
    urgency: Urgency = Urgency.NORMAL
    complexity: Complexity = Complexity.GENERAL
    pii: list[str] = Field(default_factory=list, description="Kinds of PII found, never the values")
    confidences: dict[str, float] = Field(default_factory=dict)
    model_version: str
    explanation: str = ""


class ClassifiedMention(Event):
    mention_id: uuid.UUID
    mention: Mention
    classification: Classification


class HandlingMode(StrEnum):
    ANSWER = "answer"  # a prompt, checked public reply
    HOLDING = "holding"  # names the department and a hotline; the department answers later
    PRIVATE = "private"  # move to private messages (angry customer, sensitive data)
    ACKNOWLEDGE = "acknowledge"  # thanks for praise or a suggestion
    IGNORE = "ignore"  # spam: counted, never answered


class CustomerTier(StrEnum):
    STANDARD = "standard"
    VIP = "vip"


class RoutedCase(Event):
    mention_id: uuid.UUID
    case_id: uuid.UUID
    mention: Mention
    classification: Classification
    department: str
    handling_mode: HandlingMode
    priority: int = Field(ge=0, le=100, description="Higher first")
    sla_due_at: datetime
    rule_id: str
    customer_tier: CustomerTier = CustomerTier.STANDARD
    new_case: bool = True


class CaseStatus(StrEnum):
    """Where a case stands. The router owns the lifecycle (`heed_router/domain/lifecycle.py`)."""

    NEW = "new"  # opened by the customer's first mention, nothing sent yet
    ACKNOWLEDGED = "acknowledged"  # an automatic acknowledgement (holding, private, thanks) was sent
    PENDING_DEPARTMENT = "pending_department"  # in the department's queue, waiting for its answer
    ANSWERED = "answered"  # a substantive answer (an agent's, or a checked automatic one) is on its way
    AWAITING_CUSTOMER = "awaiting_customer"  # the answer reached the customer; their turn
    RESOLVED = "resolved"  # done; the follow-up asks for a rating; the customer may still reopen it
    CLOSED = "closed"  # final: a later mention in the thread opens a new case


class CaseEventKind(StrEnum):
    OPENED = "opened"
    MENTION_ADDED = "mention_added"
    FIRST_RESPONSE = "first_response"  # the first substantive answer reached the customer
    SLA_BREACHED = "sla_breached"
    CLOSED = "closed"
    # additive (v1): the rest of the lifecycle
    ACKNOWLEDGED = "acknowledged"
    QUEUED = "queued"  # into the department's queue (pending_department)
    CLAIMED = "claimed"
    RELEASED = "released"  # a claim given back or timed out
    ANSWERED = "answered"  # an agent's answer handed to the responder (heed.cases.answers) to send
    ANSWER_FAILED = "answer_failed"  # the channel refused the answer; the case is back in the queue
    AWAITING_CUSTOMER = "awaiting_customer"  # the answer was sent (the first one is also first_response)
    CUSTOMER_REPLIED = "customer_replied"  # the customer wrote again while it was their turn
    URGENCY_RAISED = "urgency_raised"
    TRANSFERRED = "transferred"
    NOTE_ADDED = "note_added"
    SLA_WARNING = "sla_warning"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    FOLLOW_UP_SENT = "follow_up_sent"
    RATED = "rated"
    # the customer confirmed who they are through the case's secure link (details stay in crm-sync)
    VERIFIED = "verified"
    # the case waits for the customer's owner in the CRM (an agent) until its first SLA warning
    RESERVED = "reserved"
    # an agent corrected the classifier's labels of one of the case's mentions (the labels are in
    # `detail`; the correction itself, with the text, goes to the classifier on heed.classifier.corrections)
    CORRECTED = "corrected"


class CaseEvent(Event):
    case_id: uuid.UUID
    mention_id: uuid.UUID | None = None
    kind: CaseEventKind
    department: str | None = None
    detail: str = ""
    # additive (v1): what the event did to the case. No customer text, ever: notes stay in the router.
    status: CaseStatus | None = Field(default=None, description="The case's status after the event")
    previous_status: CaseStatus | None = None
    actor: str | None = Field(default=None, description="agent:<id>, system:<name>, heed:<service> or customer")
    priority: int | None = Field(default=None, ge=0, le=100)
    urgency: Urgency | None = None
    previous_department: str | None = Field(default=None, description="For a transfer: where it came from")
    due_at: datetime | None = Field(default=None, description="The SLA due time, when the event concerns it")
    rating: int | None = Field(default=None, ge=1, le=5, description="For `rated`: the customer's 1–5")
    answer_id: uuid.UUID | None = None
    language_fallback: str | None = Field(
        default=None, description="For `acknowledged`: the customer's language, when the brand has no replies in "
                                  "it and the acknowledgement went in its fallback language")


class AnswerKind(StrEnum):
    AGENT = "agent"  # a department's or agent's answer, text written by a person
    FOLLOW_UP = "follow_up"  # the check-back after resolution, asking for a 1–5 rating


class CaseAnswer(Event):
    """An answer the router hands to the responder to send on the customer's channel.

    The responder writes it to its outbox keyed by `answer_id` and sends it once, in the
    customer's script; what became of it comes back on heed.replies with the same `answer_id`.
    """

    answer_id: uuid.UUID
    case_id: uuid.UUID
    kind: AnswerKind
    mention_id: uuid.UUID = Field(description="The customer's mention answered (the case's latest)")
    channel: Channel
    in_reply_to: NativeId = Field(description="Native id of that mention")
    recipient_platform_id: NativeId
    visibility: Visibility
    text: StoredText | None = Field(default=None, description="The agent's text; none for a follow-up, "
                                                              "which the responder renders from its template")
    language: str = Field(description="The customer's language: the follow-up's, and the script conversion's")
    script: Literal["Hans", "Hant"] | None = None
    author: str = Field(description="agent:<id> or system:follow-up")
    department: str
    received_at: datetime = Field(description="When Heed received the mention answered")
    thread_root: NativeId | None = Field(default=None, description="Native id of the conversation's first "
                                                                   "post (a LinkedIn comment goes on it)")
    account: StoredText | None = Field(default=None, description="The brand account the customer wrote to: "
                                                                 "the answer is sent from it, in its brand's words")


class ReplyStatus(StrEnum):
    SENT = "sent"
    FAILED = "failed"
    # the platform may have accepted it and offers no way to check (a crash or a timeout after the
    # request went out): it is never resent blindly, and an agent looks at the case
    UNKNOWN = "unknown"


class ReplyKind(StrEnum):
    AUTO = "auto"  # the responder's automatic reply to a routed mention
    AGENT = "agent"  # a department's answer (CaseAnswer)
    FOLLOW_UP = "follow_up"  # the check-back asking for a rating (CaseAnswer)
    # the private message that goes with a public acknowledgement to an angry or sensitive post,
    # carrying the secure verification link (the public reply says only that it was sent)
    HANDOFF = "handoff"


class Reply(Event):
    reply_id: uuid.UUID
    mention_id: uuid.UUID
    case_id: uuid.UUID
    channel: Channel
    visibility: Visibility
    handling_mode: HandlingMode
    in_reply_to: str = Field(description="Native id of the mention answered")
    recipient_platform_id: str
    text: str
    language: str
    script: Literal["Hans", "Hant"] | None = None
    template_id: str
    status: ReplyStatus
    error: str | None = None
    received_at: datetime = Field(description="When Heed received the mention answered")
    sent_at: datetime | None = None
    # additive (v1): who wrote it and whether it answers the customer
    kind: ReplyKind = ReplyKind.AUTO
    answer_id: uuid.UUID | None = Field(default=None, description="The CaseAnswer it sends, for agent "
                                                                  "answers and follow-ups")
    author: str = Field(default="heed:responder", description="heed:responder (automatic) or agent:<id>")
    substantive: bool = Field(default=False, description="It answers the customer (an agent's answer or a "
                                                         "checked automatic answer), not only acknowledges")
    language_fallback: str | None = Field(
        default=None, description="The customer's language when the brand has no replies in it: the reply is in "
                                  "`language`, the brand's fallback language, and the case is marked")


class CustomerUpdate(Event):
    """A change to a customer record, for the services that act on tier, owner and preferences.

    `version` grows across all customers (one sequence), so when identities move between customers
    (a merge, an unmerge) the newest announcement about an identity always wins."""

    customer_id: uuid.UUID
    identities: list[str] = Field(description="channel:platform_id for each known identity")
    tier: CustomerTier = CustomerTier.STANDARD
    owner: str | None = None
    preferences: dict[str, str] = Field(default_factory=dict)
    source: str = Field(default="heed", description="heed, hubspot, salesforce, …")
    version: int = 1
    consent: dict[str, bool] = Field(
        default_factory=dict, description="Purpose (follow_up, marketing) → granted; a purpose not listed "
                                          "is not refused")
    # additive (v1): the record shared with the CRMs, and merges of one person's identities
    display_name: str | None = Field(default=None, description="The name on record, to greet the customer by")
    language: str | None = Field(default=None, description="The language the customer asked to be answered "
                                                           "in (en, zh-Hans, zh-Hant, th, …)")
    tags: list[str] = Field(default_factory=list)
    aliases: list[uuid.UUID] = Field(default_factory=list, description="Customer ids merged into this one; "
                                                                       "their identities are listed above")
    merged_into: uuid.UUID | None = Field(default=None, description="Set when this customer was merged into "
                                                                    "another: follow that one instead")
    erased: bool = Field(default=False, description="The customer's data was erased on request; forget "
                                                    "everything held about these identities")


class VerificationMethod(StrEnum):
    ORDER_AND_PHONE = "order_and_phone_last4"  # an order number and the last 4 digits of the phone on record


class CustomerVerified(Event):
    """A customer proved who they are through a secure verification link for one case.

    Ids and the outcome only: what the customer typed stays in crm-sync, encrypted. One event per
    link (`event_id` is derived from `link_id`), keyed by case id.
    """

    customer_id: uuid.UUID
    case_id: uuid.UUID
    link_id: uuid.UUID = Field(description="The secure link used; each is honoured once")
    method: VerificationMethod = VerificationMethod.ORDER_AND_PHONE
    verified_at: datetime
    details_received: bool = Field(description="The customer left details for the team; agents read them "
                                                "in crm-sync, never from an event")


class DeadLetter(Event):
    """An event that could not be processed after retries: its original bytes and why."""

    source_topic: str
    partition: int | None = None
    offset: int | None = None
    key: str | None = None
    original: bytes
    error_type: str
    error: str
    service: str
    attempts: int = 1
    origin: str | None = None
    raw_source: str | None = Field(
        default=None, description="When `original` is a raw event's body: the RawMention source it came from "
                                  "(webhook:meta, api, …), so a replay can wrap the body again")
    raw_content_type: str | None = Field(default=None, description="That raw event's content type")


class AlertTopicKind(StrEnum):
    ISSUE_TYPE = "issue_type"  # the classifier's issue type: product_quality, billing, …
    LISTENING = "listening"  # a listening match: a brand or product keyword, `executive:<name>`


class AlertState(StrEnum):
    OPENED = "opened"
    UPDATED = "updated"
    RESOLVED = "resolved"


class Alert(Event):
    """A crisis incident on one topic: negative mentions well above the topic's own baseline.

    One incident per topic while it lasts; each change (opened, updated as it grows, resolved) is a
    new `version` with its own deterministic `event_id`. Ids, counts and the topic only: no text,
    no author.
    """

    alert_id: uuid.UUID = Field(description="The incident: the same for every version")
    version: int = Field(ge=1, description="1 when opened, one more for each update and the resolution")
    topic_kind: AlertTopicKind
    topic: str = Field(description="The issue type or the listening match")
    state: AlertState
    window_minutes: int = Field(ge=1, description="Length of the window the counts cover")
    window_count: int = Field(ge=0, description="Negative mentions on the topic in the last window")
    expected_count: float = Field(ge=0, description="What the baseline expects in a window")
    baseline_per_minute: float = Field(ge=0, description="The topic's baseline (EWMA, with its floor)")
    p_value: float = Field(ge=0, le=1, description="Poisson tail probability of the window count")
    total_count: int = Field(ge=0, description="Negative mentions on the topic since the incident opened")
    example_mention_ids: list[uuid.UUID] = Field(default_factory=list, max_length=10)
    opened_at: datetime
    updated_at: datetime
    resolved_at: datetime | None = None


# A language as the classifier names it: a BCP-47-style tag (`en`, `zh`, `zh-Hant`, `fr`) or `und`.
LanguageTag = Annotated[str, StringConstraints(min_length=2, max_length=35,
                                               pattern=r"^(?:[a-z]{2,3}|und)(?:-[A-Za-z0-9]{1,8})*$")]


class CorrectableField(StrEnum):
    """The classifier's fields an agent may correct through the cases API."""

    CATEGORY = "category"
    ISSUE_TYPE = "issue_type"
    URGENCY = "urgency"
    LANGUAGE = "language"


class ClassifierLabels(BaseModel):
    """Some or all of the correctable fields of a classification; a field left out (None) says nothing."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    category: Category | None = None
    issue_type: IssueType | None = None
    urgency: Urgency | None = None
    language: LanguageTag | None = None

    def given(self) -> dict[CorrectableField, str]:
        """The fields that carry a value, as their values' text."""
        return {f: str(getattr(self, f.value)) for f in CorrectableField if getattr(self, f.value) is not None}


class ClassifierCorrection(Event):
    """An agent's correction of the classifier's labels of one mention, with the mention's text: what
    `heed classifier train --corrections` learns from. Published by the router's cases API, keyed by
    mention id; the classifier keeps the latest value of each (mention, field)."""

    case_id: uuid.UUID
    mention_id: uuid.UUID
    channel: Channel
    native_id: NativeId
    customer: StoredText = Field(description="channel:platform_id of the mention's author: the classifier keeps "
                                             "only its keyed hash, to forget the correction on erasure")
    text: StoredText = Field(description="The mention's text as the classifier read it")
    received_at: datetime = Field(description="When the mention was received")
    model_version: str | None = Field(default=None, description="The model that classified the mention")
    original: ClassifierLabels = Field(description="The model's labels of the corrected fields")
    corrected: ClassifierLabels = Field(description="The agent's labels; at least one field")
    actor: str = Field(description="Who corrected: agent:<name> (an API token's name, never a person's details)")
    corrected_at: datetime
