"""What crm-sync's handlers need from the outside world, as Protocols.

`adapters/postgres.py` implements them over PostgreSQL; `tests/unit/crm_sync/fakes.py` in
memory. The shared ports (EventPublisher, Clock) are in `heed.runtime.ports`.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from heed.contracts.events import CaseEvent, CustomerUpdate, CustomerVerified, Mention, Reply, RoutedCase
from heed.secure_link import LinkClaims
from heed_crm_sync.data_keys import Sealed
from heed_crm_sync.domain.preferences import StatedPreference
from heed_crm_sync.verification import LinkUse

# (mention id, customer id, what they said they prefer, when they said it)
Stated = tuple[uuid.UUID, uuid.UUID, StatedPreference, datetime]


@dataclass(frozen=True)
class Unread:
    """A recorded mention the preferences reader has not read yet, with its place in the keyset."""

    mention_id: uuid.UUID
    customer_id: uuid.UUID
    text: str
    occurred_at: datetime
    recorded_at: datetime


class CustomerRecords(Protocol):
    """The customer 360: customers, their identity on each channel, and one interaction per mention
    with what routing and the responder did about it, kept apart so arrival order never matters."""

    async def record_mentions(self, mentions: Sequence[Mention]) -> None:
        """Each author as a customer with this identity, and one interaction per mention; a customer,
        identity or interaction already recorded is left as it is."""
        ...

    async def unpublished_customers(self) -> list[CustomerUpdate]:
        """The customers (with at least one identity) whose current version was not yet announced,
        at most 1000."""
        ...

    async def mark_customers_published(self, updates: Sequence[CustomerUpdate]) -> None:
        """Remember that these versions were announced; an older version never undoes a newer one."""
        ...

    async def record_routing(self, routed: Sequence[RoutedCase]) -> None:
        """Each mention's routing, once: the first recorded stays."""
        ...

    async def record_replies(self, replies: Sequence[Reply]) -> None:
        """Each reply on its mention's interaction (automatic, an agent's answer, a follow-up): a
        reply not sent yet takes the newer status, a sent one stays sent."""
        ...

    async def record_case_events(self, events: Sequence[CaseEvent]) -> None:
        """Case events on the customer's timeline, each once (by event id)."""
        ...


@dataclass(frozen=True)
class RecordOnFile:
    """A customer record (a survivor and its aliases) that holds the order number typed: its phones,
    sealed, each with the customer id it was sealed for (only the handler that compares opens them)."""

    root: uuid.UUID
    phones: list[tuple[uuid.UUID, Sealed]]


@dataclass(frozen=True)
class IdentityOnRecord:
    """What a link's identity check is compared with: the records holding the order, the link's own
    record first. A match on another record proves the link's customer is that person (a merge)."""

    link_root: uuid.UUID
    records: list[RecordOnFile]


class LinkAttempt(Protocol):
    """One submission of a verification link, judged alone: no other submission of the same link is
    judged until this one is done, and what it records is kept together or not at all."""

    @property
    def failures(self) -> int:
        """Wrong identity checks recorded for the link so far."""
        ...

    @property
    def spent(self) -> LinkUse | None:
        """How the link was spent, if it was."""
        ...

    async def identity_on_record(self, customer_id: uuid.UUID, order_hashes: Sequence[bytes]) -> IdentityOnRecord:
        """The records holding one of `order_hashes` (one per data key) with their phones, the record of
        `customer_id` first."""
        ...

    async def refuse(self, now: datetime) -> int:
        """Count a wrong identity check; the failures so far."""
        ...

    async def lock(self, claims: LinkClaims, now: datetime) -> None:
        """Spend the link without verifying anyone."""
        ...

    async def verify(self, claims: LinkClaims, details: Sealed | None, now: datetime,
                     merge_with: uuid.UUID | None = None) -> None:
        """Spend the link, keep the sealed details, and mark the customer and the case verified; with
        `merge_with`, the link's customer proved to be that record's person and is merged with it."""
        ...


