"""Support functions, ZonotopeHull and hausdorff_bracket against brute force: all 2^p subset sums, Qhull,
shapely distances and an independent min-norm-point oracle for the exact Hausdorff distance."""

import itertools

import numpy as np
import pytest
import shapely
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import nnls
from scipy.spatial import ConvexHull

from tropical import UnsupportedLayerError, Zonotope, ZonotopeHull, decision_hull, decision_zonotopes
from tropical.metrics import hausdorff, hausdorff_bracket


def subset_sums(generators, base):
    corners = np.array(list(itertools.product([0.0, 1.0], repeat=len(generators)))).reshape(
        -1, len(generators)
    )
    return base + corners @ np.asarray(generators, float)


def distance_to_hull(x, points):
    """min |x - P^T lambda| over the simplex, by NNLS on [P^T - x; big * 1] lambda = [0; big]."""
    big = 1e3 * (1 + np.abs(points).max())
    matrix = np.vstack([(points - x).T, big * np.ones(len(points))])
    weights, _ = nnls(matrix, np.append(np.zeros(len(x)), big), maxiter=5000)
    return float(np.linalg.norm(weights @ points / weights.sum() - x))


def hausdorff_oracle(P, Q):
    """Exact Hausdorff distance of conv(P), conv(Q) from their point sets, independent of tropical."""
    if P.shape[1] == 2:
        hp, hq = shapely.MultiPoint(P).convex_hull, shapely.MultiPoint(Q).convex_hull
        return max(
            max(hq.distance(shapely.Point(p)) for p in P), max(hp.distance(shapely.Point(q)) for q in Q)
        )
    return max(max(distance_to_hull(p, Q) for p in P), max(distance_to_hull(q, P) for q in Q))


def random_zonotope(rng, p, d, scale=1.0):
    return Zonotope(scale * rng.standard_normal((p, d)), rng.standard_normal(d))


# ---------------------------------------------------------------------------------- support functions
@given(st.integers(1, 7), st.integers(2, 6), st.integers(0, 10_000))
@settings(max_examples=30, deadline=None)
def test_zonotope_support_and_points_equal_brute_force(p, d, seed):
    rng = np.random.default_rng(seed)
    zonotope = random_zonotope(rng, p, d)
    points = subset_sums(zonotope.generators, zonotope.base)
    U = rng.standard_normal((50, d))
    assert np.allclose(zonotope.support(U), (U @ points.T).max(axis=1))
    maximisers = zonotope.support_points(U)
    assert np.allclose(np.einsum("ij,ij->i", U, maximisers), zonotope.support(U))
    # each maximiser is one of the subset sums (a vertex for generic directions)
    assert np.abs(maximisers[:, None, :] - points[None]).max(axis=-1).min(axis=1).max() < 1e-9


@pytest.mark.parametrize("d", [2, 3, 5])
def test_hull_support_equals_max_over_subset_sums_of_both(d):
    rng = np.random.default_rng(d)
    Z1, Z2 = random_zonotope(rng, 6, d), random_zonotope(rng, 5, d)
    hull = ZonotopeHull(Z1, Z2)
    points = np.vstack([subset_sums(Z.generators, Z.base) for Z in (Z1, Z2)])
    U = rng.standard_normal((200, d))
    assert np.allclose(hull.support(U), (U @ points.T).max(axis=1))
    assert np.allclose(np.einsum("ij,ij->i", U, hull.support_points(U)), hull.support(U))
    if d <= 3:  # vertices against Qhull of all subset sums
        expected = points[ConvexHull(points).vertices]
        assert sorted(map(tuple, np.round(hull.vertices, 8))) == sorted(map(tuple, np.round(expected, 8)))


def one_hidden(n, p, m=3, seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(n, p), torch.nn.ReLU(), torch.nn.Linear(p, m)).double()


