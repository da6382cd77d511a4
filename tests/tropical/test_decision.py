"""Alfarra et al.'s decision zonotopes against brute-force expansion of R, from_torch and the network."""

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import tropical as tr
from tropical import Polytope, TropicalPolynomial, UnsupportedLayerError
from tropical.decision import decision_hypersurface


def make_net(n_in, width, n_out=2, *, seed=0, zero_bias=False, prune=None):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(n_in, width), nn.ReLU(), nn.Linear(width, n_out)).double()
    with torch.no_grad():
        if zero_bias:
            model[0].bias.zero_()
        if prune is not None:
            generator = torch.Generator().manual_seed(seed + 1)
            for layer in (model[0], model[2]):
                keep = torch.rand(layer.weight.shape, generator=generator) >= prune
                layer.weight.mul_(keep)
    return model


def expanded_R(model, classes=(0, 1)):
    """R = H_i Q_j ⊕ H_j Q_i expanded over all 2^p choices, as in docs/math.md §3 (labels: side 1 / 2)."""
    A = model[0].weight.detach().numpy()
    c1 = model[0].bias.detach().numpy()
    B = model[2].weight.detach().numpy()
    c2 = model[2].bias.detach().numpy()
    Ap, Am = np.maximum(A, 0), np.maximum(-A, 0)
    Bp, Bm = np.maximum(B, 0), np.maximum(-B, 0)
    p = A.shape[0]
    choices = np.array(list(itertools.product([0, 1], repeat=p)), float)  # 1: the (A+_l, c1_l) monomial
    exponents, coefficients, sides = [], [], []
    for side, (i, j) in enumerate([classes, classes[::-1]], start=1):
        # H_i = sum_l B+_il max(A+_l x + c1_l, A-_l x) + B-_i A- x + c2_i
        # Q_j = sum_l B-_jl max(A+_l x + c1_l, A-_l x) + B+_j A- x
        weight = Bp[i] + Bm[j]
        linear = Bm[i] @ Am + Bp[j] @ Am
        exps = linear + (choices * weight) @ Ap + ((1 - choices) * weight) @ Am
        coefs = c2[i] + (choices * weight) @ c1
        exponents.append(exps)
        coefficients.append(coefs)
        sides.append(np.full(len(exps), side))
    return np.vstack(exponents), np.concatenate(coefficients), np.concatenate(sides)


def cell_set(lifted, cells):
    return sorted(tuple(sorted(map(tuple, np.round(lifted[c], 7)))) for c in cells)


@pytest.mark.parametrize(("n_in", "width", "seed"), [(2, 5, 0), (2, 8, 1), (3, 6, 2), (1, 4, 3)])
def test_decision_polytope_is_newton_polytope_of_expanded_R(n_in, width, seed):
    model = make_net(n_in, width, seed=seed)
    exponents, coefficients, _ = expanded_R(model)
    X = np.random.default_rng(seed).standard_normal((50, n_in))
    out = model(torch.tensor(X)).detach().numpy()
    R1 = TropicalPolynomial(*expanded_R(model)[:2])  # sanity of the brute force itself: T1 - T2 = f0 - f1
    assert R1(X).shape == (50,)
    half = len(coefficients) // 2
    T1 = TropicalPolynomial(exponents[:half], coefficients[:half])(X)
    T2 = TropicalPolynomial(exponents[half:], coefficients[half:])(X)
    np.testing.assert_allclose(T1 - T2, out[:, 0] - out[:, 1], atol=1e-9)

    assert tr.decision_polytope(model).same_as(Polytope(exponents))
    lifted = np.column_stack([exponents, coefficients])
    assert tr.decision_polytope(model, lifted=True).same_as(Polytope(lifted))
    Z1, Z2 = tr.decision_zonotopes(model)
    assert Z1.to_polytope().same_as(Polytope(exponents[:half]))
    assert Z2.to_polytope().same_as(Polytope(exponents[half:]))
    np.testing.assert_allclose(Z1.base, Z2.base)  # the shared base point o


