"""Ingest's layers: the domain is pure (no channel parser, adapter or I/O library) and the handlers
reach the outside world only through ports."""

from __future__ import annotations

import subprocess
import sys


def loaded_by(*modules: str) -> set[str]:
    """The modules a fresh interpreter holds after importing `modules`."""
    code = f"import sys; import {', '.join(modules)}; print('\\n'.join(sys.modules))"
    return set(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split())


def test_the_domain_imports_no_channel_adapter_or_database():
    loaded = loaded_by("heed_ingest.domain.normalise", "heed_ingest.domain.generic", "heed_ingest.domain.nonces")
    assert not {m for m in loaded if m.startswith(("heed_ingest.channels", "heed_ingest.adapters", "asyncpg",
                                                   "httpx"))}


def test_the_handlers_use_ports_not_adapters():
    loaded = loaded_by("heed_ingest.handlers")
    assert not {m for m in loaded if m.startswith(("heed_ingest.adapters", "heed_ingest.bootstrap"))}
