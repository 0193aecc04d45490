"""The customer 360 as the customers API shows it and as changes to it are asked for."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from heed.contracts.events import CustomerTier


class PreferenceView(BaseModel):
    kind: str
    value: str
    status: Literal["proposed", "confirmed"]
    source: str = Field(description="said (extracted from what the customer wrote), agent, hubspot, salesforce")
    confidence: float
    evidence: str | None = Field(default=None, description="The pattern that found it, never the words")
    stated_at: datetime
    decided_by: str | None = None


class ContactPoint(BaseModel):
    kind: Literal["email", "phone"]
    value: str
    source: str
    added_at: datetime


class CustomerProfile(BaseModel):
    customer_id: uuid.UUID
    aliases: list[uuid.UUID] = Field(description="Customer ids merged into this one")
    tier: CustomerTier
    owner: str | None
    display_name: str | None
    tags: list[str]
    language: str | None
    version: int
    created_at: datetime
    verified_at: datetime | None
    identities: list[dict[str, Any]]
    preferences: list[PreferenceView]
    consent: dict[str, dict[str, Any]]
    crm: dict[str, str] = Field(description="External CRM → the contact's id there")
    contact_points: list[ContactPoint] = Field(default_factory=list,
                                               description="Only for tokens with the contact scope")
    cases: int
    csat: float | None


class TimelineEntry(BaseModel):
    at: datetime
    key: str
    type: str = Field(description="mention, reply:<kind>, case:<event kind>")
    channel: str | None
    visibility: str | None
    text: str | None
    status: str | None
    actor: str | None
    case_id: uuid.UUID | None
    department: str | None
    category: str | None
    rating: int | None


class TimelinePage(BaseModel):
    customer_id: uuid.UUID
    entries: list[TimelineEntry]
    next: tuple[datetime, str] | None = None


class PreferenceDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(min_length=1, max_length=40, pattern=r"^[a-z_]+$")
    value: str = Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_-]+$")
    confirmed: bool = Field(description="true: on the record; false: rejected, never proposed again")


class RecordChange(BaseModel):
    """What an API caller or a CRM sets; a field left out is left as it is (null clears owner/language)."""

    model_config = ConfigDict(extra="forbid")
    tier: CustomerTier | None = None
    owner: str | None = Field(default=None, max_length=200)
    display_name: str | None = Field(default=None, max_length=200)
    language: str | None = Field(default=None, pattern=r"^(en|zh-Hans|zh-Hant|th|[a-z]{2,3}(-[A-Za-z]{2,4})?)$")
    tags: list[str] | None = Field(default=None, max_length=50)
    consent: dict[Literal["marketing", "follow_up"], bool] | None = None
    preferences: list[PreferenceDecision] | None = None

    @property
    def fields_set(self) -> set[str]:
        return set(self.model_fields_set)


class ErasureReceipt(BaseModel):
    erasure_id: uuid.UUID
    requested_at: datetime
    customers: int = Field(description="Customer records erased (the survivor and its aliases)")
    rows_removed: dict[str, int]