class Verifications(Protocol):
    """Secure verification links' use, the details customers typed, and the verifications to announce."""

    def attempt(self, link_id: uuid.UUID) -> AbstractAsyncContextManager[LinkAttempt]:
        """Judge one submission of the link; leaving the block keeps what it recorded, an error drops it."""
        ...

    async def spent(self, link_id: uuid.UUID) -> LinkUse | None:
        """How the link was spent, if it was."""
        ...

    async def unpublished(self, *, link_id: uuid.UUID | None = None,
                          verified_before: datetime | None = None) -> list[CustomerVerified]:
        """Verifications not yet announced on heed.crm.verifications, oldest first, at most 500: only
        this link's, or only those verified before this time, when given."""
        ...

    async def mark_published(self, events: Sequence[CustomerVerified]) -> None:
        """Remember that these verifications were announced."""
        ...


# ---- the external CRMs (HubSpot, Salesforce): `adapters/crm/` implements ExternalCrm per vendor ----

# the customer fields Heed and a CRM exchange, in Heed's names; each adapter maps them to the vendor's
# properties. Which side owns each one is the field-ownership map (`domain/ownership.py`).
SYNC_FIELDS = ("email", "phone", "display_name", "tier", "owner", "preferences", "marketing_consent")


@dataclass(frozen=True)
class ContactPush:
    """One customer as Heed sends it: only the fields Heed owns and that changed since the last push."""

    customer_id: uuid.UUID
    fields: dict[str, str | None]  # Heed field name → value (None clears it in the CRM)
    external_id: str | None = None  # the CRM's own id when Heed already knows it


@dataclass(frozen=True)
class InteractionPush:
    """One interaction (a mention, a reply, a case transition) logged on the customer's CRM contact.

    `interaction_id` is unique and stored in the CRM (a unique property / an external-id field), so
    pushing it again after a crash updates the same record instead of creating a second one."""

    interaction_id: uuid.UUID
    customer_id: uuid.UUID
    external_contact_id: str
    kind: str  # mention | reply | case
    channel: str
    occurred_at: datetime
    subject: str  # one line: "Weibo mention", "Reply sent on X", "Case resolved"
    body: str  # what was said or what happened, no secrets


@dataclass(frozen=True)
class ExternalContact:
    """A contact as the CRM has it (or a change to it), in Heed's field names."""

    external_id: str
    customer_id: uuid.UUID | None  # the Heed customer id stored on the contact, when set
    fields: dict[str, str | None]  # only the fields this read or change carries
    changed_at: datetime


class CrmUnavailable(RuntimeError):
    """The CRM could not be reached or refused for a while (5xx, timeout, rate or daily limit):
    nothing was changed, try again after `retry_after_s`."""

    def __init__(self, message: str, retry_after_s: float = 10.0) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class CrmRejected(ValueError):
    """The CRM refused the request itself (4xx other than rate limits): retrying will not help."""


class PartlyRejected(CrmRejected):
    """A batch push in which the CRM refused some records and saved the others.

    `accepted` maps the Heed id (customer or interaction) to the CRM's record id saved,
    `refused` the Heed id to the CRM's reason code(s), never a value. Pushing the accepted ones again
    is harmless."""

    def __init__(self, message: str, accepted: dict[uuid.UUID, str], refused: dict[uuid.UUID, str]) -> None:
        super().__init__(message)
        self.accepted = accepted
        self.refused = refused


class ExternalCrm(Protocol):
    """One external CRM, over its documented REST API. Every call is safe to repeat."""

    name: str  # "hubspot" | "salesforce": the origin tag of what comes from it

    async def push_contacts(self, contacts: Sequence[ContactPush]) -> dict[uuid.UUID, str]:
        """Create or update each customer's contact, matched by the Heed customer id stored on it;
        returns customer id → the CRM's contact id."""
        ...

    async def push_interactions(self, items: Sequence[InteractionPush]) -> None:
        """Log each interaction on its contact, once per interaction id however often it is pushed."""
        ...

    async def changed_contacts(self, since: datetime) -> tuple[list[ExternalContact], datetime]:
        """Contacts changed in the CRM since `since` (for a CRM that is polled) and the time to ask
        from next; a CRM that notifies by webhook may return none."""
        ...

    async def contacts(self, external_ids: Sequence[str]) -> list[ExternalContact]:
        """The current values of these contacts (after a webhook names them, or to reconcile)."""
        ...

    def linked_contacts(self) -> AsyncIterator[list[ExternalContact]]:
        """Every contact that carries a Heed customer id, page by page (for reconciliation)."""
        ...

    async def aclose(self) -> None:
        ...
