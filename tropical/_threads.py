"""Thread pools limited for the duration of a hot loop of small matrix products.

The oracle of :func:`tropical.from_torch` multiplies many small matrices (a few points by a few dozen
units). OpenBLAS and torch's intra-op pool start a thread per core for each of them: on a machine where
another process uses a core, those threads wait on each other and the loop runs several times slower
(issue 13). The limits are set on entry and the previous values are restored on exit, so the caller's
own settings are never changed behind their back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def limited_threads(threads: int | None) -> Iterator[None]:
    """Limit BLAS/OpenMP thread pools (threadpoolctl) and torch's intra-op threads inside a ``with`` block.

    Parameters
    ----------
    threads : int or None
        Threads per pool inside the block (>= 1); ``None`` leaves every pool as it is.
    """
    if threads is None:
        yield
        return
    import torch
    from threadpoolctl import threadpool_limits

    previous = torch.get_num_threads()
    try:
        if threads < previous:
            torch.set_num_threads(threads)
        with threadpool_limits(limits=threads):
            yield
    finally:
        if torch.get_num_threads() != previous:
            torch.set_num_threads(previous)
