"""Cost estimates of the exact polytope computations, checked before anything large is allocated.

Every exact computation that can grow combinatorially (zonotope vertices, convex hulls, one linear or
least-squares program per point) first estimates its peak memory and its running time from the sizes it
knows, and raises :class:`~tropical.errors.ComputationTooLargeError` when either is above the caller's
limit. The defaults keep one call under about 2 GB and one minute on a 2-core machine. The time models are
fitted on such a machine (numpy/scipy/Qhull as pinned by the project) and are deliberately pessimistic;
they decide whether to try, they do not predict to the second.

Estimates are floats (they may be astronomically large: ``2^300`` corners are refused, not computed).
"""

from __future__ import annotations

import math
from functools import cache

from tropical.errors import ComputationTooLargeError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_SECONDS",
    "Cost",
    "check_cost",
    "count_text",
    "hull_cost",
    "nearest_point_cost",
    "oracle_cost",
    "single_threaded",
    "zonotope_vertex_cost",
]

#: Default memory limit of one exact computation, in bytes.
DEFAULT_MAX_BYTES = 2e9
#: Default (estimated) time limit of one exact computation, in seconds.
DEFAULT_MAX_SECONDS = 60.0
#: Qhull seconds per input point by dimension of the hull (measured on zonotope unions, x1.5 margin).
_QHULL_SECONDS_PER_POINT = {1: 1e-7, 2: 3e-6, 3: 5e-5, 4: 1.2e-4, 5: 1e-3, 6: 2e-2, 7: 0.4}
#: Largest dimension in which ``tropical.hull`` uses Qhull; above it one linear program per point.
_QHULL_DIMENSION = 7
#: One linear program over ``n`` points (the redundancy test above ``_QHULL_DIMENSION``): ``a + b * n``
#: seconds, measured 60 ms at ``n = 4096`` in 9-D (HiGHS; the reductions of ``from_torch``'s recursion).
_LP_SECONDS = (0.012, 1.2e-5)

#: ``tropical.from_torch``'s oracle per lifted point of a polynomial with 1,000 points, by hull dimension
#: ``d + 1``: CPU seconds and peak bytes (Qhull merging coplanar facets, the rounds' forward passes and the
#: final decision together), measured on random and PyTorch-initialised nets on a 2-core machine.
_ORACLE_SECONDS_PER_POINT = {2: 1e-4, 3: 1e-4, 4: 1.1e-4, 5: 3.3e-4, 6: 1.9e-3, 7: 1.1e-2}
_ORACLE_BYTES_PER_POINT = {2: 2e4, 3: 2e4, 4: 4e4, 5: 6e4, 6: 1e5, 7: 2e5}
#: How the oracle's cost per point grows with the number of points ``n``: ``(n / 1000) ** exponent``, one
#: exponent below 1,000 points and one above (7-D hulls of 1,800 monomials took 7x longer per point than
#: of 850).
_ORACLE_GROWTH_EXPONENT = {2: (0, 0), 3: (0, 0), 4: (0, 0), 5: (0.15, 0.15), 6: (0.6, 1.5), 7: (0.8, 2.5)}
#: Wall-clock seconds per CPU second on a loaded 2-core machine.
_WALL_MARGIN = 2.0


class Cost:
    """Estimated peak memory (``memory``, bytes) and running time (``seconds``) of one computation."""

    __slots__ = ("memory", "seconds")

    def __init__(self, memory: float, seconds: float):
        self.memory = float(memory)
        self.seconds = float(seconds)

    def __add__(self, other: Cost) -> Cost:
        """Two computations one after the other: the larger peak memory, the sum of the times."""
        return Cost(max(self.memory, other.memory), self.seconds + other.seconds)

    def __repr__(self) -> str:
        return f"Cost({_size(self.memory)}, {_duration(self.seconds)})"


def _size(value: float) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if value >= scale:
            return f"{value / scale:.3g} {unit}" if value < 1e15 else f"{value:.2g} bytes"
    return f"{value / 1e3:.3g} kB"


def _duration(value: float) -> str:
    if value >= 3.15e7:
        return f"{value / 3.15e7:.2g} years"
    if value >= 3600:
        return f"{value / 3600:.3g} h"
    return f"{value:.3g} s"


def _float(count) -> float:
    """A count (possibly a huge Python integer) as a float, saturating at 1e300 instead of overflowing."""
    return float(count) if count < 10**300 else 1e300


