"""Versioned classifier models: `<models dir>/<version>/` (an artefact: model.json + weights.npz) and
`<models dir>/CURRENT`, the promoted version's name. The service loads the version
HEED_CLASSIFIER_MODEL_VERSION names, else the promoted one, else the shipped one: a rollback is
that one setting (`shipped` names the model in the package).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

POINTER = "CURRENT"
HISTORY = "promotions.jsonl"
SHIPPED = "shipped"
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")


class ModelVersionError(ValueError):
    """A version that cannot be used: malformed, or not in the models directory."""


def check_version(version: str) -> str:
    if not _VERSION.match(version) or version in (SHIPPED, POINTER):
        raise ModelVersionError(f"model version {version!r} must be 1-64 letters, digits, '.', '_', '+' or '-', "
                                f"start with a letter or digit, and not be {SHIPPED!r} or {POINTER!r}")
    return version


def versions(models_dir: Path) -> list[str]:
    """The versions in `models_dir`, by name."""
    if not models_dir.is_dir():
        return []
    return sorted(p.name for p in models_dir.iterdir() if (p / "model.json").is_file())


def promoted(models_dir: Path) -> str | None:
    """The version CURRENT names, if any."""
    pointer = models_dir / POINTER
    return pointer.read_text(encoding="utf-8").strip() or None if pointer.is_file() else None


def resolve(models_dir: Path, version: str | None, model_dir: Path | None = None) -> Path | None:
    """The artefact directory to load; None means the shipped model.

    `model_dir` (HEED_CLASSIFIER_MODEL_DIR) is an artefact of its own and cannot be combined with a version.
    """
    if model_dir is not None:
        if version is not None:
            raise ModelVersionError("set HEED_CLASSIFIER_MODEL_DIR or HEED_CLASSIFIER_MODEL_VERSION, not both")
        return model_dir
    if version == SHIPPED:
        return None
    chosen = version or promoted(models_dir)
    if chosen is None:
        return None
    directory = models_dir / check_version(chosen)
    if not (directory / "model.json").is_file():
        known = ", ".join(versions(models_dir)) or "none"
        raise ModelVersionError(f"no model version {chosen!r} in {models_dir} (versions there: {known}; "
                                f"{SHIPPED!r} is the shipped model)")
    return directory


def promote(models_dir: Path, version: str, built: Path, record: dict[str, Any]) -> Path:
    """Move the artefact `built` to `<models_dir>/<version>/`, point CURRENT at it, and note the
    promotion (with `record`: the figures that justified it) in promotions.jsonl."""
    check_version(version)
    target = models_dir / version
    if target.exists():
        raise ModelVersionError(f"{target} exists: choose another --version")
    models_dir.mkdir(parents=True, exist_ok=True)
    previous = promoted(models_dir)
    shutil.move(str(built), str(target))
    temporary = models_dir / f".{POINTER}.tmp"
    temporary.write_text(version + "\n", encoding="utf-8")
    os.replace(temporary, models_dir / POINTER)  # atomic: a starting service reads the old or the new name
    with (models_dir / HISTORY).open("a", encoding="utf-8") as history:
        history.write(json.dumps({"version": version, "previous": previous or SHIPPED,
                                  "promoted_at": datetime.now(UTC).isoformat(), **record}) + "\n")
    return target
