"""asyncpg pool and numbered SQL migrations, one PostgreSQL schema per service."""

from __future__ import annotations

import hashlib
import logging
import re
from importlib import resources

import asyncpg

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


class MigrationError(RuntimeError):
    pass


def migration_files(package: str) -> list[tuple[int, str, str]]:
    """(version, name, sql) for each `NNN_name.sql` in `package`.migrations, in order."""
    folder = resources.files(package).joinpath("migrations")
    found = []
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
        elif entry.name.endswith(".sql"):
            raise MigrationError(f"{package}: migration {entry.name!r} must be named NNN_name.sql")
    found.sort()
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"{package}: two migrations share a number: {versions}")
    return found


async def migrate(pool: asyncpg.Pool, schema: str, package: str) -> int:
    """Apply `package`'s pending migrations inside `schema`; returns how many were applied."""
    lock_key = int.from_bytes(hashlib.sha1(schema.encode()).digest()[:4], "big")
    applied = 0
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", lock_key)
        await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        await conn.execute(
            f'CREATE TABLE IF NOT EXISTS "{schema}".schema_migrations ('
            " version int PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())")
        done = {r["version"] for r in await conn.fetch(f'SELECT version FROM "{schema}".schema_migrations')}
        for version, name, sql in migration_files(package):
            if version in done:
                continue
            await conn.execute(f'SET LOCAL search_path TO "{schema}", public')
            await conn.execute(sql)
            await conn.execute(
                f'INSERT INTO "{schema}".schema_migrations (version, name) VALUES ($1, $2)', version, name)
            applied += 1
            log.info("migration applied", extra={"fields": {"schema": schema, "migration": name}})
    return applied


async def create_pool(dsn: str, schema: str, max_size: int = 4) -> asyncpg.Pool:
    """A pool whose connections resolve unqualified names in the service's own schema."""
    pool = await asyncpg.create_pool(
        dsn, min_size=1, max_size=max_size,
        server_settings={"search_path": f'"{schema}",public', "application_name": f"heed-{schema}"})
    assert pool is not None
    return pool
