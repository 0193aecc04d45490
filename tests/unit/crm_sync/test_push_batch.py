"""A batch push to a CRM that refuses one record: the others are saved, the refused one is named, and a
CRM that is away still stops the round."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import pytest

from heed_crm_sync.crm_sync import push_batch
from heed_crm_sync.ports import CrmRejected, CrmUnavailable, PartlyRejected

GOOD, BAD, ALSO_GOOD = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


class Org:
    """A CRM's batch upsert that refuses BAD: per record (Salesforce's collections) or the whole batch
    (HubSpot validates a batch before it writes any of it)."""

    def __init__(self, per_record: bool) -> None:
        self.per_record = per_record
        self.calls: list[list[uuid.UUID]] = []
        self.saved: dict[uuid.UUID, str] = {}

    async def push(self, items: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        self.calls.append(list(items))
        good = {i: f"crm-{i.hex[:6]}" for i in items if i != BAD}
        if BAD in items and (len(items) == 1 or not self.per_record):
            raise CrmRejected("INVALID_EMAIL_ADDRESS on Email: invalid email address: [redacted]")
        self.saved |= good
        if BAD in items:
            raise PartlyRejected("refused 1 of 3", good, {BAD: "INVALID_EMAIL_ADDRESS"})
        return good


async def test_a_record_refused_by_itself_leaves_the_others_saved_in_one_call():
    org = Org(per_record=True)

    saved, refused = await push_batch(org.push, [GOOD, BAD, ALSO_GOOD], lambda i: i)

    assert saved == org.saved and set(saved) == {GOOD, ALSO_GOOD}
    assert refused == {BAD: "INVALID_EMAIL_ADDRESS"} and len(org.calls) == 1


async def test_a_batch_refused_as_a_whole_goes_again_one_record_at_a_time():
    org = Org(per_record=False)

    saved, refused = await push_batch(org.push, [GOOD, BAD, ALSO_GOOD], lambda i: i)

    assert set(saved) == {GOOD, ALSO_GOOD} and saved == org.saved
    assert list(refused) == [BAD] and "INVALID_EMAIL_ADDRESS" in refused[BAD]
    assert org.calls == [[GOOD, BAD, ALSO_GOOD], [GOOD], [BAD], [ALSO_GOOD]]


async def test_a_push_that_names_no_ids_counts_every_record_saved():
    async def log(items: Sequence[uuid.UUID]) -> None:
        return None

    assert await push_batch(log, [GOOD, ALSO_GOOD], lambda i: i) == ({GOOD: "", ALSO_GOOD: ""}, {})


async def test_a_crm_that_is_away_stops_the_push():
    async def away(items: Sequence[uuid.UUID]) -> None:
        raise CrmUnavailable("503 after 3 attempts", retry_after_s=30.0)

    with pytest.raises(CrmUnavailable):
        await push_batch(away, [GOOD, BAD], lambda i: i)
