"""Polling until something holds, with tenacity: readiness, catching up, a benchmark's last write."""

from __future__ import annotations

from collections.abc import Callable

from tenacity import Retrying, retry_if_result, stop_after_delay, wait_fixed


def poll_until(check: Callable[[], bool], *, timeout: float, every: float) -> bool:
    """Call `check` every `every` seconds until it returns True (→ True) or `timeout` passes (→ False).

    An exception out of `check` is not retried: it propagates at once.
    """
    polling = Retrying(stop=stop_after_delay(timeout), wait=wait_fixed(every),
                       retry=retry_if_result(lambda held: not held), retry_error_callback=lambda _: False)
    return bool(polling(check))
