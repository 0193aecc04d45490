"""Settings shared by every service: `HEED_` environment names, defaults for the embedded stack."""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from heed.identity_hashes import IdentityHashes


class HeedSettings(BaseSettings):
    """Connection and runtime settings; each service subclasses it with its own fields."""

    model_config = SettingsConfigDict(env_prefix="HEED_", extra="ignore")

    kafka_bootstrap: str | None = Field(
        default=None, description="Kafka bootstrap servers; unset means the dev stack's broker")
    kafka_enable_idempotence: bool = Field(
        default=False, description="Turn on for Apache Kafka; the Tansu dev broker rejects it")
    database_url: str | None = Field(
        default=None, description="PostgreSQL DSN; unset means the dev stack's embedded server")
    state_dir: Path = Field(default=Path(".heed"), description="Where the dev stack keeps its state")
    http_host: str = "127.0.0.1"
    http_port: int | None = Field(default=None, description="Overrides the service's default port")
    internal_host: str = Field(
        default="127.0.0.1", description="Bind address of /healthz, /readyz and /metrics for probes and scrapers")
    internal_port: int | None = Field(
        default=None, description="Port of /healthz, /readyz and /metrics; unset means the HTTP port + 100")
    log_level: str = "INFO"
    batch_max_records: int = 500
    batch_timeout_ms: int = 20
    fetch_max_wait_ms: int = 10
    # the subscriptions no customer's reply waits on (topology's `waited_on` names the others)
    background_fetch_max_wait_ms: int = 250
    background_batch_timeout_ms: int = 100
    handler_retries: int = 3
    db_pool_max: int = 4
    topic_replication_factor: int = Field(default=1, description="Used by `heed dev topics` on a cluster")

    def stack_file(self) -> Path:
        return self.state_dir / "stack.json"

    def resolved_kafka(self) -> str:
        if self.kafka_bootstrap:
            return self.kafka_bootstrap
        return self._from_stack("kafka_bootstrap")

    def resolved_database(self) -> str:
        if self.database_url:
            return self.database_url
        return self._from_stack("database_url")

    def _from_stack(self, key: str) -> str:
        path = self.stack_file()
        try:
            value = json.loads(path.read_text())[key]
        except FileNotFoundError:
            raise RuntimeError(
                f"No {key}: set HEED_{key.upper()} or start the dev stack with `heed dev up` "
                f"(looked for {path})") from None
        return str(value)


class KeyRingError(ValueError):
    """A key setting cannot be used; the message names the setting and the entry, never a key."""


def key_ring(secret: SecretStr, *, env: str, size: int | None = None, min_size: int = 32) -> tuple[bytes, ...]:
    """Keys from a setting holding comma-separated base64 keys, newest first: the first signs or
    encrypts, the others are kept to verify or decrypt what older keys made (rotation)."""
    entries = [e.strip() for e in secret.get_secret_value().split(",") if e.strip()]
    if not entries:
        raise KeyRingError(f"{env} is empty: give at least one base64 key")
    keys = []
    for position, entry in enumerate(entries, start=1):
        try:
            key = base64.b64decode(entry.replace("-", "+").replace("_", "/") + "=" * (-len(entry) % 4),
                                   validate=True)
        except (binascii.Error, ValueError):
            raise KeyRingError(f"{env}: entry {position} is not base64") from None
        if size is not None and len(key) != size:
            raise KeyRingError(f"{env}: entry {position} is {len(key)} bytes; it must be {size}")
        if len(key) < min_size:
            raise KeyRingError(f"{env}: entry {position} is {len(key)} bytes; at least {min_size} are needed")
        keys.append(key)
    return tuple(keys)


class ErasureKeySettings(HeedSettings):
    """The settings of a service that remembers or finds customers' identities by keyed hashes
    (ingest, the router, the responder, the classifier): they share HEED_ERASURE_KEY."""

    erasure_key: SecretStr | None = Field(
        default=None, description="Keys of the hashes by which ingest, the router, the responder and the classifier "
                                  "remember or find an erased customer's identities (ingest: its ledger rows and "
                                  "dead letters; the responder: every customer profile; the classifier: agents' "
                                  "corrections): comma-separated base64 (32 bytes or more), newest first; to rotate, "
                                  "list the new key last on every replica of all four, then first; keep retired "
                                  "keys listed. Unset: a built-in key, which anyone "
                                  "can recompute from a platform id")

    def identity_hashes(self) -> IdentityHashes:
        """The keyed hashes of identities, under HEED_ERASURE_KEY when it is set.

        Raises KeyRingError (naming the entry, never a key) for a malformed key. Not a field validator:
        pydantic's error would quote the value.
        """
        if self.erasure_key is None or not self.erasure_key.get_secret_value().strip():
            return IdentityHashes()  # unset, or set empty as deploy's templates leave it
        return IdentityHashes(key_ring(self.erasure_key, env="HEED_ERASURE_KEY"))