def count_text(count) -> str:
    """A count for messages: ``12,345`` up to 10^15, ``2.7e+330`` style above (never a 300-digit number)."""
    if count < 10**15:
        return f"{int(count):,}"
    digits = len(str(int(count))) - 1
    return f"{int(count) / 10**digits:.2f}e+{digits}" if digits > 300 else f"{float(count):.3g}"


def check_cost(cost: Cost, *, what: str, max_bytes: float, max_seconds: float, alternative: str) -> None:
    """Raise :class:`ComputationTooLargeError` when ``cost`` exceeds either limit.

    The message names the computation, both estimates, the limit that was exceeded (and its keyword) and
    ``alternative``: a computation that works for the same input.
    """
    if cost.memory > max_bytes:
        estimate, limit, text = cost.memory, max_bytes, f"about {_size(cost.memory)} of memory"
        keyword = f"max_bytes={max_bytes:.3g}"
    elif cost.seconds > max_seconds:
        estimate, limit, text = cost.seconds, max_seconds, f"about {_duration(cost.seconds)}"
        keyword = f"max_seconds={max_seconds:g}"
    else:
        return
    raise ComputationTooLargeError(
        f"{what} would need {text} (estimated: {_size(cost.memory)}, {_duration(cost.seconds)}), above "
        f"{keyword}. Instead: {alternative}",
        estimate=estimate,
        limit=limit,
    )


def zonotope_vertex_cost(q: int, k: int) -> Cost:
    """Exact vertex enumeration of a full-dimensional zonotope with ``q`` merged generators in ``R^k``.

    ``C(q, k - 1)`` candidate facets, each contributing ``2 * 2^(k-1)`` candidate points of ``k``
    coordinates; measured about ``48 k 2^k + 1200`` bytes and ``6.2 us * 2^k`` per candidate facet.
    """
    if k <= 2:
        return Cost(200.0 * (q + 1), 2e-6 * (q + 1))
    facets = _float(math.comb(q, k - 1))
    corners = 2.0**k if k < 1000 else 1e300
    return Cost(facets * (48.0 * k * corners + 1200.0), facets * 6.2e-6 * corners)


def hull_cost(n: int, d: int) -> Cost:
    """Vertices of the convex hull of ``n`` points spanning ``R^d`` (as :class:`~tropical.polytope.Polytope`
    does it): Qhull up to dimension 7, one linear program of size ``(d + 1) x n`` per point above (whose
    time grows with ``n``: 60 ms each at ``n = 4096`` in 9-D)."""
    n = _float(n)
    if d > _QHULL_DIMENSION:
        first, per_point = _LP_SECONDS
        return Cost(8.0 * n * (d + 1) * 4 + 1e6, n * (first + per_point * n))
    per_point = _QHULL_SECONDS_PER_POINT.get(max(d, 1), 0.4)
    return Cost(400.0 * n * 2.0 ** min(d, 40), n * per_point)


def oracle_cost(n: float, d: int) -> Cost:
    """One polynomial of :func:`tropical.from_torch`'s oracle on a ``d``-input network, with ``n`` lifted
    points (its hulls are in ``d + 1`` dimensions; the constants of dimension 7 are used above)."""
    dimension = min(d + 1, max(_ORACLE_SECONDS_PER_POINT))
    below, above = _ORACLE_GROWTH_EXPONENT[dimension]
    relative = max(n, 1.0) / 1000.0
    growth = relative ** (below if relative < 1 else above)
    return Cost(
        5e7 + n * _ORACLE_BYTES_PER_POINT[dimension] * relative**below,
        _WALL_MARGIN * n * _ORACLE_SECONDS_PER_POINT[dimension] * growth,
    )


def nearest_point_cost(n: int, m: int, d: int) -> Cost:
    """Distances of ``n`` points to the hull of ``m`` points in ``R^d``: one non-negative least-squares
    problem of size ``(d + 1) x m`` per point."""
    n, m = _float(n), _float(m)
    return Cost(8.0 * (d + 1) * m * 4 + 1e6, n * (2e-5 + 2e-9 * m * (d + 1) * min(m, d + 1)))


@cache
def _controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def single_threaded():
    """Context manager limiting BLAS to one thread: the products of the support-function metrics (a few
    thousand rows) gain little from threads and lose up to 40x when the cores are shared."""
    return _controller().limit(limits=1)
