"""Files operations edit (routing rules, reply templates, brand settings, the knowledge base):
YAML checked by a pydantic model with every problem naming its line and item, and a watched file
that reloads a good edit and keeps the last good content after a bad one.

A service's own file format is a pydantic model plus, where the file is a list of items with
`id`s, the name of that list: a problem inside an item names the item's id too.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


class ConfigError(ValueError):
    """A file that cannot be used; each line of the message names a line (and the item, if any)."""


class ItemProblem(ValueError):
    """A problem found across the file that belongs to one item of its list (by index)."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.index = index


class _Loader(yaml.SafeLoader):
    """YAML 1.1 without its surprises for hand-edited files: `18:00` stays a time of day (not the
    base-60 number 1080) and `2026-13-01` stays text (not a date the loader fails to build, with
    no line); pydantic then checks each value and names its line."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers
            if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:int")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789"))


def parse_yaml(text: str, name: str, model: type[M], *, items: str | None = None, expected: str = "a mapping",
               error: type[ConfigError] = ConfigError) -> M:
    """`model` from YAML `text`; `name` (the file's name) starts each problem. `items` names the
    top-level list whose entries have ids (a problem inside one names it)."""
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise error(f"{name}{line}: not valid YAML: {e.problem or e}") from None
    except (yaml.YAMLError, ValueError, TypeError) as e:  # a value the loader could not build
        raise error(f"{name}: not valid YAML: {e}") from None
    if node is None or not isinstance(data, dict):
        raise error(f"{name} line 1: expected {expected}")
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise error("\n".join(_describe(problem, node, name, items) for problem in e.errors())) from None


@dataclass(frozen=True)
class _Where:
    line: int
    item_id: str | None


def _describe(error: Any, root: yaml.Node, name: str, items: str | None) -> str:
    loc = tuple(error["loc"])
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, ItemProblem) and items is not None:
        loc = (items, cause.index)
    where = _locate(root, loc, items)
    label = f", {_singular(items)} {where.item_id!r}" if where.item_id and items else ""
    return f"{name} line {where.line}{label}: {_message(error, loc, cause)}"


def _singular(items: str) -> str:
    if items.endswith("ies"):
        return items[:-3] + "y"
    return items[:-1] if items.endswith("s") else items


def _message(error: Any, loc: tuple[Any, ...], cause: object) -> str:
    if isinstance(cause, ValueError):
        return str(cause)
    field = next((str(p) for p in reversed(loc) if isinstance(p, str)), "value")
    if error["type"] == "extra_forbidden":
        return f"unknown key {field!r}"
    if error["type"] == "missing":
        return f"missing key {field!r}"
    label = field.replace("_", " ")
    if error["type"] in ("enum", "literal_error"):
        return f"unknown {label} {error['input']!r} ({error['msg'][0].lower()}{error['msg'][1:]})"
    return f"{label}: {error['msg']} (got {error['input']!r})" if not isinstance(error["input"], dict | list) \
        else f"{label}: {error['msg']}"


def _locate(root: yaml.Node, loc: tuple[Any, ...], items: str | None) -> _Where:
    """The line of the deepest node `loc` reaches (a key's own line for a key) and the item it is in."""
    node, line, item_id = root, root.start_mark.line + 1, None
    for depth, part in enumerate(loc):
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    line, child = key.start_mark.line + 1, value
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
            line = child.start_mark.line + 1
            if depth == 1 and items is not None and loc[0] == items:
                item_id = _id_of(child)
        if child is None:
            break
        node = child
    return _Where(line, item_id)


def _id_of(node: yaml.Node) -> str | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == "id" and isinstance(value, yaml.ScalarNode):
                return str(value.value)
    return None


def read_config(path: Path, parse: Callable[[str, str], T], error: type[ConfigError] = ConfigError) -> T:
    """`parse(text, file name)` of the file; a `ConfigError` if it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise error(f"{path.name}: cannot read {path}: {e}") from None
    return parse(text, path.name)


class WatchedFile(Generic[T]):
    """The current content of a file operations edit; `check()` reloads it if it changed.

    Polled (inode, mtime, size) every `interval_s`; a valid edit replaces the content in one
    assignment, so work in progress uses wholly the old or wholly the new. A bad edit keeps the
    last good content and `problem` says why (for /readyz and the log) until the file is fixed.
    At start a bad file raises: there is no last good content.
    """

    def __init__(self, path: Path, load: Callable[[Path], T], *, what: str, interval_s: float = 3.0,
                 size: Callable[[T], int] | None = None) -> None:
        self.path = path
        self.interval_s = interval_s
        self.what = what
        self._load = load
        self._size = size
        self._stamp = self._stat()
        self._content = load(path)
        self.problem: str | None = None
        self.reloads = 0

    def current(self) -> T:
        return self._content

    def _stat(self) -> tuple[int, int, int] | None:
        # follows symlinks: a Kubernetes ConfigMap update swaps a symlink to a new file (a new inode),
        # which may keep the old size and even the old time
        try:
            st = self.path.stat()
        except OSError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    def check(self) -> bool:
        """Reload if the file changed; True if new content is in use."""
        stamp = self._stat()
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        try:
            content = self._load(self.path)
        except ConfigError as e:
            self.problem = str(e)
            # the message names lines, ids and the file's own values, never a customer's data
            log.error(f"{self.what} not reloaded; keeping the last good version",
                      extra={"fields": {"path": str(self.path), "problem": self.problem}})
            return False
        self._content = content
        self.problem = None
        self.reloads += 1
        fields: dict[str, object] = {"path": str(self.path)}
        if self._size is not None:
            fields["items"] = self._size(content)
        log.info(f"{self.what} reloaded", extra={"fields": fields})
        return True

    async def watch(self) -> None:
        """Poll until cancelled."""
        while True:
            await asyncio.sleep(self.interval_s)
            self.check()  # a small file: reading it does not hold the loop up