@pytest.mark.parametrize(
    "options",
    [
        dict(seed=0),
        dict(seed=4),
        dict(seed=5, zero_bias=True),
        dict(seed=6, prune=0.4),
        dict(seed=7, prune=0.6),
    ],
)
def test_subdivision_equals_dual_subdivision_of_expanded_R(options):
    model = make_net(2, 7, **options)
    exponents, coefficients, _ = expanded_R(model)
    R = TropicalPolynomial(exponents, coefficients)
    expected = cell_set(R.lifted, R.dual_subdivision())
    expected = [cell for cell in expected if len(cell) >= 3]
    for method in ("arrangement", "hull"):
        subdivision = tr.decision_subdivision(model, method=method)
        assert cell_set(subdivision.lifted, subdivision.cells) == expected, method


def test_multiclass_pair():
    model = make_net(2, 6, n_out=4, seed=9)
    exponents, coefficients, _ = expanded_R(model, classes=(3, 1))
    assert tr.decision_polytope(model, (3, 1)).same_as(Polytope(exponents))
    R = TropicalPolynomial(exponents, coefficients)
    expected = [cell for cell in cell_set(R.lifted, R.dual_subdivision()) if len(cell) >= 3]
    subdivision = tr.decision_subdivision(model, (3, 1))
    assert cell_set(subdivision.lifted, subdivision.cells) == expected


@pytest.mark.parametrize("options", [dict(seed=10), dict(seed=11, prune=0.5), dict(seed=12, zero_bias=True)])
def test_arrangement_sweep_matches_hull_on_wider_nets(options):
    model = make_net(2, 40, **options)
    a = tr.decision_subdivision(model, method="arrangement")
    b = tr.decision_subdivision(model, method="hull")
    assert cell_set(a.lifted, a.cells) == cell_set(b.lifted, b.cells)
    assert a.mixed.sum() == b.mixed.sum()


def test_agrees_with_from_torch():
    model = make_net(2, 6, seed=13)
    m = tr.from_torch(model)
    F1, G1 = m[0].numerator, m[0].denominator
    F2, G2 = m[1].numerator, m[1].denominator
    R = ((F1 * G2) + (F2 * G1)).reduced()
    assert R.newton_polytope().same_as(tr.decision_polytope(model))
    subdivision = tr.decision_subdivision(model)
    assert cell_set(R.lifted, [c for c in R.dual_subdivision() if len(c) >= 3]) == cell_set(
        subdivision.lifted, subdivision.cells
    )


def boundary_points_by_bisection(model, n, seed, box=3.0):
    """Points with f0 = f1, by bisection on the network between points classified differently."""
    rng = np.random.default_rng(seed)
    f = lambda X: (lambda out: out[:, 0] - out[:, 1])(model(torch.tensor(X)).detach().numpy())  # noqa: E731
    X = rng.uniform(-box, box, (4000, 2))
    values = f(X)
    positive, negative = X[values > 0], X[values < 0]
    count = min(n, len(positive), len(negative))
    a, b = positive[:count].copy(), negative[:count].copy()
    for _ in range(60):
        middle = (a + b) / 2
        inside = f(middle) > 0
        a[inside], b[~inside] = middle[inside], middle[~inside]
    return (a + b) / 2


def distance_to_segments(points, segments):
    start, end = segments[None, :, 0], segments[None, :, 1]
    along = end - start
    t = np.clip(((points[:, None] - start) * along).sum(-1) / np.maximum((along**2).sum(-1), 1e-300), 0, 1)
    return np.linalg.norm(points[:, None] - (start + t[..., None] * along), axis=-1).min(axis=1)


