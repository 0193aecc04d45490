"""The tests' wait_for must really wait: a check that never holds fails, whatever callable it is."""

from __future__ import annotations

import pytest

from tests.harness import wait_for


async def _never() -> bool:
    return False


async def test_a_condition_that_never_holds_fails_for_a_coroutine_function_and_a_lambda():
    with pytest.raises(AssertionError, match="not met"):
        await wait_for(_never, timeout=0.3, every=0.05)
    with pytest.raises(AssertionError, match="not met"):
        await wait_for(lambda: _never(), timeout=0.3, every=0.05)


async def test_a_condition_that_comes_to_hold_returns():
    calls = []

    async def third_time() -> bool:
        calls.append(1)
        return len(calls) >= 3

    await wait_for(lambda: third_time(), timeout=5, every=0.01)
    assert len(calls) == 3
