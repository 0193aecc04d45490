"""Database errors quote the values they choke on ("Key (email)=(alice@example.com) already
exists"): raised for real against PostgreSQL, then described for the DLQ and logged, the value
appears nowhere, while the class, SQLSTATE, table, constraint and frames still do."""

from __future__ import annotations

import json
import logging
import sys

import asyncpg
import pytest
from aiokafka.structs import ConsumerRecord

from heed.runtime.logs import JsonFormatter
from heed.runtime.messaging import dead_letter, describe_error

pytestmark = pytest.mark.integration

VALUE = "alice@example.com"


async def _raised(database_url: str, sql: str, *args: object) -> BaseException:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("CREATE TABLE IF NOT EXISTS customers (id int, email text"
                           " CONSTRAINT customers_email_key UNIQUE)")
        await conn.execute("INSERT INTO customers VALUES (1, $1) ON CONFLICT DO NOTHING", VALUE)
        try:
            await conn.execute(sql, *args)
        except Exception as exc:  # the error under test
            return exc
        raise AssertionError(f"{sql} did not fail")
    finally:
        await conn.close()


def _logged(error: BaseException, message: str = "batch failed", *args: object) -> str:
    try:
        raise RuntimeError("the batch could not be stored") from error
    except RuntimeError:
        record = logging.LogRecord("heed.test", logging.ERROR, __file__, 1, message, args, sys.exc_info())
    record.fields = {"error": error}
    return JsonFormatter("ingest").format(record)


def _record() -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord("heed.mentions", 0, 7, 0, 0, b"k", b"{}", None, 2, 2, [])


async def test_a_unique_violation_is_described_and_logged_without_the_duplicate_value(database_url):
    error = await _raised(database_url, "INSERT INTO customers VALUES (2, $1)", VALUE)
    assert isinstance(error, asyncpg.UniqueViolationError)
    assert VALUE in (error.detail or "")  # what asyncpg would have let through

    described = describe_error(error)
    assert VALUE not in described
    assert "UniqueViolationError" in described and "23505" in described
    assert "customers" in described and "customers_email_key" in described

    letter = dead_letter(_record(), "crm-sync", error, attempts=3)
    assert VALUE not in letter.model_dump_json()

    line = _logged(error, "insert failed: %s", error)
    entry = json.loads(line)
    assert VALUE not in line
    assert "23505" in entry["exc"] and "customers_email_key" in entry["exc"]
    # the traceback's frames and the wrapping error's own message are kept
    assert "_raised" in entry["exc"] and "the batch could not be stored" in entry["exc"]
    assert "UniqueViolationError" in entry["msg"] and "UniqueViolationError" in entry["error"]


async def test_a_value_postgresql_cannot_convert_is_not_quoted(database_url):
    error = await _raised(database_url, "SELECT $1::text::int", VALUE)
    assert isinstance(error, asyncpg.InvalidTextRepresentationError) and VALUE in str(error)
    assert VALUE not in describe_error(error)
    assert "22P02" in describe_error(error)
    assert VALUE not in _logged(error)


async def test_an_argument_asyncpg_refuses_to_encode_is_not_quoted(database_url):
    # asyncpg's client-side DataError quotes the argument, and so may the error it was raised from
    error = await _raised(database_url, "INSERT INTO customers VALUES ($1, 'x')", VALUE)
    assert type(error).__name__ == "DataError" and VALUE in str(error)
    assert VALUE not in describe_error(error)
    line = _logged(error)
    assert VALUE not in line and "DataError" in line


def test_other_errors_keep_their_message_in_logs_and_dead_letters():
    error = ValueError("the weibo body has no 'created_at'")
    assert describe_error(error) == "the weibo body has no 'created_at'"
    assert "the weibo body has no 'created_at'" in json.loads(_logged(error))["exc"]
