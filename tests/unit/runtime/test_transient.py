"""Which failures the Stage retries by redelivery (the database or broker failed) and which mean
the event itself cannot be handled (dead-lettered)."""

from __future__ import annotations

import asyncpg
import pytest
from aiokafka.errors import KafkaTimeoutError

from heed.runtime.messaging import is_transient


@pytest.mark.parametrize("error", [
    asyncpg.exceptions.DeadlockDetectedError("deadlock detected"),  # 40P01: two writers locked in turn
    asyncpg.exceptions.SerializationError("could not serialize access"),  # 40001
    asyncpg.exceptions.AdminShutdownError("terminating connection"),  # 57P01
    asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"),
    KafkaTimeoutError(), ConnectionRefusedError(), TimeoutError(),
])
def test_infrastructure_failures_and_rolled_back_transactions_are_retried(error):
    assert is_transient(error)


@pytest.mark.parametrize("error", [
    asyncpg.exceptions.UniqueViolationError("duplicate key"), asyncpg.exceptions.DataError("bad value"),
    asyncpg.exceptions.CheckViolationError("check"), ValueError("not a mention"),
])
def test_a_problem_with_the_event_is_not_retried(error):
    assert not is_transient(error)
