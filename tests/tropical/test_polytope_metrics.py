"""Polytope metrics: identities, analytic values, independent oracles (shapely distances, dense support)."""

import itertools

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from tropical import ComputationTooLargeError, DegenerateGeometryError, Polytope, Zonotope
from tropical.metrics import (
    compare_polytopes,
    generator_distance,
    hausdorff,
    iou,
    normalized,
    support_distance,
    vertex_count,
    volume_ratio,
)
from tropical.metrics.polytope import centroid_shift, normalization

SQUARE = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], float)
CUBE = np.array(np.meshgrid([0, 1], [0, 1], [0, 1])).reshape(3, -1).T.astype(float)


def regular_polygon(n, radius=1.0, centre=(0.0, 0.0)):
    angle = np.arange(n) * 2 * np.pi / n
    return np.asarray(centre) + radius * np.column_stack([np.cos(angle), np.sin(angle)])


def random_polygon(rng, n=None):
    n = n or int(rng.integers(3, 25))
    return Polytope(rng.standard_normal((n, 2)) * rng.uniform(0.2, 3) + rng.standard_normal(2))


def random_polytope_3d(rng):
    return Polytope(rng.standard_normal((int(rng.integers(5, 15)), 3)) + rng.standard_normal(3))


def shapely_hausdorff(P, Q):
    """Independent oracle: largest point-to-polygon distance of the vertices, by shapely."""
    polygon_p, polygon_q = shapely.Polygon(P.vertices), shapely.Polygon(Q.vertices)
    to_q = shapely.distance(shapely.points(P.vertices), polygon_q).max()
    to_p = shapely.distance(shapely.points(Q.vertices), polygon_p).max()
    return max(to_q, to_p)


def test_known_values_2d():
    assert hausdorff(SQUARE, 2 * SQUARE) == pytest.approx(np.sqrt(2))
    assert hausdorff(SQUARE, SQUARE + np.array([3.0, 4.0])) == pytest.approx(5.0)
    assert iou(SQUARE, SQUARE + np.array([0.5, 0.0])) == pytest.approx(1 / 3)
    assert iou(SQUARE, 2 * SQUARE) == pytest.approx(1 / 4)
    assert iou(SQUARE, SQUARE + np.array([2.0, 0.0])) == 0.0
    assert volume_ratio(2 * SQUARE, SQUARE) == pytest.approx(4.0)
    assert centroid_shift(SQUARE, SQUARE + np.array([3.0, 4.0])) == pytest.approx(5.0)
    assert vertex_count(SQUARE) == 4
    # discs approximated by regular 720-gons with aligned vertices: H = R - r
    assert hausdorff(regular_polygon(720, 1.0), regular_polygon(720, 1.5)) == pytest.approx(0.5)
    # a disc and its inscribed square: H = 1 - cos(pi / 4)
    assert hausdorff(regular_polygon(4), regular_polygon(4000)) == pytest.approx(1 - np.sqrt(0.5), abs=1e-6)
    # support L2 distance of a disc and the disc scaled by 2 is the radius difference
    assert support_distance(regular_polygon(2000), regular_polygon(2000, 2.0)) == pytest.approx(1.0, abs=1e-5)


def test_known_values_3d():
    assert hausdorff(CUBE, 2 * CUBE) == pytest.approx(np.sqrt(3))
    assert hausdorff(CUBE, CUBE + np.array([0.0, 0.0, 0.25])) == pytest.approx(0.25)
    assert iou(CUBE, CUBE + np.array([0.5, 0.0, 0.0])) == pytest.approx(1 / 3)
    assert iou(CUBE, CUBE + np.array([0.5, 0.5, 0.5])) == pytest.approx(0.125 / 1.875)
    assert iou(CUBE, CUBE + np.array([2.0, 0, 0])) == 0.0
    assert volume_ratio(CUBE, 3 * CUBE) == pytest.approx(1 / 27)
    # a point against a segment and a flat square in R^3 (degenerate shapes go through the same path)
    assert hausdorff([[0.0, 0, 0]], [[1.0, 0, 0], [1.0, 2, 0]]) == pytest.approx(np.sqrt(5))
    flat = np.column_stack([SQUARE, np.zeros(4)])
    assert hausdorff(flat, flat + np.array([0, 0, 1.0])) == pytest.approx(1.0)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31))
