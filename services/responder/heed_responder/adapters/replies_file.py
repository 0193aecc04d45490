"""The replies file (`HEED_RESPONDER_TEMPLATES`): templates and the brand per account, reloaded when
operations edit it; a bad edit keeps the last good file and the responder's /readyz says why."""

from __future__ import annotations

from pathlib import Path

from heed.runtime.config_file import WatchedFile, read_config
from heed_responder.domain.catalog import Catalog, CatalogError, parse_catalog

_PACKAGE = Path(__file__).resolve().parents[1]


def shipped_replies_path() -> Path:
    """The example in `deploy/config/` (a source checkout), or its copy inside the package (a wheel)."""
    in_checkout = _PACKAGE.parents[2] / "deploy" / "config" / "replies.yaml"
    return in_checkout if in_checkout.is_file() else _PACKAGE / "replies.yaml"


def load_catalog(path: Path) -> Catalog:
    return read_config(path, parse_catalog, CatalogError)


class RepliesFile(WatchedFile[Catalog]):
    def __init__(self, path: Path, interval_s: float = 3.0) -> None:
        super().__init__(path, load_catalog, what="reply templates", interval_s=interval_s,
                         size=lambda catalog: len(catalog.file.templates))
