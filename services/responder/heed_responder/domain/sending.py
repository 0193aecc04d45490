"""What a platform did with one reply, in the terms the outbox acts on.

Each platform adapter (`adapters/platforms/`) turns the platform's response into a `SendResult`:

- `sent`: the platform accepted it; `platform_message_id` is its id there.
- `failed`: it will never go out as it is (window closed, token expired, blocked by the user,
  a bad request); `reason` says so in words an agent can act on. Never retried.
- `retry`: it did not go out and may be tried again later (rate limited, the platform's 5xx
  before it accepted anything); `retry_after_s` from the platform's headers when it gave one.
- `unknown`: the request may have reached the platform and nothing says whether it was
  accepted (a timeout or a dropped connection after the request was written). Never resent
  blindly: a read-back decides, or an agent.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    SENT = "sent"
    FAILED = "failed"
    RETRY = "retry"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    platform_message_id: str | None = None
    reason: str | None = None
    retry_after_s: float | None = None

    @classmethod
    def sent(cls, platform_message_id: str) -> SendResult:
        return cls(Outcome.SENT, platform_message_id=platform_message_id)

    @classmethod
    def failed(cls, reason: str) -> SendResult:
        return cls(Outcome.FAILED, reason=reason)

    @classmethod
    def retry(cls, reason: str, retry_after_s: float | None = None) -> SendResult:
        return cls(Outcome.RETRY, reason=reason, retry_after_s=retry_after_s)

    @classmethod
    def unknown(cls, reason: str) -> SendResult:
        return cls(Outcome.UNKNOWN, reason=reason)
