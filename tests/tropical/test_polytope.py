"""Polytope against scipy's Qhull and analytic values."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import ConvexHull

from tropical import Polytope


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 4), st.integers(0, 10_000))
def test_vertices_volume_and_support_match_qhull(d, seed):
    points = np.random.default_rng(seed).normal(size=(30, d))
    polytope = Polytope(points)
    hull = ConvexHull(points)
    assert {tuple(v) for v in polytope.vertices} == {tuple(points[i]) for i in hull.vertices}
    assert polytope.volume == pytest.approx(hull.volume, rel=1e-10)
    directions = np.random.default_rng(seed + 1).normal(size=(10, d))
    np.testing.assert_allclose(polytope.support(directions), (directions @ points.T).max(axis=1))
    assert polytope.contains(points).all()
    assert not polytope.contains(points.max(axis=0) + 1).any()


def test_unit_cube_and_square():
    cube = Polytope(np.array(np.meshgrid([0, 1], [0, 1], [0, 1])).reshape(3, -1).T)
    assert cube.volume == pytest.approx(1.0)
    np.testing.assert_allclose(cube.centroid, 0.5)
    assert len(cube.equations) == 6  # coplanar triangles merged into the 6 facets
    square = Polytope([[0, 0], [2, 0], [2, 2], [0, 2], [1, 1]])
    assert square.volume == pytest.approx(4.0)
    assert square.diameter == pytest.approx(np.sqrt(8))
    area = 0.5 * np.sum(
        square.vertices[:, 0] * np.roll(square.vertices[:, 1], -1)
        - np.roll(square.vertices[:, 0], -1) * square.vertices[:, 1]
    )
    assert area == pytest.approx(4.0)  # positive shoelace area: counter-clockwise


def test_flat_and_tiny_polytopes():
    segment = Polytope([[0, 0, 0], [1, 1, 1], [0.5, 0.5, 0.5]])
    assert segment.dimension == 1 and len(segment.vertices) == 2
    assert segment.volume == 0.0 and segment.relative_volume == pytest.approx(np.sqrt(3))
    assert segment.contains([[0.25, 0.25, 0.25]]).all() and not segment.contains([[0.25, 0.3, 0.25]]).any()
    point = Polytope([[1.0, 2.0], [1.0, 2.0]])
    assert point.dimension == 0 and len(point.vertices) == 1
    triangle = Polytope([[0, 0, 5], [1, 0, 5], [0, 1, 5]])
    assert triangle.dimension == 2 and triangle.relative_volume == pytest.approx(0.5)
    np.testing.assert_allclose(triangle.centroid, [1 / 3, 1 / 3, 5])


@pytest.mark.parametrize("scale", [1.0, 1e-8, 1e6])
def test_regression_vertices_by_linear_programs_are_scale_invariant(scale):
    """Above Qhull's dimension the vertices are decided by LPs, whose solver tolerances are absolute: at a
    size of 1e-8 most interior points were reported as vertices. Found by the stress campaign."""
    outer = np.random.default_rng(0).normal(size=(30, 8))
    outer /= np.linalg.norm(outer, axis=1, keepdims=True)  # on the sphere: all vertices
    polytope = Polytope(np.vstack([outer, 0.99 * outer]) * scale)  # the inner copy lies strictly inside
    assert {tuple(v) for v in polytope.vertices} == {tuple(v) for v in outer * scale}


def test_minkowski_sum_union_and_transforms():
    square = Polytope([[0, 0], [1, 0], [1, 1], [0, 1]])
    segment = Polytope([[0, 0], [2, 0]])
    assert square.minkowski_sum(segment).volume == pytest.approx(3.0)
    assert square.convex_union(square.translated([2, 0])).volume == pytest.approx(3.0)
    assert square.scaled(3).volume == pytest.approx(9.0)
    assert square.same_as(Polytope(square.vertices[::-1]))
    assert not square.same_as(square.translated([1e-3, 0]))


@pytest.mark.parametrize(
    ("points", "message"),
    [(np.zeros((0, 2)), "non-empty"), (np.array([[0.0, np.nan]]), "NaN"), (np.zeros(3), "\\(n, d\\)")],
)
def test_bad_points(points, message):
    with pytest.raises(ValueError, match=message):
        Polytope(points)