@pytest.mark.parametrize("lifted", [False, True])
def test_decision_hull_support_equals_its_two_zonotopes(lifted):
    model = one_hidden(5, 7)
    hull = decision_hull(model, (0, 2), lifted=lifted)
    Z1, Z2 = decision_zonotopes(model, (0, 2), lifted=lifted)
    points = np.vstack([subset_sums(Z.generators, Z.base) for Z in (Z1, Z2)])
    U = np.random.default_rng(0).standard_normal((100, hull.ambient_dimension))
    assert np.allclose(hull.support(U), (U @ points.T).max(axis=1))
    assert np.allclose(np.einsum("ij,ij->i", U, hull.support_points(U)), hull.support(U))


# --------------------------------------------------------------------------------------- bracket
@pytest.mark.parametrize("d", [2, 3])
def test_bracket_collapses_to_the_exact_distance_in_2d_and_3d(d):
    rng = np.random.default_rng(10 + d)
    A = ZonotopeHull(random_zonotope(rng, 5, d), random_zonotope(rng, 4, d))
    B = ZonotopeHull(random_zonotope(rng, 5, d), random_zonotope(rng, 6, d))
    exact = hausdorff_oracle(
        np.vstack([subset_sums(Z.generators, Z.base) for Z in A.zonotopes]),
        np.vstack([subset_sums(Z.generators, Z.base) for Z in B.zonotopes]),
    )
    result = hausdorff_bracket(A, B)
    assert result.method == "exact"
    assert result.lower == result.upper == pytest.approx(exact, rel=1e-7)
    bracket = hausdorff_bracket(A, B, method="bracket")
    assert bracket.method == "bracket"
    assert bracket.lower <= exact * (1 + 1e-9) and exact <= bracket.upper * (1 + 1e-9)
    assert bracket.lower == pytest.approx(exact, rel=1e-3)  # the ascent finds the maximum here


@given(st.integers(2, 20), st.integers(1, 6), st.integers(1, 6), st.integers(0, 10_000))
@settings(max_examples=25, deadline=None)
def test_bracket_contains_exact_distance_in_any_dimension(d, p, q, seed):
    rng = np.random.default_rng(seed)
    A, B = random_zonotope(rng, p, d), random_zonotope(rng, q, d, scale=rng.uniform(0.2, 2))
    exact = hausdorff_oracle(subset_sums(A.generators, A.base), subset_sums(B.generators, B.base))
    result = hausdorff_bracket(A, B, method="bracket", directions=256, seed=seed)
    tolerance = 1e-7 * (1 + exact)
    assert result.lower <= exact + tolerance
    assert exact <= result.upper + tolerance
    assert abs(np.linalg.norm(result.direction) - 1) < 1e-9
    gap = A.support(result.direction) - B.support(result.direction)
    assert result.sign * gap == pytest.approx(result.lower)


def test_generator_bound_is_tight_for_translates_and_zero_for_equal_bodies():
    rng = np.random.default_rng(3)
    Z = random_zonotope(rng, 30, 50)
    shift = rng.standard_normal(50)
    result = hausdorff_bracket(Z, Z.translated(shift))
    assert result.lower == pytest.approx(np.linalg.norm(shift)) and result.upper == pytest.approx(
        np.linalg.norm(shift)
    )
    same = hausdorff_bracket(ZonotopeHull(Z, Z.translated(shift)), ZonotopeHull(Z.translated(shift), Z))
    assert same.lower == 0.0 and same.upper == pytest.approx(0.0, abs=1e-9)


