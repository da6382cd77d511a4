"""A max node's decisions compiled: which windows need a split on which regions
(``_GraphSweep._open_windows``, ``tropical._region_kernel.unsettled_windows``) and each region's window
positions (``_GraphSweep._argmax``, ``tropical._region_kernel.masked_argmax``) equal the numpy reference's.

Oracles: the numpy reference, pair by pair on random windows with exact and near ties; the definition
(two competing entries whose difference changes sign beyond the tie between the region's corners) by brute
force; the numpy graph sweep of small conv nets (the same regions, vertex for vertex).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_regions_graph import digit_plane, two_conv_net

from tropical._region_graph import _ArgmaxPooled, _GraphSweep, _Masked, packed_positions
from tropical._region_split import compiled
from tropical.regions import linear_regions


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


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 50), first=st.integers(0, 100), slope=st.sampled_from([0.0, 0.1, -0.5]))
def test_compiled_max_nodes_give_the_regions_of_the_numpy_sweep(seed, first, slope):
    """Two convolutions, each followed by an activation and a max pooling (inactive entries of a window tie
    exactly at 0 with ReLU: the lowest position is chosen): the compiled sweep gives the numpy sweep's
    regions, vertex for vertex and in the same order, and the same patterns."""
    pytest.importorskip("numba")
    model, plane = two_conv_net(seed, slope), digit_plane(first)
    fast = linear_regions(model, plane=plane, compiled=True)
    plain = linear_regions(model, plane=plane, compiled=False)
    assert len(fast) == len(plain)
    np.testing.assert_array_equal(fast.region_vertices, plain.region_vertices)
    np.testing.assert_array_equal(fast.activation_patterns, plain.activation_patterns)
    np.testing.assert_allclose(fast.vertices, plain.vertices, rtol=0, atol=1e-12)


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    packed=st.booleans(),
    per_region=st.booleans(),
    slope=st.sampled_from([0.0, 0.3]),
)
def test_compiled_pooled_maps_equal_the_numpy_ones_bit_for_bit(seed, packed, per_region, slope):
    """A max node's output over an activation's, read from its window positions: the compiled maps equal
    the numpy ones exactly (2x2 windows with padding, positions packed 2 bits each or not)."""
    pytest.importorskip("numba")
    rng = np.random.default_rng(seed)
    n, n_regions, n_pieces = 37, 20, 50
    rows = rng.normal(size=(n_regions if per_region else 1, 3, n))
    index = np.arange(n_regions) if per_region else None
    bits = np.packbits(rng.random((n_regions, n)) < 0.5, axis=1, bitorder="little")
    inner = _Masked(rows, index, bits, np.full(n, slope))
    windows = rng.integers(0, n, (9, 4))
    windows[rng.random(windows.shape) < 0.2] = -1
    windows[:, 0] = rng.integers(0, n, 9)
    choice = np.where(windows >= 0, rng.random((n_pieces, *windows.shape)), -1.0)
    positions = np.argmax(choice, axis=2).astype(np.uint8)  # never a padding entry
    argmax = packed_positions(positions) if packed else positions
    parent = rng.integers(0, n_regions, n_pieces)
    regions = rng.integers(0, n_pieces, 30)
    plain = _ArgmaxPooled(inner, parent, argmax, windows, packed)
    fast = _ArgmaxPooled(inner, parent, argmax, windows, packed, compiled())
    np.testing.assert_array_equal(fast.take(regions), plain.take(regions))
    np.testing.assert_array_equal(fast.gathered(regions).take(np.arange(30)), plain.take(regions))
    # an activation's entries per region (a max node's windows), as ``_Masked.select``
    features = rng.integers(0, n, (30, 4))
    maps = np.empty((30, 3, 4))
    compiled().masked_maps(rows, np.zeros(n_regions, dtype=np.int64) if index is None else index, bits,
                           inner.slope, regions % n_regions, features, maps)  # fmt: skip
    np.testing.assert_array_equal(maps, inner.select(regions % n_regions, features))