@pytest.mark.parametrize(("width", "seed"), [(6, 20), (30, 21), (100, 22)])
def test_boundary_points_lie_on_mixed_part_of_T_R(width, seed):
    model = make_net(2, width, seed=seed)
    bounds = (-4, 4, -4, 4)
    curve = decision_hypersurface(model, bounds=bounds)
    points = boundary_points_by_bisection(model, 200, seed)
    assert len(points) > 10
    assert distance_to_segments(points, curve.segments).max() < 1e-8
    # and the other way round: the mixed pieces are boundary (f0 = f1 at their midpoints)
    middles = curve.segments.mean(axis=1)
    out = model(torch.tensor(middles)).detach().numpy()
    np.testing.assert_allclose(out[:, 0], out[:, 1], atol=1e-9)
    # pure ties are not in it: the full T(R) is strictly longer for a net with kinks away from the boundary
    assert all(np.isin(curve.kinds, ["segment", "ray"]))


def test_decision_hypersurface_old_positional_bounds_warn_and_agree():
    model = make_net(2, 5, 3, seed=23)
    bounds = (-4, 4, -4, 4)
    with pytest.warns(DeprecationWarning, match="bounds=, classes="):
        old = decision_hypersurface(model, bounds, (0, 2))
    new = decision_hypersurface(model, (0, 2), bounds=bounds)
    np.testing.assert_array_equal(old.segments, new.segments)
    with pytest.raises(TypeError, match="bounds="):
        decision_hypersurface(model, (0, 2))


def test_mixed_curve_equals_filtered_tropical_curve_of_expanded_R():
    model = make_net(2, 7, seed=32)
    exponents, coefficients, sides = expanded_R(model)
    R = TropicalPolynomial(exponents, coefficients)
    bounds = (-20, 20, -20, 20)
    full = R.hypersurface(bounds=bounds)
    mixed = full.select(sides[full.monomials[:, 0]] != sides[full.monomials[:, 1]])
    ours = decision_hypersurface(model, bounds=bounds)
    assert len(ours) > 0
    assert ours.length == pytest.approx(mixed.length, rel=1e-9)
    samples = ours.segments[:, 0] + np.linspace(0, 1, 7)[:, None, None] * (
        ours.segments[:, 1] - ours.segments[:, 0]
    )
    assert distance_to_segments(samples.reshape(-1, 2), mixed.segments).max() < 1e-9


def test_errors_point_to_from_torch():
    deep = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2))
    with pytest.raises(UnsupportedLayerError, match="from_torch"):
        tr.decision_zonotopes(deep)
    with pytest.raises(UnsupportedLayerError, match="from_torch"):
        tr.decision_polytope(deep)
    ends_with_relu = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2), nn.ReLU())
    with pytest.raises(UnsupportedLayerError, match="from_torch"):
        tr.decision_polytope(ends_with_relu)
    fine = nn.Sequential(nn.Flatten(), nn.Linear(2, 4), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4, 3))
    fine.eval()
    tr.decision_zonotopes(fine, (0, 2))
    with pytest.raises(ValueError, match="classes"):
        tr.decision_zonotopes(fine, (0, 3))
    with pytest.raises(ValueError, match="classes"):
        tr.decision_zonotopes(fine, (1, 1))
    with pytest.raises(ValueError, match="method"):
        tr.decision_subdivision(fine, method="qhull")


def test_edge_cases_dead_and_duplicate_neurons():
    model = make_net(2, 6, seed=40)
    with torch.no_grad():
        model[0].weight[1] = 0.0  # constant neuron relu(c1_1)
        model[0].weight[2] = model[0].weight[3] * 2.0  # the same line twice ...
        model[0].bias[2] = model[0].bias[3] * 2.0
        model[0].weight[4] = -model[0].weight[5]  # ... and with opposite orientation
        model[0].bias[4] = -model[0].bias[5]
    exponents, coefficients, _ = expanded_R(model)
    R = TropicalPolynomial(exponents, coefficients)
    expected = [cell for cell in cell_set(R.lifted, R.dual_subdivision()) if len(cell) >= 3]
    subdivision = tr.decision_subdivision(model)
    assert cell_set(subdivision.lifted, subdivision.cells) == expected
    assert tr.decision_polytope(model).same_as(Polytope(exponents))