def test_models_are_read_as_decision_polytopes():
    a, b = one_hidden(2, 6, seed=1), one_hidden(2, 6, seed=2)
    exact = hausdorff(decision_hull(a).to_polytope(), decision_hull(b).to_polytope())
    assert hausdorff_bracket(a, b).lower == pytest.approx(exact)
    big_a, big_b = one_hidden(784, 300, 10, seed=1), one_hidden(784, 300, 10, seed=2)
    result = hausdorff_bracket(big_a, big_b, classes=(3, 7))
    assert result.method == "bracket" and 0 < result.lower <= result.upper < np.inf
    deep = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.ReLU(), torch.nn.Linear(5, 5), torch.nn.ReLU())
    with pytest.raises(UnsupportedLayerError, match="one-hidden-layer"):
        hausdorff_bracket(deep, big_a)
    lenet = torch.nn.Sequential(
        torch.nn.Linear(6, 5), torch.nn.ReLU(), torch.nn.Linear(5, 4), torch.nn.ReLU(), torch.nn.Linear(4, 3)
    ).double()
    with pytest.raises(UnsupportedLayerError, match=r"decision_hull\(model, classes, rest='linear'\)"):
        hausdorff_bracket(lenet, lenet)
    first_layer = decision_hull(lenet, rest="linear")
    same = hausdorff_bracket(first_layer, decision_hull(lenet, rest="linear"))
    assert same.lower == 0.0 and same.upper == pytest.approx(0.0, abs=1e-9)


def test_point_arrays_and_bad_input():
    square = np.array([[0.0, 0], [1, 0], [1, 1], [0, 1]])
    assert hausdorff_bracket(square, 2 * square).upper == pytest.approx(np.sqrt(2))
    points = np.random.default_rng(0).standard_normal((30, 12))
    result = hausdorff_bracket(points, points + 1.0)
    assert result.lower == pytest.approx(np.sqrt(12)) and result.upper == pytest.approx(np.sqrt(12))
    assert hausdorff_bracket(points, points[::-1]).upper == 0.0
    other = np.random.default_rng(1).standard_normal((20, 12))
    exact = hausdorff_oracle(points, other)
    bracket = hausdorff_bracket(points, other)
    assert bracket.lower <= exact * (1 + 1e-9) and exact <= bracket.upper * (1 + 1e-9)
    with pytest.raises(TypeError, match="array of points"):
        hausdorff_bracket("square", square)
    with pytest.raises(ValueError, match="different dimensions"):
        hausdorff_bracket(square, points)
    with pytest.raises(ValueError, match="method"):
        hausdorff_bracket(square, square, method="fast")


@given(st.integers(1, 12), st.integers(1, 30), st.integers(0, 10_000))
@settings(max_examples=30, deadline=None)
def test_semidefinite_dual_bound_is_above_the_hypercube_maximum(n, d, seed):
    from tropical.metrics.support import _hypercube_bound, _rows_bound

    rng = np.random.default_rng(seed)
    rows = rng.standard_normal((n, d)) * rng.uniform(0.01, 1, (n, 1))
    signs = np.array(list(itertools.product([-1.0, 1.0], repeat=n)))
    exact = np.linalg.norm(signs @ rows, axis=1).max()  # max_s |D^T s| = max_u sum_k |<d_k, u>|
    bound = _hypercube_bound(rows)
    assert exact <= bound * (1 + 1e-9)
    assert bound <= np.linalg.norm(rows, axis=1).sum() * (1 + 1e-9)
    assert exact <= _rows_bound(rows) * (1 + 1e-9)
    if n >= 2 and d >= n:  # orthogonal rows: exact
        q, _ = np.linalg.qr(rng.standard_normal((d, n)))
        orthogonal = q.T * rng.uniform(0.5, 2, (n, 1))
        assert _hypercube_bound(orthogonal) == pytest.approx(np.linalg.norm(orthogonal), rel=1e-9)


def test_docs_high_dimensions_examples_run():
    import re
    from pathlib import Path

    page = Path(__file__).resolve().parents[2] / "docs" / "high_dimensions.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(), re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, str(page), "exec"), {})


def expanded_exponents(model, classes=(0, 1)):
    """Exponents of R = H_i Q_j ⊕ H_j Q_i over all 2^p choices, from the weights (docs/math.md §3)."""
    A = model[0].weight.detach().double().numpy()
    B = model[2].weight.detach().double().numpy()
    Ap, Am = np.maximum(A, 0), np.maximum(-A, 0)
    Bp, Bm = np.maximum(B, 0), np.maximum(-B, 0)
    choices = np.array(list(itertools.product([0.0, 1.0], repeat=len(A))))
    i, j = classes
    sides = []
    for first, second in ((i, j), (j, i)):
        weight = Bp[first] + Bm[second]
        linear = Bm[first] @ Am + Bp[second] @ Am
        sides.append(linear + (choices * weight) @ Ap + ((1 - choices) * weight) @ Am)
    return np.vstack(sides)


