"""The routing table from its YAML file (`HEED_ROUTER_RULES`), reloaded when operations edit it.

The file is polled (its mtime and size) every few seconds; a valid edit replaces the table in one
assignment, so a batch is routed wholly by the old or wholly by the new table. A bad edit keeps the
last good table; `problem` says why until the file is fixed (the router's /readyz shows it).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from heed_router.domain.rules import RulesError, RuleTable, parse_rules

log = logging.getLogger(__name__)

_PACKAGE = Path(__file__).resolve().parents[1]


def shipped_rules_path() -> Path:
    """The example shipped in `deploy/config/` (in a source checkout), or its copy inside the package (wheel)."""
    in_checkout = _PACKAGE.parents[2] / "deploy" / "config" / "routing-rules.yaml"
    return in_checkout if in_checkout.is_file() else _PACKAGE / "routing-rules.yaml"


def load_rules(path: Path) -> RuleTable:
    """The table in `path`; a `RulesError` naming the file's line and rule if it cannot be used."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise RulesError(f"{path.name}: cannot read {path}: {e}") from None
    return parse_rules(text, path.name)


class RulesFile:
    """The current table of a rules file; `check()` reloads it if it changed since the last look."""

    def __init__(self, path: Path, interval_s: float = 3.0) -> None:
        self.path = path
        self.interval_s = interval_s
        self._stamp = self._stat()
        self._table = load_rules(path)  # at start a bad file stops the router: there is no last good table
        self.problem: str | None = None
        self.reloads = 0

    def current(self) -> RuleTable:
        return self._table

    def _stat(self) -> tuple[int, int, int] | None:
        # follows symlinks: a Kubernetes ConfigMap update swaps a symlink to a new file (a new inode),
        # which may keep the old size and even the old time
        try:
            st = self.path.stat()
        except OSError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    def check(self) -> bool:
        """Reload if the file changed; True if a new table is in use. A bad edit keeps the last good table."""
        stamp = self._stat()
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        try:
            table = load_rules(self.path)
        except RulesError as e:
            self.problem = str(e)
            # the message names lines, rule ids and the file's own values, never a mention's text
            log.error("routing rules not reloaded; keeping the last good table",
                      extra={"fields": {"path": str(self.path), "problem": self.problem}})
            return False
        self._table = table
        self.problem = None
        self.reloads += 1
        log.info("routing rules reloaded",
                 extra={"fields": {"path": str(self.path), "rules": len(table.rules)}})
        return True

    async def watch(self) -> None:
        """Poll until cancelled."""
        while True:
            await asyncio.sleep(self.interval_s)
            self.check()  # a small file: reading it does not hold the loop up