# ------------------------------------------- pruned nets: dead units, zero columns, parallel and equal lines
def corner_cells(lifted, cells):
    """Cells as sorted tuples of their corners: points on an edge of a cell (which Qhull may list) dropped."""
    result = []
    for cell in cells:
        points = np.unique(np.round(lifted[cell], 7), axis=0)  # sorted by the first, then second coordinate
        if len(points) >= 3:  # Andrew's monotone chain, dropping points on edges (up to the rounding)
            xy = points[:, :2]
            flat = 1e-6 * np.ptp(xy, axis=0).max() ** 2
            corners = set()
            for order in (range(len(points)), range(len(points) - 1, -1, -1)):
                chain = []
                for index in order:
                    while len(chain) >= 2:
                        (ax, ay), (bx, by) = xy[chain[-1]] - xy[chain[-2]], xy[index] - xy[chain[-1]]
                        if ax * by - ay * bx > flat:
                            break
                        chain.pop()
                    chain.append(index)
                corners.update(chain)
            points = points[sorted(corners)]
        result.append(tuple(map(tuple, points)))
    return sorted(result)


def expected_cells(exponents, coefficients):
    """Cells of the dual subdivision of the expanded R, of the dimension of its Newton polygon (segments when
    every line is parallel, none when it is a point)."""
    R = TropicalPolynomial(exponents, coefficients)
    dimension = np.linalg.matrix_rank(exponents - exponents[0], tol=1e-9 * max(1.0, np.abs(exponents).max()))
    cells = [cell for cell in R.dual_subdivision() if dimension and len(cell) > dimension]
    return corner_cells(R.lifted, cells)


def same_support(points, polytope_vertices, seed=0, *, upper=False):
    """Both point sets have the same convex hull (``upper``: the same upper hull): equal support functions
    in 64 directions (pointing up)."""
    directions = np.random.default_rng(seed).standard_normal((64, points.shape[1]))
    if upper:
        directions[:, -1] = np.abs(directions[:, -1])
    a, b = (points @ directions.T).max(axis=0), (polytope_vertices @ directions.T).max(axis=0)
    return np.allclose(a, b, atol=1e-9 * max(1.0, np.abs(points).max()))


def f_difference(model):
    return lambda X: (lambda out: out[:, 0] - out[:, 1])(model(torch.tensor(X)).detach().numpy())


def assert_hypersurface_is_decision_boundary(model, seed, bounds=(-6, 6, -6, 6)):
    """Bisection points of the network lie on decision_hypersurface, and its pieces have f0 = f1."""
    curve = decision_hypersurface(model, bounds=bounds)
    f = f_difference(model)
    points = boundary_points_by_bisection(model, 100, seed, box=5.0)
    if len(points):  # drop points next to a region where f0 = f1 identically (not a curve there)
        angles = 0.3 + np.arange(8) * np.pi / 4
        around = points[:, None, :] + 1e-4 * np.column_stack([np.cos(angles), np.sin(angles)])
        points = points[~(np.abs(f(around.reshape(-1, 2))).reshape(-1, 8) < 1e-12).any(axis=1)]
    if len(points):
        assert len(curve) > 0
        assert distance_to_segments(points, curve.segments).max() < 1e-7
    if len(curve):
        samples = curve.segments[:, 0] + np.linspace(0, 1, 5)[:, None, None] * (
            curve.segments[:, 1] - curve.segments[:, 0]
        )
        np.testing.assert_allclose(f(samples.reshape(-1, 2)), 0.0, atol=1e-8)
    return curve


