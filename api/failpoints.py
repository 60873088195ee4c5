"""Failpoints: named places where the fault tests make a process fail on purpose.

Some failures cannot be produced from outside at the right moment: a process
killed after its transaction committed and before the client got the answer,
a request whose deadline passes after the commit. The fault tests and
``bench.faults`` name them in ``COEDU_FAILPOINTS`` (comma-separated); a
failpoint not named does nothing, and production refuses to start with any.
"""

from __future__ import annotations

import asyncio
import os
import signal

#: Every failpoint there is, and what it does when reached.
KNOWN = {
    "kill-after-commit": "SIGKILL the process once an idempotent mutation has committed, before it answers",
    "stall-after-commit": "wait a minute once an idempotent mutation has committed, so its deadline passes",
    "kill-after-roster-school": "SIGKILL a roster import once its second school has committed",
}
STALL_SECONDS = 60


class Failpoints:
    def __init__(self, names: frozenset[str] = frozenset()) -> None:
        self.names = names  # checked against KNOWN by api.settings

    async def reach(self, name: str) -> None:
        if name not in self.names:
            return
        if name in ("kill-after-commit", "kill-after-roster-school"):
            os.kill(os.getpid(), signal.SIGKILL)
        elif name == "stall-after-commit":
            await asyncio.sleep(STALL_SECONDS)
