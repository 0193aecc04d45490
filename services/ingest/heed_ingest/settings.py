"""Ingest settings (`HEED_` environment names)."""

from __future__ import annotations

from pydantic import Field

from heed.runtime.settings import HeedSettings


class IngestSettings(HeedSettings):
    ingest_api_tokens: str = Field(
        default="", description="Comma-separated bearer tokens accepted by POST /v1/mentions")
    ingest_max_body_bytes: int = Field(default=1_048_576, description="Larger bodies get 413")

    def api_tokens(self) -> list[str]:
        return [t.strip() for t in self.ingest_api_tokens.split(",") if t.strip()]
