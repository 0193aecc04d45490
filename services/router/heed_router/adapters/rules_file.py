"""The routing table from its YAML file (`HEED_ROUTER_RULES`), reloaded when operations edit it.

The file is polled (its mtime and size) every few seconds; a valid edit replaces the table in one
assignment, so a batch is routed wholly by the old or wholly by the new table. A bad edit keeps the
last good table; `problem` says why until the file is fixed (the router's /readyz shows it).
"""

from __future__ import annotations

from pathlib import Path

from heed.runtime.config_file import WatchedFile, read_config
from heed_router.domain.rules import RulesError, RuleTable, parse_rules

_PACKAGE = Path(__file__).resolve().parents[1]


def shipped_rules_path() -> Path:
    """The example shipped in `deploy/config/` (in a source checkout), or its copy inside the package (wheel)."""
    in_checkout = _PACKAGE.parents[2] / "deploy" / "config" / "routing-rules.yaml"
    return in_checkout if in_checkout.is_file() else _PACKAGE / "routing-rules.yaml"


def load_rules(path: Path) -> RuleTable:
    """The table in `path`; a `RulesError` naming the file's line and rule if it cannot be used."""
    return read_config(path, parse_rules, RulesError)


class RulesFile(WatchedFile[RuleTable]):
    """The current table of a rules file; `check()` reloads it if it changed since the last look."""

    def __init__(self, path: Path, interval_s: float = 3.0) -> None:
        super().__init__(path, load_rules, what="routing rules", interval_s=interval_s,
                         size=lambda table: len(table.rules))
