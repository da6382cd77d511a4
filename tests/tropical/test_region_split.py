"""The numpy split of ``tropical._region_split.Partition`` against independent oracles, and the helpers that
keep the first answer of a small network free of heavy imports (issue 13): ``distinct`` (``np.unique`` without
``numpy.ma``), ``one_thread_product`` (BLAS products on one thread without threadpoolctl)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tropical._region_split import Partition, distinct

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SQUARE = np.array([[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]])


def _polygons(partition: Partition) -> list[np.ndarray]:
    corners, offsets = partition.corner_arrays()
    points = np.stack([partition.x[corners], partition.y[corners]], axis=1)
    return np.split(points, offsets[1:-1])


def _check_cell_complex(partition: Partition) -> None:
    """Convex counter-clockwise regions tiling the square, every interior edge an edge of exactly two regions
    (the shapely union and areas are the oracle for the tiling)."""
    polygons = [shapely.Polygon(points) for points in _polygons(partition)]
    assert all(polygon.is_valid and polygon.exterior.is_ccw for polygon in polygons)
    assert all(abs(polygon.area - polygon.convex_hull.area) <= 1e-12 for polygon in polygons)
    assert sum(polygon.area for polygon in polygons) == pytest.approx(4.0, rel=1e-12)
    assert shapely.union_all(polygons).area == pytest.approx(4.0, rel=1e-12)
    tail, head, _ = partition.half_edges()
    _, uses = np.unique(np.minimum(tail, head) * partition.nv + np.maximum(tail, head), return_counts=True)
    on_boundary = np.isclose(np.abs(partition.x[tail]), 1) & np.isclose(partition.x[tail], partition.x[head])
    on_boundary |= np.isclose(np.abs(partition.y[tail]), 1) & np.isclose(partition.y[tail], partition.y[head])
    assert len(uses) == (on_boundary.sum() + len(tail)) / 2  # interior edges twice, boundary edges once
    assert uses.max() <= 2


@FAST
@given(seed=st.integers(0, 10_000), n_lines=st.integers(1, 14), through_vertices=st.booleans())
def test_split_by_lines_is_the_line_arrangement(seed, n_lines, through_vertices):
    # every region lies on one side of every line, as its bits say; regions are the cells of the arrangement
    # (distinct sign vectors, as many as a brute-force count of sign vectors at a dense grid of points finds
    # at most); some lines pass through earlier vertices (code 0 corners)
    rng = np.random.default_rng(seed)
    lines = rng.normal(size=(n_lines, 3)) * [1.0, 1.0, 0.5]
    partition = Partition(SQUARE, 1e-9)
    partition.reset_bits(n_lines)
    for j, line in enumerate(lines):
        if through_vertices and j >= 2:  # through a vertex made by the previous lines
            vertex = rng.integers(1, partition.nv)
            line[2] = -(line[0] * partition.x[vertex] + line[1] * partition.y[vertex])
            lines[j] = line
        partition.split(partition.vertex_values(line[None]), bit=j)
    partition.compact()
    _check_cell_complex(partition)
    bits = np.unpackbits(partition.bits[: partition.nregions], axis=1, count=n_lines, bitorder="little")
    for polygon, pattern in zip(_polygons(partition), bits, strict=True):
        values = polygon @ lines[:, :2].T + lines[:, 2]  # (corners, lines)
        scale = np.hypot(lines[:, 0], lines[:, 1])
        above = (values > 1e-9 * scale).any(axis=0)
        below = (values < -1e-9 * scale).any(axis=0)
        assert not (above & below).any()  # no line crosses a region
        np.testing.assert_array_equal(pattern == 1, above)
    assert len(np.unique(bits, axis=0)) == partition.nregions  # one region per cell


@FAST
@given(seed=st.integers(0, 10_000), n_lines=st.integers(2, 10))
def test_split_of_eligible_regions_keeps_the_others_whole(seed, n_lines):
    # a line splits only the eligible regions that it cuts (shapely: two parts of positive area); a crossed
    # region that is not eligible keeps its polygon (with the crossing points of the edges it shares with
    # split regions on its boundary), and the partition stays a cell complex
    rng = np.random.default_rng(seed)
    partition = Partition(SQUARE, 1e-9)
    for line in rng.normal(size=(n_lines, 3)) * [1.0, 1.0, 0.5]:
        partition.split(partition.vertex_values(line[None]))
    partition.compact()
    before = [shapely.Polygon(points) for points in _polygons(partition)]
    eligible = rng.random(partition.nregions) < 0.5
    line = rng.normal(size=3) * [1.0, 1.0, 0.5]
    n_split = partition.split(partition.vertex_values(line[None]), eligible_slots=eligible)
    partition.compact()
    _check_cell_complex(partition)
    cut = np.array(
        [
            min(polygon.intersection(_half_plane(line, sign)).area for sign in (1, -1)) > 1e-9
            for polygon in before
        ]
    )
    assert n_split == (cut & eligible).sum()
    after = np.array([shapely.Polygon(points).area for points in _polygons(partition)])
    assert len(after) == len(before) + n_split
    for polygon in np.array(before, dtype=object)[~(cut & eligible)]:
        assert np.isclose(after, polygon.area, rtol=0, atol=1e-12).any()


def _half_plane(line: np.ndarray, sign: int):
    """The half-plane ``sign * (a x + b y + c) >= 0`` clipped to the box [-3, 3]^2 (a shapely polygon)."""
    box = np.array([[-3.0, -3.0], [3.0, -3.0], [3.0, 3.0], [-3.0, 3.0]])
    value = sign * (box @ line[:2] + line[2])
    points = []
    for k in range(4):
        following = (k + 1) % 4
        if value[k] >= 0:
            points.append(box[k])
        if (value[k] > 0) != (value[following] > 0) and value[k] != value[following]:
            points.append(box[k] + value[k] / (value[k] - value[following]) * (box[following] - box[k]))
    return shapely.Polygon(points) if len(points) >= 3 else shapely.Polygon()


@given(keys=st.lists(st.integers(-(2**40), 2**40), max_size=60))
def test_distinct_is_numpy_unique(keys):
    keys = np.array(keys, dtype=np.int64)
    np.testing.assert_array_equal(distinct(keys), np.unique(keys))


def _fresh(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout


def test_distinct_and_small_products_import_neither_numpy_ma_nor_threadpoolctl():
    # time to first answer (issue 13): numpy.ma costs ~10 ms to import, threadpoolctl ~5-9 ms
    code = (
        "import sys, numpy as np\n"
        "from tropical._region_split import distinct\n"
        "from tropical._region_split import one_thread_product as _product\n"
        "distinct(np.array([3, 1, 3]))\n"
        "left, right = np.ones((2000, 64)), np.ones((64, 192))\n"  # 2-64-64-2's second layer: 25M mul-adds
        "out = np.empty((2000, 192))\n"
        "_product(left, right, out)\n"
        "print('numpy.ma' in sys.modules, 'threadpoolctl' in sys.modules, bool((out == 64).all()))\n"
        "_product(np.ones((4000, 128)), np.ones((128, 384)), np.empty((4000, 384)))\n"  # blocks of 5 rows
        "print('threadpoolctl' in sys.modules)\n"
    )
    assert _fresh(code).split() == ["False", "False", "True", "True"]


@pytest.mark.parametrize(
    ("rows", "inner", "cols"), [(3, 4, 5), (2000, 64, 192), (700, 128, 384), (50, 1000, 30)]
)
def test_product_is_the_matrix_product(rows, inner, cols):
    from tropical._region_split import one_thread_product as _product

    rng = np.random.default_rng(rows)
    left, right = rng.normal(size=(rows, inner)), rng.normal(size=(inner, cols))
    out = np.full((rows, cols), np.nan)
    _product(left, right, out)
    np.testing.assert_allclose(out, left @ right, rtol=1e-12, atol=1e-12)