def assert_matches_brute_force(model, seed=0):
    exponents, coefficients, _ = expanded_R(model)
    expected = expected_cells(exponents, coefficients)
    for method in ("arrangement", "hull"):
        subdivision = tr.decision_subdivision(model, method=method)
        assert corner_cells(subdivision.lifted, subdivision.cells) == expected, method
    assert same_support(exponents, tr.decision_polytope(model).vertices)
    lifted = np.column_stack([exponents, coefficients])
    assert same_support(lifted, tr.decision_polytope(model, lifted=True).vertices)
    assert_hypersurface_is_decision_boundary(model, seed)


def set_weights(model, A, c1, B, c2):
    with torch.no_grad():
        for parameter, value in zip(
            (model[0].weight, model[0].bias, model[2].weight, model[2].bias), (A, c1, B, c2), strict=True
        ):
            parameter.copy_(torch.as_tensor(np.asarray(value, float)))
    return model


def magnitude_pruned_net(width, seed, *, sparsity=0.75, ignore_input=None):
    """A 2-width-2 net with ``sparsity`` of each layer's weights zeroed by magnitude (smallest |w| first);
    ``ignore_input=k`` also zeroes the weights of input k (every line parallel, as in the bug report)."""
    model = make_net(2, width, seed=seed)
    with torch.no_grad():
        for layer in (model[0], model[2]):
            flat = layer.weight.abs().reshape(-1)
            layer.weight[layer.weight.abs() <= flat.kthvalue(int(sparsity * flat.numel())).values] = 0.0
        if ignore_input is not None:
            model[0].weight[:, ignore_input] = 0.0
    return model


@pytest.mark.parametrize("ignore_input", [0, 1])
def test_regression_all_lines_parallel_2_100_2_indexerror(ignore_input):
    """Bug: a 75%-pruned 2-100-2 net whose live units all ignore one input raised IndexError in the sweep
    (an arrangement of parallel lines has no vertex). Its Newton polygon is a segment: δ(R) is a chain of
    segments and the decision boundary is a set of parallel lines."""
    model = magnitude_pruned_net(100, 62, ignore_input=ignore_input)
    arrangement = tr.decision_subdivision(model)
    hull = tr.decision_subdivision(model, method="hull")
    assert len(arrangement) > 0 and (arrangement.cell_sizes == 2).all()
    assert corner_cells(arrangement.lifted, arrangement.cells) == corner_cells(hull.lifted, hull.cells)
    assert arrangement.mixed.sum() == hull.mixed.sum()
    # independent: R from the tropical network (from_torch), reduced
    m = tr.from_torch(model)
    F1, G1, F2, G2 = m[0].numerator, m[0].denominator, m[1].numerator, m[1].denominator
    R = ((F1 * G2) + (F2 * G1)).reduced()
    assert corner_cells(R.lifted, R.dual_subdivision()) == corner_cells(arrangement.lifted, arrangement.cells)
    assert same_support(R.exponents, tr.decision_polytope(model).vertices)
    assert R.newton_polytope().same_as(tr.decision_polytope(model))
    curve = assert_hypersurface_is_decision_boundary(model, 62)
    assert len(curve) > 0 and all(curve.kinds == "line")
    # the decision lines are lines of T(R), orthogonal to the input
    full = R.hypersurface(bounds=(-6, 6, -6, 6))
    assert np.abs(curve.segments[:, 0, ignore_input] - curve.segments[:, 1, ignore_input]).min() > 11.9
    assert distance_to_segments(curve.segments.mean(axis=1), full.segments).max() < 1e-9


