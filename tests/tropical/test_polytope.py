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


# --------------------------------------------------------- points on faces are no vertices (issue 15)
def lp_vertices(points, tolerance=1e-9):
    """Exact oracle, one LP per point: indices of the points farther (L-infinity) than ``tolerance`` times
    the extent from the convex hull of all the other points."""
    from scipy.optimize import linprog

    points = np.asarray(points, float)
    unit = (points - points.mean(axis=0)) / np.ptp(points, axis=0).max()
    n, d = unit.shape
    kept = []
    for i in range(n):
        others = np.delete(unit, i, axis=0)
        # minimise s subject to |others.T @ lam - p_i| <= s, sum(lam) = 1, lam >= 0
        a_ub = np.block([[others.T, -np.ones((d, 1))], [-others.T, -np.ones((d, 1))]])
        b_ub = np.concatenate([unit[i], -unit[i]])
        a_eq = np.append(np.ones(n - 1), 0.0)[None]
        result = linprog(
            np.append(np.zeros(n - 1), 1.0), A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=[1.0], method="highs"
        )
        if result.fun > tolerance:
            kept.append(i)
    return kept


def cube_with_boundary_points(d, seed, perturbation):
    """Corners of [0, 1]^d, then face centres, edge midpoints and random points on facets, every point moved
    by up to ``perturbation`` (well inside the tolerance): only the 2^d corners are vertices."""
    rng = np.random.default_rng(seed)
    corners = np.array(np.meshgrid(*[[0.0, 1.0]] * d)).reshape(d, -1).T
    faces = []
    for axis in range(d):
        for side in (0.0, 1.0):
            centre = np.full(d, 0.5)
            centre[axis] = side
            on_facet = rng.uniform(size=(3, d))
            on_facet[:, axis] = side
            faces += [centre, *on_facet]
    edges = (corners[:, None, :] + corners[None, :, :]) / 2
    edges = edges[(np.abs(corners[:, None, :] - corners[None, :, :]).sum(axis=-1) == 1)]
    points = np.vstack([corners, faces, edges, [np.full(d, 0.5)]])
    return points + perturbation * rng.uniform(-1, 1, size=points.shape)


@pytest.mark.parametrize("d", [3, 4])
@pytest.mark.parametrize("perturbation", [0.0, 1e-15, 1e-13, 1e-12])
@pytest.mark.parametrize("seed", [0, 1])
def test_points_on_faces_and_edges_are_not_vertices(d, perturbation, seed):
    points = cube_with_boundary_points(d, seed, perturbation)
    scale = 10.0 ** (seed * 3 - 1)  # 0.1 and 100: the decision is relative to the set's extent
    polytope = Polytope(scale * points)
    expected = lp_vertices(points)
    assert expected == list(range(2**d))  # the oracle agrees with the analytic answer: the corners
    assert len(polytope.vertices) == 2**d
    assert {tuple(v) for v in polytope.vertices} == {tuple(scale * points[i]) for i in expected}
    assert polytope.volume == pytest.approx(scale**d, rel=1e-9)


@pytest.mark.parametrize("scale", [1e-8, 1.0, 1e8])
def test_regression_polytope_boundary_points(scale):
    """polytope_boundary_points.py: 12 points of which 4 lie on faces of the hull of the others (to 7e-16):
    Polytope reported 12 vertices where there are 8."""
    points = np.array(
        [
            [-0.06696179113483826, 0.01641306150637978, -0.00199141278485715],
            [-0.06531873039763982, 0.01468464461950595, 0.00191056964791003],
            [-0.06744790989546436, -0.01747463305974052, -0.00221087783349079],
            [-0.06580484915826594, -0.01920304994661435, 0.00169110459927639],
            [-0.02572211210842266, 0.01551673698137689, 0.00200013422955115],
            [0.01855488748123782, 0.01821012848238518, -0.00179798046981546],
            [0.01806876872061172, -0.01567756608373512, -0.0020174455184491],
            [0.01971182945781014, -0.01740598297060895, 0.00188453691431808],
            [0.058151505770455, 0.01904222084425612, -0.00170841588817434],
            [0.05979456650765342, 0.01731380395738229, 0.00219356654459284],
            [0.05766538700982922, -0.01484547372186341, -0.00192788093680779],
            [0.05930844774702788, -0.01657389060873675, 0.00197410149595785],
        ]
    )
    expected = lp_vertices(points)
    assert len(expected) == 8
    polytope = Polytope(points * scale)
    assert {tuple(v) for v in polytope.vertices} == {tuple(points[i] * scale) for i in expected}
    assert polytope.volume == pytest.approx(ConvexHull(points).volume * scale**3, rel=1e-9)


def test_arrays_are_read_only_so_cached_answers_cannot_go_stale():
    """P.vertices *= 2 used to succeed and leave P.volume (cached) at the old value."""
    cube = Polytope(np.array(np.meshgrid([0, 1], [0, 1], [0, 1])).reshape(3, -1).T)
    assert cube.volume == pytest.approx(1.0)
    with pytest.raises(ValueError, match="read-only"):
        cube.vertices *= 2
    with pytest.raises(AttributeError):
        cube.vertices = cube.vertices * 2
    for array in (cube.equations, cube.affine_equations, cube.centroid):
        with pytest.raises(ValueError, match="read-only"):
            array[...] = 0
    assert cube.volume == pytest.approx(1.0)
    np.testing.assert_allclose(cube.centroid, 0.5)
    doubled = cube.scaled(2.0)  # the way to change a polytope: a new one
    assert doubled.volume == pytest.approx(8.0)
    assert len(cube.equations) == 6


def test_facets_of_a_polytope_far_from_the_origin_are_merged_and_distinct():
    """One row per facet, at any scale and offset (Qhull's coplanar triangles merged with the tolerance)."""
    cube = np.array(np.meshgrid([0, 1], [0, 1], [0, 1])).reshape(3, -1).T.astype(float)
    for scale, offset in [(1e-8, 0.0), (1.0, 1e6), (1e6, -3e7)]:
        polytope = Polytope(cube * scale + offset)
        assert len(polytope.equations) == 6
        inside = cube.mean(axis=0) * scale + offset
        assert polytope.contains(inside[None]).all()
