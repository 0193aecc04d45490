"""Classifier settings (`HEED_` environment names)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from heed.runtime.settings import HeedSettings


class ClassifierSettings(HeedSettings):
    classifier_model_dir: Path | None = Field(
        default=None, description="A retrained artefact from `heed classifier train`; unset = shipped model")