@pytest.mark.parametrize("seed", [51, 52, 53])
def test_regression_magnitude_pruned_2_100_2_matches_hull_and_from_torch(seed):
    model = magnitude_pruned_net(100, seed)
    a = tr.decision_subdivision(model)
    b = tr.decision_subdivision(model, method="hull")
    assert corner_cells(a.lifted, a.cells) == corner_cells(b.lifted, b.cells)
    assert a.mixed.sum() == b.mixed.sum()
    m = tr.from_torch(model)
    F1, G1, F2, G2 = m[0].numerator, m[0].denominator, m[1].numerator, m[1].denominator
    R = ((F1 * G2) + (F2 * G1)).reduced()
    assert same_support(R.exponents, tr.decision_polytope(model).vertices)
    assert same_support(R.lifted, tr.decision_polytope(model, lifted=True).vertices, upper=True)  # R reduced
    assert_hypersurface_is_decision_boundary(model, seed)


@pytest.mark.parametrize(
    "lines",
    [
        [(1.5, 0.0, -1.0)],  # a single live unit
        [(1.5, 0.0, -1.0), (-3.0, 0.0, 2.0), (0.5, 0.0, 0.25), (2.0, 0.0, 0.5), (0.0, 0.0, 1.0)],
        [
            (1.0, -2.0, 0.0),
            (-0.5, 1.0, 0.0),
            (2.0, -4.0, 0.0),
            (1.0, -2.0, 1.0),
        ],  # through 0, opposite, equal
    ],
)
def test_parallel_lines_against_brute_force(lines):
    lines = np.array(lines)
    p = len(lines)
    rng = np.random.default_rng(p)
    B = rng.standard_normal((2, p))
    B[rng.random((2, p)) < 0.3] = 0.0
    for c2 in ([0.3, -0.2], [0.0, 0.0]):
        model = set_weights(make_net(2, p), lines[:, :2], lines[:, 2], B, c2)
        assert_matches_brute_force(model)


def test_zero_output_and_dead_units_leave_a_point_or_nothing():
    model = set_weights(
        make_net(2, 3), [[0, 0], [1, 2], [0, 0]], [1.0, 0.5, -1.0], [[1, 0, 2], [0, 0, -1]], [0, 1]
    )
    assert len(tr.decision_subdivision(model)) == 0 == len(tr.decision_subdivision(model, method="hull"))
    assert_matches_brute_force(model)
    assert tr.decision_polytope(model).vertices.shape[0] == 1


def degenerate_net(seed, p, *, floor=1e-6):
    """Many zero weights: dead units, zero output columns, repeated, opposite and axis-parallel lines,
    zero biases, and sometimes every line parallel. Draws below ``floor`` in magnitude become exact zeros:
    a weight of 1e-10 is below the library's relative tolerance (see the seed 1056 regression test)."""
    rng = np.random.default_rng(seed)
    A, c1, B, c2 = (
        rng.standard_normal((p, 2)),
        rng.standard_normal(p),
        rng.standard_normal((2, p)),
        rng.standard_normal(2),
    )
    for unit in range(p):
        kind = rng.integers(6)
        if kind == 0:
            A[unit] = 0.0
        elif kind == 1:
            A[unit, rng.integers(2)] = 0.0
        elif kind in (2, 3) and unit > 0:
            other = rng.integers(unit)
            scale = rng.choice([1.0, 2.0, -1.0, -0.5]) if kind == 2 else -1.0
            A[unit], c1[unit] = scale * A[other], scale * c1[other]
    A[rng.random((p, 2)) < 0.3] = 0.0
    B[rng.random((2, p)) < 0.4] = 0.0
    B[:, rng.random(p) < 0.3] = 0.0
    if rng.random() < 0.4:
        c1[:] = 0.0
    if rng.random() < 0.3:
        c2[:] = 0.0
    if rng.random() < 0.2:
        A[:, rng.integers(2)] = 0.0
    for values in (A, c1, B, c2):
        values[np.abs(values) < floor] = 0.0
    return set_weights(make_net(2, p), A, c1, B, c2)