def test_hausdorff_2d_matches_shapely_and_dense_support(seed):
    rng = np.random.default_rng(seed)
    P, Q = random_polygon(rng), random_polygon(rng)
    value = hausdorff(P, Q)
    assert value == pytest.approx(shapely_hausdorff(P, Q), rel=1e-9, abs=1e-12)
    dense = support_distance(P, Q, p=np.inf, directions=100_000)
    assert dense <= value * (1 + 1e-12) + 1e-12
    # h_P - h_Q is Lipschitz in the angle with constant <= max |p - q|: sampling step 2 pi / 100000
    lipschitz = np.abs(P.vertices).max() * 2 + np.abs(Q.vertices).max() * 2
    assert dense >= value - lipschitz * 2 * np.pi / 100_000


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31))
def test_hausdorff_3d_matches_support_sup(seed):
    rng = np.random.default_rng(seed)
    P, Q = random_polytope_3d(rng), random_polytope_3d(rng)
    value = hausdorff(P, Q)
    U = rng.standard_normal((200_000, 3))
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    dense = np.abs(P.support(U) - Q.support(U)).max()
    assert dense <= value + 1e-9
    lipschitz = 2 * (np.abs(P.vertices).max() + np.abs(Q.vertices).max()) * np.sqrt(3)
    assert dense >= value - lipschitz * 0.03  # 200000 directions are about 0.01 rad apart
    # independent oracle: projection onto the facet (halfspace) description by SLSQP
    assert value == pytest.approx(
        max(qp_distances(P.vertices, Q).max(), qp_distances(Q.vertices, P).max()), abs=1e-6
    )


def qp_distances(points, polytope):
    from scipy.optimize import minimize

    normals, offsets = polytope.equations[:, :-1], polytope.equations[:, -1]
    result = []
    for x in points:
        constraint = {"type": "ineq", "fun": lambda y: -(normals @ y + offsets), "jac": lambda y: -normals}
        best = minimize(
            lambda y, x=x: ((y - x) ** 2).sum(), polytope.centroid, jac=lambda y, x=x: 2 * (y - x),
            constraints=[constraint], method="SLSQP", options={"ftol": 1e-14, "maxiter": 500},
        )  # fmt: skip
        result.append(np.linalg.norm(best.x - x))
    return np.array(result)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31), dimension=st.sampled_from([2, 3]))
def test_identity_symmetry_triangle(seed, dimension):
    rng = np.random.default_rng(seed)
    make = random_polygon if dimension == 2 else random_polytope_3d
    P, Q, S = make(rng), make(rng), make(rng)
    for normalize in ("none", "centroid_diameter", "centroid_volume"):
        assert hausdorff(P, P, normalize=normalize) == pytest.approx(0, abs=1e-12)
        assert support_distance(P, P, normalize=normalize) == pytest.approx(0, abs=1e-12)
        assert iou(P, P, normalize=normalize) == pytest.approx(1.0)
        pq, qp = hausdorff(P, Q, normalize=normalize), hausdorff(Q, P, normalize=normalize)
        assert pq == pytest.approx(qp)
        assert iou(P, Q, normalize=normalize) == pytest.approx(iou(Q, P, normalize=normalize))
        assert pq <= hausdorff(P, S, normalize=normalize) + hausdorff(S, Q, normalize=normalize) + 1e-9
        two = support_distance(P, Q, normalize=normalize, seed=1)
        assert (
            two
            <= support_distance(P, S, normalize=normalize, seed=1)
            + support_distance(S, Q, normalize=normalize, seed=1)
            + 1e-9
        )


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31), dimension=st.sampled_from([2, 3]))
def test_invariance_under_normalisations(seed, dimension):
    rng = np.random.default_rng(seed)
    make = random_polygon if dimension == 2 else random_polytope_3d
    P, Q = make(rng), make(rng)
    moved = Polytope(rng.uniform(0.1, 10) * P.vertices + rng.standard_normal(dimension) * 5)
    for normalize in ("centroid_diameter", "centroid_volume"):
        for metric in (hausdorff, iou, support_distance, volume_ratio):
            assert metric(moved, Q, normalize=normalize) == pytest.approx(metric(P, Q, normalize=normalize))
    # centroid and scale after normalising
    unit = normalized(P, normalize="centroid_diameter")
    np.testing.assert_allclose(unit.centroid, 0, atol=1e-12)
    assert unit.diameter == pytest.approx(1.0)
    assert normalized(P, normalize="centroid_volume").volume == pytest.approx(1.0)
    # raw metrics are invariant under a common rigid motion
    rotation, _ = np.linalg.qr(rng.standard_normal((dimension, dimension)))
    shift = rng.standard_normal(dimension)
    P2, Q2 = P.vertices @ rotation.T + shift, Q.vertices @ rotation.T + shift
    assert hausdorff(P2, Q2) == pytest.approx(hausdorff(P, Q))
    assert iou(P2, Q2) == pytest.approx(iou(P, Q))


