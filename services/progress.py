"""Long work shown as it goes: a bar with ETA on a terminal, a plain line now and then otherwise.

Migrations, sample data, vacuum and resealing take seconds to minutes. On a
terminal they draw a tqdm bar (done, rate, time left); into a file or a
pipe, where a bar would fill the log with carriage returns, they write one
line every ``EVERY_SECONDS`` and one at the end.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from tqdm import tqdm

EVERY_SECONDS = 10.0


class Progress:
    def __init__(self, what: str, total: int | None = None, *, unit: str = "rows", stream: TextIO | None = None,
                 enabled: bool = True) -> None:
        self.what, self.total, self.unit = what, total, unit
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled and self.stream is not None
        self.done = 0
        self._started = self._said = time.monotonic()
        self._bar: tqdm | None = None
        if self.enabled and self.stream.isatty():
            self._bar = tqdm(total=total, desc=what, unit=f" {unit}", file=self.stream, dynamic_ncols=True,
                             unit_scale=True, leave=True)

    def advance(self, by: int = 1) -> None:
        self.set(self.done + by)

    def set(self, done: int, total: int | None = None) -> None:
        if total is not None and total != self.total:
            self.total = total
            if self._bar is not None:
                self._bar.total = total
        step, self.done = done - self.done, done
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.update(step)
        elif time.monotonic() - self._said >= EVERY_SECONDS:
            self._line()

    def close(self, summary: str | None = None) -> None:
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.close()
        else:
            self._line()
        if summary:
            self.stream.write(summary + "\n")
            self.stream.flush()

    def _line(self) -> None:
        self._said = time.monotonic()
        elapsed = max(self._said - self._started, 1e-6)
        rate = self.done / elapsed
        line = f"{self.what}: {self.done:,}"
        if self.total:
            left = (self.total - self.done) / rate if rate else float("inf")
            eta = f", about {left:,.0f} s left" if left != float("inf") else ""
            line += f" of {self.total:,} {self.unit} ({100 * self.done / self.total:.0f} %){eta}"
        else:
            line += f" {self.unit}"
        self.stream.write(f"{line}, {rate:,.0f}/s, {elapsed:,.0f} s\n")
        self.stream.flush()