@pytest.mark.parametrize(("seed", "p"), [(36, 7), (2088, 5)])
def test_regression_thin_polygon_vertical_facet_is_not_a_cell(seed, p):
    """Bug: on a thin Newton polygon (width 0.005 or 7e-5 against a length of 1.5 or 2.3) the "hull" method
    returned a cell whose exponents are collinear: a vertical facet of the lifted polytope, over an edge of
    the polygon, whose normal passed upper_faces' threshold by rounding once _normalise had stretched the
    thin direction (its tie point was ~1e14 away). upper_faces now drops faces that are not 2-dimensional."""
    model = degenerate_net(seed, p)
    subdivision = tr.decision_subdivision(model, method="hull")
    assert all(len(cell) >= 3 for cell in corner_cells(subdivision.lifted, subdivision.cells))
    assert np.abs(subdivision.tie_points).max() < 1e6
    assert_matches_brute_force(model, seed)


def test_regression_degenerate_qhull_simplex_in_brute_force_reference():
    """Bug in the reference: the dual subdivision of the expanded R listed a "cell" of four collinear lifted
    points (exponents (0.0072, 0) ... (4.67, 2.73), a zero-area simplex of Qhull's triangulation); both
    methods were right. At its tie point the maximal monomials have affinely dependent exponents and only
    two regions of R meet there: a point inside an edge of T(R), not a vertex."""
    model = degenerate_net(1896, 7)
    exponents, coefficients, _ = expanded_R(model)
    R = TropicalPolynomial(exponents, coefficients)
    for cell in R.dual_subdivision():  # every cell of the reference is 2-dimensional now
        assert np.linalg.matrix_rank(R.exponents[cell] - R.exponents[cell[0]], tol=1e-9) == 2
    x = np.array([-2.0222005997, 3.9077551611])  # the spurious cell's tie point, independent evaluation
    values = coefficients + exponents @ x
    top = exponents[values >= values.max() - 1e-7]
    assert np.linalg.matrix_rank(top - top[0], tol=1e-7) == 1
    ring = x + 1e-3 * np.column_stack([np.cos(np.arange(64) / 10.2), np.sin(np.arange(64) / 10.2)])
    winners = np.argmax(coefficients + ring @ exponents.T, axis=1)
    assert len(np.unique(np.round(exponents[winners], 7), axis=0)) == 2
    assert_matches_brute_force(model, 1896)


def test_regression_weight_below_tolerance_seed_1056():
    """Seed 1056 drew an output weight of -1.6e-10 (2e-10 of the largest weight): f0 - f1 is positive only on
    a wedge, where it stays below 2e-9 of its range; the only mixed cell of δ(R) is a triangle 1.4e-10 wide
    against a length of 0.075, below the affine-rank threshold of tropical.hull (RELATIVE_TOLERANCE = 1e-9
    times the size, times sqrt(#points)). Both methods and the reference agree at that tolerance (no cell), so
    only the tolerance-free network bisection saw a boundary. Not a bug: degenerate_net now rounds such draws
    to exact zeros, and with the weight zeroed everything is checked, the boundary included."""
    raw = degenerate_net(1056, 7, floor=0.0)
    assert raw[2].weight[1, 0].item() == pytest.approx(-1.58058734e-10)
    exponents, coefficients, _ = expanded_R(raw)
    expected = expected_cells(exponents, coefficients)
    for method in ("arrangement", "hull"):
        subdivision = tr.decision_subdivision(raw, method=method)
        assert corner_cells(subdivision.lifted, subdivision.cells) == expected, method
    assert same_support(exponents, tr.decision_polytope(raw).vertices)
    values = f_difference(raw)(np.random.default_rng(0).uniform(-6, 6, (20000, 2)))
    assert 0 < values.max() < 1e-8 * np.abs(values).max()
    model = degenerate_net(1056, 7)
    assert model[2].weight[1, 0].item() == 0.0
    assert_matches_brute_force(model, 1056)


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**31), p=st.integers(1, 7))
def test_nets_with_many_zero_weights_against_brute_force(seed, p):
    assert_matches_brute_force(degenerate_net(seed, p), seed)