def test_zonotope_inputs_and_generator_bound():
    rng = np.random.default_rng(7)
    for d in (2, 3):
        for _ in range(10):
            G = rng.standard_normal((6, d))
            Z1 = Zonotope(G, rng.standard_normal(d))
            Z2 = Zonotope(G + 0.3 * rng.standard_normal((6, d)), rng.standard_normal(d))
            assert hausdorff(Z1, Z1.to_polytope()) == pytest.approx(0, abs=1e-12)
            assert hausdorff(Z1, Z2) == pytest.approx(hausdorff(Z1.to_polytope(), Z2.to_polytope()))
            for normalize in ("none", "centroid_diameter", "centroid_volume"):
                assert (
                    generator_distance(Z1, Z2, normalize=normalize)
                    >= hausdorff(Z1, Z2, normalize=normalize) - 1e-9
                )
    G = rng.standard_normal((5, 2))
    permuted = Zonotope(G[::-1])
    assert generator_distance(Zonotope(G), permuted) == pytest.approx(0, abs=1e-12)
    # zero padding: a pruned zonotope with two generators removed costs their lengths
    assert generator_distance(Zonotope(G), Zonotope(G[:3])) == pytest.approx(
        np.linalg.norm(G[3:], axis=1).sum()
    )
    assert generator_distance(Zonotope(G, [1.0, 0]), Zonotope(G, [0, 1.0])) == pytest.approx(np.sqrt(2))
    # normalised zonotopes keep their type and are centred
    unit = normalized(Zonotope(G, [4.0, 4.0]), normalize="centroid_volume")
    assert isinstance(unit, Zonotope) and unit.volume == pytest.approx(1.0)
    np.testing.assert_allclose(unit.centroid, 0, atol=1e-12)


def test_compare_polytopes_table():
    rng = np.random.default_rng(3)
    Z1, Z2 = Zonotope(rng.standard_normal((5, 2))), Zonotope(rng.standard_normal((5, 2)))
    row = compare_polytopes(Z1, Z2, normalize="centroid_diameter")
    assert row["normalize"] == "centroid_diameter"
    assert row["centroid_shift"] == pytest.approx(0, abs=1e-12)
    assert row["hausdorff"] == pytest.approx(hausdorff(Z1, Z2, normalize="centroid_diameter"))
    assert row["vertex_count_p"] == 10
    assert np.isfinite(row["generator_distance"])
    flat = compare_polytopes([[0.0, 0], [1, 1]], [[0.0, 1], [1, 0]])
    assert np.isnan(flat["iou"]) and np.isnan(flat["volume_ratio"]) and np.isnan(flat["generator_distance"])
    assert flat["hausdorff"] == pytest.approx(np.sqrt(0.5))


def test_errors():
    with pytest.raises(ValueError, match="normalize"):
        hausdorff(SQUARE, SQUARE, normalize="unit")
    with pytest.raises(ValueError, match="dimensions"):
        hausdorff(SQUARE, CUBE)
    with pytest.raises(DegenerateGeometryError):
        iou([[0.0, 0], [1, 1]], [[0.0, 1], [1, 0]])
    with pytest.raises(DegenerateGeometryError):
        volume_ratio(SQUARE, [[0.0, 0], [1, 1]])
    with pytest.raises(DegenerateGeometryError):
        normalized([[0.0, 0], [1, 1]], normalize="centroid_volume")
    with pytest.raises(TypeError, match="Zonotope"):
        generator_distance(Polytope(SQUARE), Zonotope(np.eye(2)))
    with pytest.raises(ValueError, match="p must"):
        support_distance(SQUARE, SQUARE, p=1)


def test_regression_iou_of_overlapping_intervals():
    """repros/iou_1d_intervals.py: Qhull crashed on two overlapping 1-D intervals."""
    assert iou([[0.0], [2.0]], [[1.0], [5.0]]) == pytest.approx(1 / 5)
    assert iou([[0.0], [1.0]], [[2.0], [5.0]]) == 0.0
    assert iou([[5.0], [1.0]], [[2.0], [3.0]]) == pytest.approx(1 / 4)