@given(st.integers(2, 5), st.integers(2, 6), st.floats(0.0, 0.7), st.integers(0, 10_000))
@settings(max_examples=20, deadline=None)
def test_bracket_of_random_pruned_nets_contains_the_distance_of_the_expanded_newton_polytopes(
    n, p, prune, seed
):
    torch.manual_seed(seed)
    nets = []
    for _ in range(2):
        model = torch.nn.Sequential(torch.nn.Linear(n, p), torch.nn.ReLU(), torch.nn.Linear(p, 3)).double()
        with torch.no_grad():
            model[0].weight.mul_(torch.rand(p, n) >= prune)
        nets.append(model)
    exact = hausdorff_oracle(expanded_exponents(nets[0]), expanded_exponents(nets[1]))
    bracket = hausdorff_bracket(*nets, method="bracket", directions=256, seed=seed)
    tolerance = 1e-7 * (1 + exact)
    assert bracket.lower <= exact + tolerance <= bracket.upper + 2 * tolerance
    if n <= 3:
        assert hausdorff_bracket(*nets).upper == pytest.approx(exact, rel=1e-6, abs=1e-9)


@given(st.integers(1, 6), st.integers(1, 6), st.integers(2, 4), st.integers(0, 10_000))
@settings(max_examples=30, deadline=None)
def test_bracket_of_zonotopes_in_orthogonal_subspaces_is_certified_and_tight(p, q, k, seed):
    """Z in span(e_1..e_k), W in the orthogonal span(e_k+1..e_2k), both centred at 0: the nearest point of W
    to any z in Z is 0, so H(Z, W) is the larger of the two largest vertex norms (brute force). Matching
    generators one to one (Misiakos et al.) gives up to sqrt(2) times that; the map bound with t = 0 gives
    the radii themselves."""
    rng = np.random.default_rng(seed)
    G = np.zeros((p, 2 * k))
    H = np.zeros((q, 2 * k))
    G[:, :k] = rng.standard_normal((p, k))
    H[:, k:] = rng.standard_normal((q, k)) * rng.uniform(0.3, 3)
    Z, W = Zonotope(G, -G.sum(axis=0) / 2), Zonotope(H, -H.sum(axis=0) / 2)
    exact = max(np.linalg.norm(subset_sums(Z.generators, Z.base), axis=1).max(),
                np.linalg.norm(subset_sums(W.generators, W.base), axis=1).max())  # fmt: skip
    result = hausdorff_bracket(Z, W, method="bracket", directions=256, seed=seed)
    assert result.lower <= exact * (1 + 1e-9) and exact <= result.upper * (1 + 1e-9)
    assert result.upper <= 1.1 * exact


