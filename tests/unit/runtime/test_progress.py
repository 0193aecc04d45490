"""Progress bars by rich: away from a terminal (CI, a pipe) nothing is drawn while the work runs,
and each bar ends as one line with its label and counts."""

from __future__ import annotations

import pytest

from heed_ops.progress import progress_bars


def test_without_a_terminal_each_bar_ends_as_one_line_with_its_counts(capsys: pytest.CaptureFixture[str]):
    with progress_bars() as bars:
        replayed = bars.add_task("replayed", total=250)
        for _ in range(5):
            bars.advance(replayed, 50)
        processed = bars.add_task("processed", total=250)
        bars.update(processed, completed=240)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("replayed") and "250/250" in lines[0]
    assert lines[1].startswith("processed") and "240/250" in lines[1]


def test_a_disabled_bar_prints_nothing(capsys: pytest.CaptureFixture[str]):
    with progress_bars(disable=True) as bars:
        bars.advance(bars.add_task("replayed", total=3), 3)
    assert capsys.readouterr().err == ""
