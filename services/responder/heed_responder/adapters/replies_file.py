"""The responder's files operations edit: the replies (`HEED_RESPONDER_TEMPLATES`: templates and the
brand per account) and the knowledge base (`HEED_RESPONDER_KNOWLEDGE`), reloaded when edited; a bad
edit keeps the last good file and the responder's /readyz says why."""

from __future__ import annotations

from pathlib import Path

from heed.runtime.config_file import WatchedFile, read_config
from heed_responder.domain.catalog import Catalog, CatalogError, parse_catalog
from heed_responder.domain.knowledge import Knowledge, KnowledgeError, parse_knowledge

_PACKAGE = Path(__file__).resolve().parents[1]


def shipped_path(name: str) -> Path:
    """The example in `deploy/config/` (a source checkout), or its copy inside the package (a wheel)."""
    in_checkout = _PACKAGE.parents[2] / "deploy" / "config" / name
    return in_checkout if in_checkout.is_file() else _PACKAGE / name


def shipped_replies_path() -> Path:
    return shipped_path("replies.yaml")


def load_knowledge(path: Path) -> Knowledge:
    return read_config(path, parse_knowledge, KnowledgeError)


def load_catalog(path: Path) -> Catalog:
    return read_config(path, parse_catalog, CatalogError)


class RepliesFile(WatchedFile[Catalog]):
    def __init__(self, path: Path, interval_s: float = 3.0) -> None:
        super().__init__(path, load_catalog, what="reply templates", interval_s=interval_s,
                         size=lambda catalog: len(catalog.file.templates))


class KnowledgeBaseFile(WatchedFile[Knowledge]):
    def __init__(self, path: Path, interval_s: float = 3.0) -> None:
        super().__init__(path, load_knowledge, what="knowledge base", interval_s=interval_s,
                         size=lambda knowledge: len(knowledge.file.entries))
