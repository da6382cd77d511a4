"""Zonotope vertices, volume and support against brute force over all 2^p subset sums (Qhull)."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import ConvexHull
from scipy.spatial.distance import pdist

from tropical import ComputationTooLargeError, Zonotope
from tropical.zonotope import zonotope_vertex_bound


def subset_sums(generators, base):
    generators = np.asarray(generators, float)
    if len(generators) == 0:
        return np.asarray(base, float)[None]
    corners = np.array(list(itertools.product([0.0, 1.0], repeat=len(generators))))
    return base + corners.reshape(-1, len(generators)) @ generators


def qhull_vertices(points):
    """Vertices of the hull of full-dimensional points, by Qhull directly (independent of tropical.hull)."""
    return points[ConvexHull(points).vertices]


def same_sets(a, b, tolerance=1e-8):
    if a.shape != b.shape:
        return False
    distance = np.abs(a[:, None, :] - b[None, :, :]).max(axis=-1)
    return bool((distance.min(axis=1) <= tolerance).all() and (distance.min(axis=0) <= tolerance).all())


def with_degenerate_generators(rng, p, d):
    """Random generators plus a parallel copy, an anti-parallel copy and a zero row."""
    generators = rng.standard_normal((p, d))
    return np.vstack([generators, 2.5 * generators[:1], -0.75 * generators[1:2], np.zeros((1, d))])


@pytest.mark.parametrize("d", [2, 3, 4])
@pytest.mark.parametrize("p", [4, 6, 9])
def test_vertices_equal_hull_of_all_subset_sums(d, p):
    rng = np.random.default_rng(100 * d + p)
    generators = with_degenerate_generators(rng, p, d)  # p + 3 <= 12 rows
    base = rng.standard_normal(d)
    zonotope = Zonotope(generators, base)
    expected = qhull_vertices(subset_sums(generators, base))
    assert same_sets(zonotope.vertices, expected)
    assert len(expected) == zonotope_vertex_bound(p, d)  # merged copies add no vertex


@pytest.mark.parametrize("d", [2, 3, 4])
def test_volume_equals_qhull(d):
    rng = np.random.default_rng(d)
    generators = with_degenerate_generators(rng, 7, d)
    base = rng.standard_normal(d)
    assert Zonotope(generators, base).volume == pytest.approx(
        ConvexHull(subset_sums(generators, base)).volume
    )


def test_integer_generators_with_many_coplanar_triples():
    """Lattice generators: many facets are not parallelotopes (degenerate facets, handled recursively)."""
    generators = np.array(
        [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, -1, 0], [0, 1, 1], [1, 0, 1]], float
    )
    zonotope = Zonotope(generators)
    expected = qhull_vertices(subset_sums(generators, np.zeros(3)))
    assert same_sets(zonotope.vertices, expected)
    assert zonotope.volume == pytest.approx(ConvexHull(subset_sums(generators, np.zeros(3))).volume)


@pytest.mark.parametrize("offset", [1e-5, 1e-7, 1e-9, 0.0])
def test_nearly_coplanar_triples(offset):
    """c = a + b + offset * n: at small offsets a facet is degenerate only up to rounding (it used to recurse
    forever, or to return near-duplicate vertices)."""
    rng = np.random.default_rng(7)
    a, b, n = rng.standard_normal((3, 3))
    others = rng.standard_normal((6, 3))
    generators = np.vstack([a, b, a + b + offset * n, 0.5 * a - b + offset * n[::-1], others])
    vertices = Zonotope(generators).vertices
    points = subset_sums(generators, np.zeros(3))
    directions = rng.standard_normal((2000, 3))
    np.testing.assert_allclose((directions @ vertices.T).max(axis=1), (directions @ points.T).max(axis=1))
    nearest = np.abs(vertices[:, None, :] - points[None, :, :]).max(axis=-1).min(axis=1)
    assert nearest.max() <= 1e-9  # every vertex is a subset sum
    if offset >= 1e-7:  # far above the vertex tolerance: every vertex of the exact hull is found
        assert same_sets(vertices, qhull_vertices(points))


def test_hundreds_of_random_generators_in_3d_give_the_general_position_count():
    generators = np.random.default_rng(3).standard_normal((400, 3))
    assert len(Zonotope(generators).vertices) == zonotope_vertex_bound(400, 3)


def test_twelve_generators_in_3d():
    rng = np.random.default_rng(12)
    generators = rng.standard_normal((12, 3))
    expected = qhull_vertices(subset_sums(generators, np.zeros(3)))
    assert same_sets(Zonotope(generators).vertices, expected)


def test_two_dimensional_vertices_are_counter_clockwise_and_convex():
    rng = np.random.default_rng(3)
    vertices = Zonotope(rng.standard_normal((40, 2)), [1.0, -2.0]).vertices
    edges = np.roll(vertices, -1, axis=0) - vertices
    following = np.roll(edges, -1, axis=0)
    assert np.all(edges[:, 0] * following[:, 1] - edges[:, 1] * following[:, 0] > 0)
    assert len(vertices) == 80


def test_flat_zonotopes():
    # generators spanning a plane in R^3 and a line in R^3
    plane = np.array([[1.0, 0, 0], [0, 1, 0], [1, 1, 0]])
    vertices = Zonotope(plane, [0, 0, 5]).vertices
    assert same_sets(vertices, np.array([[0, 0, 5], [1, 0, 5], [2, 1, 5], [2, 2, 5], [1, 2, 5], [0, 1, 5.0]]))
    line = np.array([[1.0, 1, 1], [-2, -2, -2]])
    assert same_sets(Zonotope(line).vertices, np.array([[-2, -2, -2], [1, 1, 1.0]]))
    assert Zonotope(plane).volume == 0.0
    assert same_sets(Zonotope(np.zeros((0, 3)), [1, 2, 3]).vertices, np.array([[1, 2, 3.0]]))
    assert same_sets(Zonotope(np.zeros((4, 2))).vertices, np.zeros((1, 2)))
    assert same_sets(Zonotope([[3.0], [-1.0]], [1.0]).vertices, np.array([[0.0], [4.0]]))


def test_known_values():
    square = Zonotope([[2.0, 0], [0, 2]], [-1, -1])
    assert same_sets(square.vertices, np.array([[-1, -1], [1, -1], [1, 1], [-1, 1.0]]))
    assert square.volume == 4.0
    np.testing.assert_allclose(square.centroid, [0, 0])
    cube = Zonotope(np.eye(3))
    assert cube.volume == pytest.approx(1.0)
    assert len(cube.vertices) == 8


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    p=st.integers(0, 8),
    d=st.integers(2, 3),
)
def test_support_is_max_over_subset_sums(seed, p, d):
    rng = np.random.default_rng(seed)
    generators = rng.standard_normal((p, d)) * rng.choice([0.0, 1.0], size=(p, 1), p=[0.2, 0.8])
    base = rng.standard_normal(d)
    directions = rng.standard_normal((16, d))
    expected = (directions @ subset_sums(generators, base).T).max(axis=1)
    np.testing.assert_allclose(Zonotope(generators, base).support(directions), expected, atol=1e-9)
    np.testing.assert_allclose(
        Zonotope(generators, base).to_polytope().support(directions), expected, atol=1e-9
    )


def test_size_estimate_raises():
    rng = np.random.default_rng(0)
    with pytest.raises(ComputationTooLargeError) as error:
        Zonotope(rng.standard_normal((60, 4))).enumerate_vertices(max_candidates=1000)
    assert error.value.estimate == 34220 and error.value.limit == 1000


def test_bad_arguments():
    with pytest.raises(ValueError, match="generators"):
        Zonotope(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="base"):
        Zonotope(np.zeros((2, 2)), [0, 0, 0])
    with pytest.raises(ValueError, match="generators"):
        Zonotope([[np.nan, 0.0]])
    with pytest.raises(ValueError, match="directions"):
        Zonotope(np.eye(2)).support(np.ones((3, 3)))


def test_scaled_and_translated():
    rng = np.random.default_rng(5)
    zonotope = Zonotope(rng.standard_normal((6, 2)), [1.0, 2.0])
    moved = zonotope.scaled(2.0, about=[1.0, 1.0]).translated([0.5, 0.0])
    expected = 2.0 * (zonotope.vertices - 1.0) + 1.0 + [0.5, 0.0]
    assert same_sets(moved.vertices, expected)
    assert moved.volume == pytest.approx(4 * zonotope.volume)


def test_regression_high_dimensional_vertices_are_refused_before_any_allocation():
    """Issue 12: the candidate points (2^k per facet) were allocated before any check; 8-D nets used 24 GB."""
    import tracemalloc

    rng = np.random.default_rng(0)
    for p, d in ((32, 8), (300, 784), (40, 6)):
        zonotope = Zonotope(rng.standard_normal((p, d)))
        tracemalloc.start()
        try:
            with pytest.raises(ComputationTooLargeError) as info:
                _ = zonotope.vertices
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 20e6 + 20 * p * d * 8  # the SVD of the generators, nothing per candidate
        assert info.value.estimate > info.value.limit
        assert "hausdorff_bracket" in str(info.value) and "larger" not in str(info.value)
    with pytest.raises(ComputationTooLargeError, match="max_bytes"):
        Zonotope(rng.standard_normal((12, 5))).enumerate_vertices(max_bytes=1e3)


@given(st.integers(1, 8), st.integers(1, 5), st.integers(0, 10_000))
@settings(max_examples=30, deadline=None)
def test_radius_bounds_the_farthest_subset_sum_and_projection_commutes(p, d, seed):
    rng = np.random.default_rng(seed)
    zonotope = Zonotope(rng.standard_normal((p, d)), rng.standard_normal(d))
    points = subset_sums(zonotope.generators, zonotope.base)
    assert np.linalg.norm(points - zonotope.centroid, axis=1).max() <= zonotope.radius * (1 + 1e-12)
    basis = rng.standard_normal((2, d))
    projected = zonotope.projected(basis)
    U = rng.standard_normal((40, 2))
    assert np.allclose(projected.support(U), (U @ (points @ basis.T).T).max(axis=1))


# ------------------------------------------------------------------ one protocol with Polytope
@given(st.integers(0, 7), st.integers(1, 4), st.integers(0, 3), st.integers(0, 10_000))
@settings(max_examples=40, deadline=None)
def test_vertices_centroid_reduced_dimension_mean_what_they_mean_on_polytope(p, d, rank_drop, seed):
    """Against the Polytope of all 2^p subset sums (Qhull): the same attributes, the same answers."""
    from tropical import Polytope

    rng = np.random.default_rng(seed)
    rank = max(min(p, d) - rank_drop, 0)
    generators = rng.standard_normal((p, rank)) @ rng.standard_normal((rank, d)) if rank else np.zeros((p, d))
    zonotope = Zonotope(generators, rng.standard_normal(d))
    brute = Polytope(subset_sums(zonotope.generators, zonotope.base))
    for body in (zonotope, zonotope.reduced):
        assert body.dimension == brute.dimension
        assert same_sets(np.asarray(body.vertices), brute.vertices, 1e-7)
        np.testing.assert_allclose(body.centroid, brute.centroid, atol=1e-8)
        assert body.diameter == pytest.approx(pdist(brute.vertices).max() if len(brute.vertices) > 1 else 0.0)
    assert brute.reduced is brute and brute.reduced.dimension == brute.dimension


def test_arrays_are_read_only_and_the_callers_stay_writable():
    generators, base = np.array([[1.0, 0.0], [0.0, 2.0]]), np.array([1.0, 1.0])
    zonotope = Zonotope(generators, base)
    volume = zonotope.volume
    for array in (zonotope.generators, zonotope.base, zonotope.vertices, zonotope.centroid):
        with pytest.raises(ValueError, match="read-only"):
            array *= 2
    with pytest.raises(AttributeError):
        zonotope.generators = generators * 2
    generators *= 2  # the caller's arrays were copied, not frozen
    base[0] = 5.0
    assert zonotope.volume == volume == 2.0
    np.testing.assert_array_equal(zonotope.base, [1.0, 1.0])


def test_pickled_bodies_stay_read_only():
    import pickle

    from tropical import Polytope

    rng = np.random.default_rng(13)
    zonotope = Zonotope(rng.standard_normal((5, 3)))
    polytope = Polytope(rng.standard_normal((20, 3)))
    _ = zonotope.vertices, zonotope.centroid, polytope.centroid, polytope.equations  # cached arrays too
    for body, arrays in ((zonotope, ("generators", "base", "vertices", "centroid")),
                         (polytope, ("vertices", "centroid", "equations"))):  # fmt: skip
        copy = pickle.loads(pickle.dumps(body))
        for name in arrays:
            np.testing.assert_array_equal(getattr(copy, name), getattr(body, name))
            with pytest.raises(ValueError, match="read-only"):
                getattr(copy, name)[...] = 0
    assert copy.volume == polytope.volume


def test_former_spellings_warn_and_answer_the_same():
    rng = np.random.default_rng(11)
    zonotope = Zonotope(rng.standard_normal((5, 3)), [1.0, 0.0, -1.0])
    with pytest.warns(DeprecationWarning, match="attribute"):
        called = zonotope.vertices()
    assert type(called) is np.ndarray and same_sets(called, np.asarray(zonotope.vertices))
    with pytest.warns(DeprecationWarning, match="enumerate_vertices"):
        limited = zonotope.vertices(max_candidates=10_000)
    assert same_sets(limited, zonotope.enumerate_vertices(max_candidates=10_000))
    with pytest.warns(DeprecationWarning, match="centroid"):
        np.testing.assert_array_equal(zonotope.center, zonotope.centroid)
    assert type(zonotope.vertices + 1.0) is np.ndarray  # arithmetic gives plain arrays


def test_zonotope_hull_follows_the_protocol():
    from tropical import Polytope, ZonotopeHull

    rng = np.random.default_rng(12)
    Z1, Z2 = Zonotope(rng.standard_normal((4, 3))), Zonotope(rng.standard_normal((3, 3)), [2.0, 0.0, 0.0])
    hull = ZonotopeHull(Z1, Z2)
    brute = Polytope(np.vstack([subset_sums(Z.generators, Z.base) for Z in (Z1, Z2)]))
    assert same_sets(np.asarray(hull.vertices), brute.vertices)
    np.testing.assert_allclose(hull.centroid, brute.centroid, atol=1e-9)
    assert hull.diameter == pytest.approx(pdist(brute.vertices).max())
    assert hull.dimension == brute.dimension == 3
    flat = ZonotopeHull(Zonotope([[1.0, 0.0, 0.0]]), Zonotope([[0.0, 1.0, 0.0]], [0.0, 0.0, 0.0]))
    assert flat.dimension == 2
    with pytest.warns(DeprecationWarning):
        assert same_sets(hull.vertices(), brute.vertices)