@given(st.integers(3, 12), st.integers(2, 6), st.floats(0.0, 1.0), st.integers(0, 10_000))
@settings(max_examples=25, deadline=None)
def test_bracket_of_hulls_of_parallel_zonotopes_contains_the_exact_distance(d, p, mix, seed):
    """Hulls of two zonotopes with parallel generators (as the decision zonotopes Z1, Z2 of one net), the
    other pair partly related (a mix of the same directions and fresh ones), against all subset sums."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((p, d))
    fresh = mix * A + (1 - mix) * rng.standard_normal((p, d))
    members = []
    for rows in (A, fresh):
        weights = rng.uniform(0, 1, (2, p))
        base = rng.standard_normal(d) * 0.3
        members.append([Zonotope(w[:, None] * rows, base) for w in weights])
    exact = hausdorff_oracle(
        *[np.vstack([subset_sums(Z.generators, Z.base) for Z in pair]) for pair in members]
    )
    result = hausdorff_bracket(ZonotopeHull(*members[0]), ZonotopeHull(*members[1]), method="bracket",
                               directions=256, seed=seed)  # fmt: skip
    tolerance = 1e-7 * (1 + exact)
    assert result.lower <= exact + tolerance and exact <= result.upper + tolerance


@given(st.integers(1, 8), st.integers(1, 8), st.floats(0.01, 5.0), st.integers(0, 10_000))
@settings(max_examples=40, deadline=None)
def test_rows_projected_on_the_l1_ball_keep_the_map_inside_the_zonotope(q, p, scale, seed):
    """The general map bound needs every row of M in the unit l1 ball: projection keeps rows inside and
    moves the others onto the sphere by soft thresholding (the Euclidean projection's form)."""
    from tropical.metrics.support import _rows_in_l1_ball

    M = np.random.default_rng(seed).standard_normal((q, p)) * scale
    out = _rows_in_l1_ball(M)
    norms = np.abs(M).sum(axis=1)
    assert (np.abs(out).sum(axis=1) <= 1 + 1e-12).all()
    np.testing.assert_allclose(out[norms <= 1], M[norms <= 1])
    outside = norms > 1
    np.testing.assert_allclose(np.abs(out[outside]).sum(axis=1), 1.0, rtol=1e-9)
    shrink = np.abs(M[outside]) - np.abs(out[outside])  # the same threshold on every kept entry of a row
    for row, kept in zip(shrink, np.abs(out[outside]) > 0, strict=True):
        assert np.ptp(row[kept]) <= 1e-9 * (1 + scale) and (row[~kept] <= row[kept].max() + 1e-9).all()
    assert (np.sign(out) * np.sign(M) >= 0).all()


_BAD_INPUTS = [
    (
        "square",
        TypeError,
        r"A must be a one-hidden-layer classifier \(torch.nn.Module\), a Polytope, .* got str",
    ),
    ({"points": 1}, TypeError, r"A must be a one-hidden-layer classifier .* got dict"),
    ([1.0, 2.0], TypeError, r"A must be a one-hidden-layer classifier .*has shape \(2,\), not \(n, d\)"),
    (np.zeros((0, 2)), TypeError, r"has shape \(0, 2\), not \(n, d\)"),
    ([[0.0, np.nan], [1.0, 1.0]], ValueError, "A contains NaN"),
    ([[0.0, np.inf], [1.0, 1.0]], ValueError, "A contains infinite entries"),
]


@pytest.mark.parametrize(("bad", "error", "message"), _BAD_INPUTS)
def test_every_body_metric_refuses_a_bad_input_with_one_message(bad, error, message):
    """The exact metrics (vertices) and the support-function ones read their inputs one way: the same
    exception and message for the same bad input, naming the argument and what is accepted."""
    from tropical.metrics import convex_body, iou, projected_polygons
    from tropical.metrics.polytope import normalized

    square = np.array([[0.0, 0], [1, 0], [1, 1], [0, 1]])
    calls = [
        lambda: hausdorff(bad, square),
        lambda: iou(bad, square),
        lambda: normalized(bad, normalize="none"),
        lambda: hausdorff_bracket(bad, square),
        lambda: convex_body(bad, name="A"),
        lambda: projected_polygons([bad, square]),
    ]
    messages = set()
    for call in calls:
        with pytest.raises(error, match=message.replace("A ", "")) as caught:
            call()
        messages.add(str(caught.value).split(" ", 1)[1])  # without the argument's own name
    assert len(messages) == 1


def test_a_deep_model_is_refused_the_same_way_by_exact_and_support_metrics():
    from tropical.metrics import iou

    deep = torch.nn.Sequential(
        torch.nn.Linear(2, 5), torch.nn.ReLU(), torch.nn.Linear(5, 4), torch.nn.ReLU(), torch.nn.Linear(4, 3)
    ).double()
    for call in (
        lambda: hausdorff(deep, deep),
        lambda: iou(deep, deep),
        lambda: hausdorff_bracket(deep, deep),
    ):
        with pytest.raises(UnsupportedLayerError, match=r"decision_hull\(model, classes, rest='linear'\)"):
            call()
