"""Classifier settings (`HEED_` environment names)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from heed.runtime.settings import ErasureKeySettings
from heed_classifier.domain.languages import DEFAULT_LANGUAGES, check_languages


class ClassifierSettings(ErasureKeySettings):
    classifier_model_dir: Path | None = Field(
        default=None, description="A retrained artefact from `heed classifier train --out`; overrides the "
                                  "versioned models below")
    classifier_models_dir: Path = Field(
        default=Path(".heed/classifier-models"),
        description="Where `heed classifier train --corrections` promotes versioned models (<dir>/<version>/) and "
                    "keeps the pointer to the promoted one (<dir>/CURRENT)")
    classifier_model_version: str | None = Field(
        default=None, description="The version in HEED_CLASSIFIER_MODELS_DIR to load (a rollback is this one "
                                  "setting); `shipped` for the model in the package; unset: the promoted one, "
                                  "else the shipped one")
    classifier_languages: str = Field(
        default=",".join(DEFAULT_LANGUAGES),
        description="The languages the brand's customers write in, ISO 639-1, comma-separated: lingua names "
                    "Latin-script (and other shared-alphabet) posts among them; zh, ja, ko and th are "
                    "named by their script whether listed or not")
    classifier_default_language: str = Field(
        default="en", description="The language of a post too short to tell (\"ok\", \"merci!\"), at low confidence")

    @field_validator("classifier_languages", "classifier_default_language")
    @classmethod
    def _known(cls, value: str) -> str:
        return ",".join(check_languages(value.split(",")))

    @field_validator("classifier_default_language")
    @classmethod
    def _one(cls, value: str) -> str:
        if "," in value:
            raise ValueError(f"one language, not a list: {value!r}")
        return value

    def languages(self) -> tuple[str, ...]:
        return tuple(self.classifier_languages.split(","))
