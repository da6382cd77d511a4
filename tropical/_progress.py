"""Progress of long computations (`from_torch`, plane metrics, linear regions) on stderr.

One reporter for every long call: a tqdm bar on a terminal, and where stderr is not a terminal (CI, nohup, a
log file, a notebook's captured stderr) plain lines at most every :data:`PLAIN_PROGRESS_INTERVAL` seconds.
"""

from __future__ import annotations

import sys
import time

#: With ``progress=None``: seconds before a bar appears on a terminal, and before plain lines start elsewhere.
AUTO_PROGRESS_DELAY = {"tty": 2.0, "plain": 10.0}
#: Smallest interval between two plain-text progress lines.
PLAIN_PROGRESS_INTERVAL = 5.0


class Progress:
    """Progress over the steps of a long computation: a tqdm bar on a terminal, plain lines elsewhere.

    ``progress=True`` shows it from the start; ``None`` (auto) only once the computation has run for
    :data:`AUTO_PROGRESS_DELAY` seconds, so quick calls stay silent; ``False`` never. Without a terminal
    (CI, nohup, a notebook's captured stderr) one line is written to stderr at most every
    :data:`PLAIN_PROGRESS_INTERVAL` seconds and when the last step is done.
    """

    def __init__(
        self,
        total: int,
        progress: bool | None,
        unit: str = "polynomials",
        stream=None,
        name: str = "from_torch",
        started: float | None = None,
    ):
        """``started``: the ``time.perf_counter()`` the delays and elapsed times count from (default now:
        one computation in several phases passes its start to each phase's reporter)."""
        self.total, self.done, self.unit, self.name = total, 0, unit, name
        self.stream = sys.stderr if stream is None else stream
        self.start = time.perf_counter() if started is None else started
        self.last_line = time.perf_counter()
        tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.bar = None
        self.plain_delay = None
        if progress is False or total == 0:
            return
        if tty:
            from tqdm.auto import tqdm

            delay = 0.0 if progress else AUTO_PROGRESS_DELAY["tty"]
            self.bar = tqdm(
                total=total, desc=f"tropical {unit}", unit=unit[:-1], delay=delay, file=self.stream
            )
        else:
            self.plain_delay = 0.0 if progress else AUTO_PROGRESS_DELAY["plain"]

    def update(self, what: str, size: int | None = None, size_unit: str = "monomials") -> None:
        """One more step (polynomial, plane, ...) is done: ``what`` names it, ``size`` counts its
        ``size_unit`` (if any)."""
        self.done += 1
        if self.bar is not None:
            self.bar.update(1)
            return
        if self.plain_delay is None:
            return
        now = time.perf_counter()
        due = now - self.last_line >= PLAIN_PROGRESS_INTERVAL or self.done == self.total
        if now - self.start >= self.plain_delay and (due or (self.plain_delay == 0.0 and self.done == 1)):
            detail = "" if size is None else f" ({size:,} {size_unit})"
            elapsed = now - self.start
            print(
                f"{self.name}: {self.done}/{self.total} {self.unit}, last {what}{detail}, {elapsed:.1f} s",
                file=self.stream,
                flush=True,
            )
            self.last_line = now

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
