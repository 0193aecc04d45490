"""Reading platform bodies: typed field access, times, and the listening terms a post contains."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from heed.contracts.events import PG_INT_MAX
from heed_ingest.domain.drafts import UnparseableBody


def obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise UnparseableBody(f"{where}: expected an object, got {type(value).__name__}")
    return value


def sub(parent: dict[str, Any], key: str) -> dict[str, Any]:
    """parent[key] when it is an object, else an empty one (for optional nested objects)."""
    value = parent.get(key)
    return value if isinstance(value, dict) else {}


def items(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise UnparseableBody(f"{where}: expected a list, got {type(value).__name__}")
    return value


def text_field(value: Any, where: str, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise UnparseableBody(f"{where}: expected a string, got {type(value).__name__}")
    result = str(value)
    if required and not result:
        raise UnparseableBody(f"{where}: is empty")
    return result


def int_field(value: Any, default: int = 0) -> int:
    """A count such as followers: negative is 0, and past what a 32-bit column holds is its maximum
    (no account has two billion followers; a platform that says so is still a mention to answer)."""
    if isinstance(value, bool):
        return default
    if isinstance(value, str) and value.isdigit() and len(value) <= 20:
        value = int(value)
    if isinstance(value, int):
        return min(max(0, value), PG_INT_MAX)
    return default


def from_epoch(value: Any, where: str, millis: bool = False) -> datetime:
    try:
        seconds = float(value) / (1000.0 if millis else 1.0)
        return datetime.fromtimestamp(seconds, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise UnparseableBody(f"{where}: not a timestamp: {str(value)[:40]!r}") from None


def from_text_time(value: Any, where: str) -> datetime:
    """ISO 8601 (X v2, Meta) or the RFC 2822-like "Wed Oct 10 20:19:24 +0000 2018" (X v1.1, Weibo)."""
    if not isinstance(value, str) or not value:
        raise UnparseableBody(f"{where}: expected a time string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parts = value.split()
            if len(parts) == 6:  # Wed Oct 10 20:19:24 +0000 2018 → RFC 2822 order
                value = f"{parts[0]}, {parts[2]} {parts[1]} {parts[5]} {parts[3]} {parts[4]}"
            parsed = parsedate_to_datetime(value)
        except (ValueError, TypeError, IndexError):
            raise UnparseableBody(f"{where}: not a time: {value[:40]!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


EXECUTIVE = "executive:"


def search_term(term: str) -> str:
    """What to search the platform for: an executive's term without its marker."""
    return term.removeprefix(EXECUTIVE)


def terms_in_text(terms: list[str], text: Any) -> list[str]:
    """The listening terms that occur in a post, case-insensitively; an executive's name or handle
    keeps its "executive:" marker so routing and agents can tell who was talked about."""
    folded = str(text or "").casefold()
    return [t for t in terms if search_term(t).casefold() in folded]
