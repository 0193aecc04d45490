"""Bearer tokens for Heed's HTTP APIs, from one environment setting: comma-separated
`name:grant:token` entries, where each API decides what a grant is (the cases API's roles, the
customers API's scopes). Errors name the entry, never the token; tokens compare in constant time."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Generic, TypeVar

MIN_TOKEN_LENGTH = 16
G = TypeVar("G")


class BearerTokensError(ValueError):
    """The setting cannot be used; the message names the entry (never the token)."""


class BearerTokens(Generic[G]):
    def __init__(self, entries: list[tuple[str, G, bytes]]) -> None:
        self.entries = entries

    @classmethod
    def parse(cls, value: str | None, *, env: str, grant: Callable[[str], G], grant_name: str = "grant"
              ) -> BearerTokens[G]:
        """`grant` turns an entry's middle part into the API's grant, raising ValueError with a reason."""
        entries: list[tuple[str, G, bytes]] = []
        names: set[str] = set()
        for position, raw in enumerate((value or "").split(","), start=1):
            if not raw.strip():
                continue
            name, _, rest = raw.strip().partition(":")
            granted, _, token = rest.partition(":")
            where = f"{env} entry {position}"
            if not name or not granted or not token:
                raise BearerTokensError(f"{where}: expected name:{grant_name}:token")
            try:
                parsed = grant(granted)
            except ValueError as error:
                raise BearerTokensError(f"{where} ({name}): {error}") from None
            if len(token) < MIN_TOKEN_LENGTH:
                raise BearerTokensError(f"{where} ({name}): the token is shorter than {MIN_TOKEN_LENGTH} characters")
            if name in names:
                raise BearerTokensError(f"{where}: the name {name!r} is used twice")
            names.add(name)
            entries.append((name, parsed, token.encode()))
        return cls(entries)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def find(self, presented: str) -> tuple[str, G] | None:
        """The name and grant whose token this is; every entry is compared, in constant time each."""
        found = None
        given = presented.encode()
        for name, granted, token in self.entries:
            if hmac.compare_digest(given, token):
                found = (name, granted)
        return found
