"""A max node's decision of which windows need a split on which regions
(``_GraphSweep._open_windows``): the compiled loop (``tropical._region_kernel.unsettled_windows``) takes
the same decisions as the numpy reference, pair by pair, on random windows with exact and near ties.

Oracle: the numpy reference; and both against the definition (an entry pair whose difference changes sign
beyond the tie between the region's corners, with neither entry beaten everywhere) on brute force.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tropical._region_graph import _GraphSweep
from tropical._region_split import compiled


def random_windows(seed: int, w: int, ties: float, n_pairs: int = 400):
    """Pairs of a region (a random convex polygon: points on a circle) and a window of ``w`` entries, some
    entries copies of others (shifted by ``ties``, or exactly equal) and some not competing."""
    rng = np.random.default_rng(seed)
    counts = rng.integers(3, 9, n_pairs)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    angles = np.sort(rng.uniform(0, 2 * np.pi, (n_pairs, 8)), axis=1)
    centre = rng.uniform(-1, 1, (n_pairs, 2))
    size = 10.0 ** rng.uniform(-4, 0, n_pairs)
    used = np.arange(8) < counts[:, None]
    x = (centre[:, :1] + size[:, None] * np.cos(angles))[used]
    y = (centre[:, 1:] + size[:, None] * np.sin(angles))[used]
    owner = np.repeat(np.arange(n_pairs), counts)
    mean = np.stack([np.add.reduceat(x, starts), np.add.reduceat(y, starts)], 1) / counts[:, None]
    radius = np.maximum.reduceat(np.hypot(x - mean[owner, 0], y - mean[owner, 1]), starts)
    maps = rng.normal(size=(n_pairs, 3, w))
    copies = rng.random((n_pairs, w)) < 0.4
    source = rng.integers(0, w, (n_pairs, w))
    shift = ties * rng.choice([-1.0, 0.0, 1.0], size=(n_pairs, w))
    for column in range(3):
        copied = np.take_along_axis(maps[:, column], source, axis=1)
        maps[:, column] = np.where(copies, copied + (shift if column == 2 else 0.0), maps[:, column])
    competing = rng.random((n_pairs, w)) < 0.85
    competing[:, :2] = True  # at least two competitors, as the sweep asks
    return maps, competing, mean, radius, x, y, starts, counts


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    w=st.sampled_from([2, 3, 4, 9]),
    ties=st.sampled_from([0.0, 1e-12, 1e-9, 1e-3]),
    tie=st.sampled_from([0.0, 1e-9, 1e-3]),
)
def test_compiled_window_decisions_equal_the_numpy_ones(seed, w, ties, tie):
    windows = random_windows(seed, w, ties)
    plain = _GraphSweep._open_windows(*windows, tie)
    fast = _GraphSweep._open_windows(*windows, tie, compiled())
    np.testing.assert_array_equal(fast, plain)
    # the definition, by brute force at the corners: a split is needed when two competing entries change
    # order beyond the tie between corners and the largest at the first corner does not beat all by more
    maps, competing, _, _, x, y, starts, counts = windows
    threshold = tie * (1 - 1e-6)
    for p in np.flatnonzero(plain)[:50]:
        corners = slice(starts[p], starts[p] + counts[p])
        at = np.outer(x[corners], maps[p, 0]) + np.outer(y[corners], maps[p, 1]) + maps[p, 2]
        at[:, ~competing[p]] = np.nan
        crossing = [
            np.nanmax(at[:, i] - at[:, j]) > threshold and np.nanmin(at[:, i] - at[:, j]) < -threshold
            for i in range(w)
            for j in range(i + 1, w)
            if competing[p, i] and competing[p, j]
        ]
        assert any(crossing)