def test_models_are_read_as_decision_polytopes_or_refused_with_the_bracket_named():
    import torch

    from tropical import ComputationTooLargeError, decision_polytope

    def net(n, seed, width=8):
        torch.manual_seed(seed)
        return torch.nn.Sequential(torch.nn.Linear(n, width), torch.nn.ReLU(), torch.nn.Linear(width, 2))

    a, b = net(2, 0), net(2, 1)
    assert hausdorff(a, b) == pytest.approx(hausdorff(decision_polytope(a), decision_polytope(b)))
    assert iou(a, b) == pytest.approx(iou(decision_polytope(a), decision_polytope(b)))
    with pytest.raises(ComputationTooLargeError, match="hausdorff_bracket"):
        hausdorff(net(40, 0, 16), net(40, 1, 16))
    with pytest.raises(TypeError, match="array of points"):
        hausdorff("a", SQUARE)


@settings(max_examples=30, deadline=None)
@given(p=st.integers(1, 6), q=st.integers(1, 6), d=st.integers(1, 5), seed=st.integers(0, 10_000))
def test_generator_distance_is_the_best_matching_by_brute_force(p, q, d, seed):
    rng = np.random.default_rng(seed)
    G, H = rng.standard_normal((p, d)), rng.standard_normal((q, d))
    size = max(p, q)
    padded_g = np.vstack([G, np.zeros((size - p, d))])
    padded_h = np.vstack([H, np.zeros((size - q, d))])
    best = min(
        np.linalg.norm(padded_g - padded_h[list(order)], axis=1).sum()
        for order in itertools.permutations(range(size))
    )
    assert generator_distance(Zonotope(G), Zonotope(H)) == pytest.approx(best, rel=1e-12, abs=1e-12)


def test_generator_distance_refuses_a_matching_above_its_limits_before_allocating():
    import tracemalloc

    rng = np.random.default_rng(0)
    Z1, Z2 = Zonotope(rng.standard_normal((3000, 20))), Zonotope(rng.standard_normal((3000, 20)))
    tracemalloc.start()
    try:
        with pytest.raises(ComputationTooLargeError, match="hausdorff_bracket") as error:
            generator_distance(Z1, Z2, max_bytes=1e8)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert error.value.estimate > error.value.limit == 1e8
    assert peak < 5e6  # nothing of the (3000, 3000) matrix was allocated


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31), dimension=st.sampled_from([2, 3]), zonotope=st.booleans())
def test_normalization_map_moves_the_input_onto_its_normalised_body(seed, dimension, zonotope):
    """``normalization(P).apply`` maps the input's vertices onto the body's vertices and ``normalized`` is
    its body; the map is the input's centroid and its all-pairs diameter or volume."""
    rng = np.random.default_rng(seed)
    if zonotope:
        P = Zonotope(
            rng.standard_normal((int(rng.integers(dimension, 6)), dimension)), rng.standard_normal(dimension)
        )
    else:
        P = (random_polygon if dimension == 2 else random_polytope_3d)(rng)
    raw = normalization(P, normalize="none")
    assert raw.body is P and raw.scale == 1.0 and not raw.shift.any()
    for normalize in ("centroid_diameter", "centroid_volume"):
        body, shift, scale = normalization(P, normalize=normalize)
        assert type(body) is type(P)
        moved = Polytope(normalization(P, normalize=normalize).apply(P.vertices))
        assert moved.same_as(Polytope(body.vertices))
        np.testing.assert_allclose(shift, P.centroid, rtol=0, atol=1e-12)
        vertices = P.vertices
        pairs = np.linalg.norm(vertices[:, None] - vertices[None], axis=-1).max()
        expected = 1 / pairs if normalize == "centroid_diameter" else P.volume ** (-1 / dimension)
        assert scale == pytest.approx(expected, rel=1e-12)
        assert Polytope(normalized(P, normalize=normalize).vertices).same_as(moved)


def test_normalization_of_a_degenerate_body_and_a_bad_mode_are_errors():
    with pytest.raises(DegenerateGeometryError, match="single point"):
        normalization([[1.0, 2.0]], normalize="centroid_diameter")
    with pytest.raises(DegenerateGeometryError, match="flat"):
        normalization([[0.0, 0], [1, 1]], normalize="centroid_volume")
    with pytest.raises(ValueError, match="normalize must be one of"):
        normalization(SQUARE, normalize="unit")
