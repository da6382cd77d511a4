"""Progress of long work: a tqdm bar on a terminal, one plain line per finished stage everywhere else.

A sweep run under CI, ``nohup`` or a pipe has no terminal to draw a bar on; there each finished stage (a
dense net trained, a ticket trained and compared, a figure written) becomes one line on stderr with the
elapsed wall time and what the stage cost, so a log shows where the time goes::

    [compare] ticket 5/72 (lottery, 50%, seed 0): training 1.1 s, geometry 10.4 s; elapsed 61 s
"""

from __future__ import annotations

import sys
import time

__all__ = ["Progress", "cpu_clock"]


def cpu_clock() -> tuple[float, float]:
    """``(wall, cpu)`` seconds now: ``time.perf_counter()`` and this process's ``time.process_time()``."""
    return time.perf_counter(), time.process_time()


def _is_tty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class Progress:
    """Report the stages of one piece of long work.

    Parameters
    ----------
    progress : bool, optional
        ``False``: silent. ``None`` or ``True``: a tqdm bar per group of tasks when ``stream`` is a terminal,
        else one line per finished stage.
    prefix : str
        Start of every line, e.g. ``"[compare]"``.
    stream : file, optional
        Where lines go; default ``sys.stderr`` (looked up at each call, so pytest's capture sees it).
    """

    def __init__(self, progress: bool | None = None, *, prefix: str = "", stream=None) -> None:
        if progress is not None and not isinstance(progress, bool):
            raise TypeError(f"progress must be True, False or None, got {progress!r}")
        self._stream = stream
        self.prefix = prefix
        self.start = time.perf_counter()
        if progress is False:
            self.mode = "off"
        else:
            self.mode = "bar" if _is_tty(self.stream) else "lines"
        self._bar = None

    @property
    def stream(self):
        return self._stream if self._stream is not None else sys.stderr

    @property
    def elapsed(self) -> float:
        """Wall seconds since this object was made."""
        return time.perf_counter() - self.start

    def line(self, text: str) -> None:
        """One line (without a bar) or a line above the bar; nothing when silent."""
        if self.mode == "off":
            return
        message = f"{self.prefix} {text}".strip()
        if self._bar is not None:
            self._bar.write(message, file=self.stream)
        else:
            print(message, file=self.stream, flush=True)

    def group(self, total: int, description: str) -> None:
        """Start a group of ``total`` tasks (a bar on a terminal)."""
        self.close()
        if self.mode == "bar" and total > 0:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc=description, leave=False, file=self.stream)

    def finished(self, text: str) -> None:
        """One task of the group is done: its line (no terminal) or a step of the bar (terminal)."""
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=False)
            self._bar.update(1)
        else:
            self.line(f"{text}; elapsed {self.elapsed:.0f} s")

    def close(self) -> None:
        """End the current group's bar, if any."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