def test_regression_tie_at_a_vertex_and_a_crossing_next_to_it_do_not_overlap():
    """Stress campaign: output biases of 1e-9 make T1 - T2 a tie (within the tolerance) at an arrangement
    vertex; the sweep also found a boundary crossing just next to that vertex on an adjacent edge (its margin
    was a distance, not the vertices' value tolerance), and returned the quadrilateral cell *and* both its
    triangles: cells covering the Newton polygon twice. Oracles: Qhull's area of the brute-force Newton
    polygon, and the dual subdivision of the expanded R."""
    from scipy.spatial import ConvexHull

    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2)).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[-0.75, 0.25], [-1.25, 2.0]]))
        model[0].bias.copy_(torch.tensor([1.0, -2.0]))
        model[2].weight.copy_(torch.tensor([[-0.65869331, -0.99986597], [0.90965135, 0.18311158]]))
        model[2].bias.copy_(torch.tensor([8.56097386e-09, 1.42115118e-09]))
    exponents, coefficients, _ = expanded_R(model)
    R = TropicalPolynomial(exponents, coefficients)
    expected = [cell for cell in cell_set(R.lifted, R.dual_subdivision()) if len(cell) >= 3]
    for method in ("arrangement", "hull"):
        subdivision = tr.decision_subdivision(model, method=method)
        areas = [Polytope(subdivision.exponents[cell]).volume for cell in subdivision.cells]
        assert sum(areas) == pytest.approx(ConvexHull(exponents).volume, rel=1e-9), method
        assert cell_set(subdivision.lifted, subdivision.cells) == expected, method


@pytest.mark.parametrize(("n_in", "width", "n_out"), [(6, 24, 2), (8, 32, 2), (64, 16, 10)])
def test_regression_large_inputs_are_refused_promptly_with_bounded_memory(n_in, width, n_out):
    """Issue 12: 6-24-2 ran > 2 min in Qhull, 8-32-2 was OOM-killed at 24 GB, 64-16-10 ran > 10 min of LPs."""
    import tracemalloc

    model = make_net(n_in, width, n_out, seed=3)
    for compute in (tr.decision_polytope, tr.decision_subdivision):
        tracemalloc.start()
        try:
            with pytest.raises(tr.ComputationTooLargeError) as info:
                compute(model)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 50e6
        error = info.value
        assert error.estimate > error.limit > 0
        message = str(error)
        assert "decision_hull" in message or "hausdorff_bracket" in message  # an alternative that works
        assert "larger" not in message  # no advice to raise a limit by orders of magnitude
    # the alternative named by the message works on the same model, also in bounded memory
    tracemalloc.start()
    try:
        bracket = tr.metrics.hausdorff_bracket(model, make_net(n_in, width, n_out, seed=4))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert 0 < bracket.lower <= bracket.upper and peak < 100e6


def test_limits_are_checked_before_the_work_and_generous_enough_for_small_nets():
    model = make_net(3, 6, seed=1)
    polytope = tr.decision_polytope(model)
    assert polytope.ambient_dimension == 3
    with pytest.raises(tr.ComputationTooLargeError, match="max_seconds") as info:
        tr.decision_polytope(model, max_seconds=1e-9)
    assert info.value.limit == 1e-9
    with pytest.raises(tr.ComputationTooLargeError, match="max_bytes"):
        tr.decision_subdivision(model, max_bytes=1.0)


def test_decision_hull_is_the_decision_polytope_unenumerated():
    model = make_net(3, 5, 3, seed=2)
    hull = tr.decision_hull(model, (2, 0))
    polytope = tr.decision_polytope(model, (2, 0))
    exponents, _, _ = expanded_R(model, (2, 0))
    assert Polytope(exponents).same_as(polytope)
    U = np.random.default_rng(0).standard_normal((100, 3))
    assert np.allclose(hull.support(U), (U @ exponents.T).max(axis=1))
    assert hull.to_polytope().same_as(polytope)
