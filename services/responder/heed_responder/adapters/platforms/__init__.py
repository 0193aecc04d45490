"""Outbound platform adapters: one `PlatformClient` per channel, over the platforms' documented send APIs.

`build_clients(settings)` (in `clients.py`) returns them keyed by channel value.
"""
