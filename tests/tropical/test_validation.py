"""The shared checks of tropical._validation against brute force (scipy) and their error messages."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import ConvexHull
from scipy.spatial.distance import pdist

from tropical._validation import (
    box,
    check_fraction,
    check_positive_int,
    check_seed,
    corner_mask,
    diameter,
    float_array,
)


@given(st.integers(3, 400), st.floats(0.01, 100), st.integers(0, 10_000), st.booleans())
@settings(max_examples=60, deadline=None)
def test_diameter_is_the_largest_pairwise_distance(n, stretch, seed, on_circle):
    rng = np.random.default_rng(seed)
    if on_circle:  # many hull vertices: the O(n log n) antipodal path
        angles = np.sort(rng.uniform(0, 2 * np.pi, n))
        points = np.column_stack([np.cos(angles), stretch * np.sin(angles)])
    else:
        points = rng.standard_normal((n, 2)) * [1.0, stretch]
    ring = points[ConvexHull(points).vertices]  # counter-clockwise, as Polytope keeps them
    expected = pdist(ring).max()
    assert diameter(ring) == pytest.approx(expected, rel=1e-12)
    assert diameter(points) == pytest.approx(expected, rel=1e-12)  # any order: all pairs
    assert diameter(ring[::-1]) == pytest.approx(expected, rel=1e-12)  # clockwise: all pairs


def test_diameter_in_higher_dimension_and_of_a_point():
    points = np.random.default_rng(0).standard_normal((2000, 5))
    assert diameter(points) == pytest.approx(pdist(points).max(), rel=1e-12)
    assert diameter(np.zeros((1, 3))) == 0.0


def test_corner_mask_drops_exactly_the_points_inside_edges():
    square = np.array([[0, 0], [2, 0], [2, 2], [0, 2.0]])
    with_middles = np.array([[0, 0], [1, 0], [2, 0], [2, 1], [2, 2], [0, 2.0]])
    assert corner_mask(square, 1e-9).all()
    np.testing.assert_array_equal(corner_mask(with_middles, 1e-9), [1, 0, 1, 0, 1, 1])
    thin = np.array([[0, 0], [1, 1e-12], [2, 0], [1, -1e-12]])  # sharp corners of a thin polygon stay
    assert corner_mask(thin, 1e-9)[[0, 2]].all()
    assert corner_mask(np.array([[0, 0], [1, 0.0]]), 1e-9).all()


def test_float_array_has_one_nan_and_infinity_rule():
    np.testing.assert_array_equal(float_array(torch.tensor([1, 2]), "x"), [1.0, 2.0])
    assert float_array([1, 2], "x").dtype == np.float64
    with pytest.raises(ValueError, match="x contains NaN"):
        float_array([1.0, np.nan], "x", finite=False)
    with pytest.raises(ValueError, match="x contains infinite"):
        float_array([1.0, np.inf], "x")
    assert float_array([-np.inf], "x", finite=False)[0] == -np.inf
    with pytest.raises(ValueError, match="x must be an array of numbers"):
        float_array(["a"], "x")


def test_box_and_scalar_checks_name_the_argument():
    assert box((0, 1, -1, 1)) == (0.0, 1.0, -1.0, 1.0)
    assert box(np.array([0, 1, -1, 1])) == (0.0, 1.0, -1.0, 1.0)
    for bad, message in (((0, 1, 2), "four finite"), ((1, 0, 0, 1), "xmin < xmax"), ("abcd", "xmin")):
        with pytest.raises(ValueError, match=message):
            box(bad, "window")
    assert check_seed(np.int64(3)) == 3
    with pytest.raises(TypeError, match="seed must be an int, got bool"):
        check_seed(True)
    assert check_fraction(1, "rate") == 1.0
    with pytest.raises(ValueError, match=r"rate must be a number in \[0.0, 1.0\)"):
        check_fraction(1.0, "rate", open_high=True)
    with pytest.raises(ValueError, match="rate"):
        check_fraction(float("nan"), "rate")
    assert check_positive_int(np.int32(0), "count", allow_zero=True) == 0
    with pytest.raises(ValueError, match="count must be an int >= 1"):
        check_positive_int(0, "count")
