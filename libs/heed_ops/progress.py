"""A progress bar on stderr for long work (replays, waits), plain lines when not a terminal."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, label: str, total: int, width: int = 30) -> None:
        self.label, self.total, self.width = label, max(total, 1), width
        self.done = 0
        self.tty = sys.stderr.isatty()
        self._last = 0.0
        self._shown = -1

    def update(self, done: int) -> None:
        self.done = done
        now = time.monotonic()
        if not self.tty and (done == self._shown or (now - self._last < 1.0 and done < self.total)):
            return
        self._shown = done
        self._last = now
        filled = int(self.width * min(done, self.total) / self.total)
        bar = "█" * filled + "░" * (self.width - filled)
        line = f"{self.label:<22} {bar} {done}/{self.total}"
        sys.stderr.write(("\r" + line) if self.tty else line + "\n")
        sys.stderr.flush()

    def advance(self, n: int) -> None:
        self.update(self.done + n)

    def close(self) -> None:
        if self.tty:
            sys.stderr.write("\n")
            sys.stderr.flush()
