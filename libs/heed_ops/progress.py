"""Progress bars on stderr for long work (replays, waits), drawn by rich.

On a terminal the bars move; elsewhere (CI, a pipe, a log file) rich draws nothing while the work
runs and prints each bar once when it ends: a final line per bar with its counts.
"""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

__all__ = ["Progress", "progress_bars"]


def progress_bars(disable: bool = False) -> Progress:
    """A rich Progress on stderr: a label, a bar, done/total and the time so far, per task.

    `disable` draws nothing at all (work too short to be worth a bar).
    """
    return Progress(TextColumn("{task.description:<22}"), BarColumn(bar_width=30), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=Console(stderr=True), disable=disable)
