"""Dual subdivisions and tropical curves against brute-force evaluation of the polynomial."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import ConvexHull

from tropical import TropicalPolynomial, from_torch

BOUNDS = (-6.0, 6.0, -6.0, 6.0)


def random_polynomial(seed, m=12, integer=False):
    rng = np.random.default_rng(seed)
    exponents = rng.integers(-2, 3, size=(m, 2)).astype(float) if integer else rng.normal(size=(m, 2))
    return TropicalPolynomial(exponents, rng.normal(size=m) * 2)


def top_two(polynomial, X):
    values = X @ polynomial.exponents.T + polynomial.coefficients
    ordered = np.sort(values, axis=1)
    return ordered[:, -1], ordered[:, -2], values


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 100_000), st.booleans())
def test_curve_pieces_are_ties_of_their_labelled_maximal_monomials(seed, integer):
    p = random_polynomial(seed, integer=integer)
    curve = p.hypersurface(bounds=BOUNDS)
    t = np.random.default_rng(seed).uniform(0.05, 0.95, size=len(curve))
    points = curve.segments[:, 0] + t[:, None] * (curve.segments[:, 1] - curve.segments[:, 0])
    best, second, values = top_two(p, points)
    scale = 1e-8 * (1 + np.abs(best))
    np.testing.assert_array_less(best - second, scale)  # the max is attained twice
    labelled = values[np.arange(len(points))[:, None], curve.monomials]
    np.testing.assert_array_less(np.abs(labelled - best[:, None]).max(axis=1), scale)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 100_000), st.booleans())
def test_every_breakpoint_on_a_line_lies_on_the_curve(seed, integer):
    """Walk random lines through the box; every change of the argmax must be on a piece of the curve."""
    p = random_polynomial(seed, integer=integer).reduced()
    curve = p.hypersurface(bounds=BOUNDS)
    rng = np.random.default_rng(seed + 1)
    for _ in range(3):
        start, end = rng.uniform(-5, 5, size=(2, 2))
        s = np.linspace(0, 1, 4001)
        points = start + s[:, None] * (end - start)
        _, argmax = p.evaluate_with_argmax(points)
        for k in np.flatnonzero(argmax[1:] != argmax[:-1]):
            lo, hi = s[k], s[k + 1]
            for _ in range(60):  # bisection on the argmax
                mid = (lo + hi) / 2
                if p.evaluate_with_argmax(start + mid * (end - start))[1] == argmax[k]:
                    lo = mid
                else:
                    hi = mid
            x = start + lo * (end - start)
            a, b = curve.segments[:, 0], curve.segments[:, 1]
            u = np.clip(np.einsum("sd,sd->s", x - a, b - a) / np.einsum("sd,sd->s", b - a, b - a), 0, 1)
            distance = np.linalg.norm(a + u[:, None] * (b - a) - x, axis=1).min()
            assert distance < 1e-6


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 100_000), st.booleans())
def test_dual_subdivision_cells_tile_the_newton_polygon(seed, integer):
    p = random_polynomial(seed, integer=integer)
    cells = p.dual_subdivision()
    newton_area = ConvexHull(p.exponents).volume
    cell_areas = [ConvexHull(p.exponents[cell]).volume for cell in cells if len(cell) >= 3]
    assert sum(cell_areas) == pytest.approx(newton_area, rel=1e-9)
    for cell in cells:  # the monomials of a cell tie and are maximal at one point
        assert len(cell) >= 3


def test_cells_are_merged_not_triangulated():
    # max(0, x, y, x + y) on the unit square: the lifted points are coplanar -> one cell with 4 vertices
    p = TropicalPolynomial([[0, 0], [1, 0], [0, 1], [1, 1]], [0.0, 0.0, 0.0, 0.0])
    cells = p.dual_subdivision()
    assert len(cells) == 1 and sorted(cells[0]) == [0, 1, 2, 3]
    curve = p.hypersurface(bounds=(-1, 1, -1, 1))
    assert len(curve) == 4 and set(curve.kinds) == {"ray"}  # the two axes, as four rays from the origin
    assert curve.length == pytest.approx(4.0)


def test_tropical_line():
    p = TropicalPolynomial([[0, 0], [1, 0], [0, 1]], [0.0, 0.0, 0.0])  # max(0, x, y)
    curve = p.hypersurface(bounds=(-1, 1, -1, 1))
    directions = curve.segments[:, 1] - curve.segments[:, 0]
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    expected = {(-1.0, 0.0), (0.0, -1.0), (np.sqrt(0.5), np.sqrt(0.5))}
    assert {tuple(np.round(v, 9)) for v in directions} == {tuple(np.round(v, 9)) for v in expected}
    np.testing.assert_allclose(curve.segments[:, 0], 0.0, atol=1e-12)
    assert curve.length == pytest.approx(2 + np.sqrt(2))


def test_flat_newton_polygon_gives_parallel_lines():
    p = TropicalPolynomial([[0, 0], [1, 1], [2, 2]], [0.0, 1.0, 0.0])  # max(0, 1 + x + y, 2x + 2y)
    curve = p.hypersurface(bounds=(-3, 3, -3, 3))
    assert list(curve.kinds) == ["line", "line"]
    sums = curve.segments.sum(axis=2)  # x + y is constant on each line
    np.testing.assert_allclose(np.ptp(sums, axis=1), 0, atol=1e-12)
    assert sorted(np.round(sums[:, 0], 9)) == [-1.0, 1.0]


def test_curve_of_a_network_polynomial_and_bad_inputs():
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 6), nn.ReLU(), nn.Linear(6, 1)).double()
    F = from_torch(model)[0].numerator
    curve = F.hypersurface(bounds=(-5, 5, -5, 5))
    assert len(curve) > 0 and curve.length > 0
    with pytest.raises(ValueError, match="2 variables"):
        TropicalPolynomial([[0.0], [1.0]], [0.0, 0.0]).hypersurface(bounds=(-1, 1, -1, 1))
    with pytest.raises(ValueError, match="xmin < xmax"):
        F.hypersurface(bounds=(1, -1, -1, 1))


@pytest.mark.parametrize("exponent_scale", [1e-7, 1.0])
def test_regression_mixed_scales_lifted_dimension_decided_per_coordinate(exponent_scale):
    """Exponents of size 1e-7 and coefficients of size 1e6 (a net with tiny first-layer weights and huge
    biases, stress campaign): the 'all lifted points on one plane' test mixed both units, missed the plane of
    three points and Qhull stopped with 'not enough points'. Three monomials with affinely independent
    exponents form one cell, at whose tie point all three are equal (checked by direct evaluation)."""
    exponents = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]) * exponent_scale
    coefficients = np.array([0.0, 1e6, 2e6])
    p = TropicalPolynomial(exponents, coefficients)
    (cell,) = p.dual_subdivision()
    assert sorted(cell) == [0, 1, 2]
    from tropical.hull import upper_faces

    (face,) = upper_faces(p.lifted)
    values = coefficients + exponents @ face.normal
    np.testing.assert_allclose(values, face.value, rtol=0, atol=1e-12 * np.abs(coefficients).max())


def test_module_is_named_for_what_it_holds_and_the_old_name_still_imports():
    import tropical.curve as module

    with pytest.warns(DeprecationWarning, match="tropical.curve"):
        from tropical.subdivision import TropicalCurve, tropical_curve
    assert TropicalCurve is module.TropicalCurve and tropical_curve is module.tropical_curve
    with pytest.raises(AttributeError):
        import tropical.subdivision

        tropical.subdivision.nothing  # noqa: B018


def test_bounds_is_keyword_only_and_positional_bounds_warn():
    from tropical.curve import tropical_curve

    p = TropicalPolynomial([[0, 0], [1, 0], [0, 1]], [0.0, 0.0, 0.0])
    new = tropical_curve(p, bounds=BOUNDS)
    with pytest.warns(DeprecationWarning, match="bounds="):
        old = tropical_curve(p, BOUNDS)
    np.testing.assert_array_equal(old.segments, new.segments)
    with pytest.raises(TypeError, match="positional"):
        tropical_curve(p, BOUNDS, BOUNDS)


def test_hypersurface_methods_take_bounds_by_keyword_and_positional_bounds_warn():
    """``TropicalPolynomial.hypersurface`` and ``DecisionSubdivision.hypersurface``: the old positional form
    gives the same pieces with a DeprecationWarning that points at the caller."""
    import torch
    from torch import nn

    from tropical.decision import decision_subdivision

    p = TropicalPolynomial([[0, 0], [1, 0], [0, 1], [1, 1]], [0.0, 0.5, -0.5, 0.2])
    torch.manual_seed(1)
    subdivision = decision_subdivision(nn.Sequential(nn.Linear(2, 5), nn.ReLU(), nn.Linear(5, 2)).double())
    for owner, name in ((p, "TropicalPolynomial"), (subdivision, "DecisionSubdivision")):
        new = owner.hypersurface(bounds=BOUNDS)
        with pytest.warns(DeprecationWarning, match=rf"{name}\.hypersurface\(\).*bounds=") as caught:
            old = owner.hypersurface(BOUNDS)
        assert caught[0].filename == __file__
        np.testing.assert_array_equal(old.segments, new.segments)
        assert len(new) > 0
        with pytest.raises(TypeError, match="positional"):
            owner.hypersurface(BOUNDS, BOUNDS)
    with pytest.raises(ValueError, match="bounds"):
        p.hypersurface()
