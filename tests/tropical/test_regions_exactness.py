"""Regions at ties and near-flat neurons (issues 14 and 15), checked against the network itself.

Oracles: the network's own forward pass in float64 on dense grids (classes with numpy's argmax, whose ties
go to the lowest index exactly as documented) and at random interior points of every region.
"""

from __future__ import annotations

import copy
import itertools

import numpy as np
import pytest
import shapely
import torch
from conftest import interior_points
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from tropical.regions import decision_boundary, linear_regions


def network(model, points):
    with torch.no_grad():
        return model.double()(torch.as_tensor(np.asarray(points, dtype=np.float64))).numpy()


def set_weights(model, weights, biases=None):
    linears = [m for m in model if isinstance(m, nn.Linear)]
    with torch.no_grad():
        for index, (linear, weight) in enumerate(zip(linears, weights, strict=True)):
            linear.weight.copy_(torch.tensor(weight, dtype=torch.float64))
            if biases is not None:
                linear.bias.copy_(torch.tensor(biases[index], dtype=torch.float64))
    return model


def grid(bounds, n):
    xmin, xmax, ymin, ymax = bounds
    u = xmin + (np.arange(n) + 0.5) / n * (xmax - xmin)
    v = ymin + (np.arange(n) + 0.5) / n * (ymax - ymin)
    return np.stack(np.meshgrid(u, v), -1).reshape(-1, 2)


def classes_of(geometries, points):
    """The class whose decision region covers each point (-1: none)."""
    result = np.full(len(points), -1)
    shapes = shapely.points(points)
    for label, geometry in enumerate(geometries):
        result[shapely.covers(geometry, shapes) & (result < 0)] = label
    return result


# ------------------------------------------------------------------------------------------ issue 14
TIED_WEIGHTS = [
    [[0.34, -1.16], [-0.19, -0.34], [-0.23, 0.6]],
    [[-1.28, 0.97, -1.13], [-0.19, 0.89, 0.66]],
    [[-0.69, 1.77], [0.37, -0.95], [0.04, -0.83], [0.43, -1.34], [0.48, -1.77]],
]


def tied_net():
    model = nn.Sequential(
        nn.Linear(2, 3, bias=False),
        nn.ReLU(),
        nn.Linear(3, 2, bias=False),
        nn.ReLU(),
        nn.Linear(2, 5, bias=False),
    ).double()
    return set_weights(model, TIED_WEIGHTS)


def test_regression_tied_outputs_argmax_lowest_index_wins():
    """Issue 14: on a quarter of the box every output is exactly 0; the per-region maps carried ~1e-17 of
    rounding noise and its argmax gave class 1 on an area of 0.54, with two boundary segments that do not
    exist. The rule "ties go to the lowest index" gives class 0 there, as the network's own argmax does."""
    model, bounds = tied_net(), (-1, 1, -1, 1)
    points = grid(bounds, 300)
    outputs = network(model, points)
    expected = outputs.argmax(axis=1)
    all_zero = np.abs(outputs).max(axis=1) == 0
    assert all_zero.mean() > 0.2  # the oracle really has exact ties
    regions = linear_regions(model, bounds=bounds)
    geometries = regions.decision_regions()
    np.testing.assert_array_equal(classes_of(geometries, points[all_zero]), 0)
    np.testing.assert_array_equal(classes_of(geometries, points), expected)
    np.testing.assert_allclose([g.area for g in geometries], [4.0, 0, 0, 0, 0], atol=1e-12)
    assert decision_boundary(model, bounds=bounds).shape == (0, 2, 2)


def test_duplicated_output_rows_tie_to_the_lower_index_and_leave_no_boundary_between_them():
    """Classes 1 and 3 have identical weights and biases: class 3 is never predicted and no boundary
    separates it from class 1; the remaining boundary agrees with the network on a dense grid."""
    torch.manual_seed(3)
    model = nn.Sequential(nn.Linear(2, 6), nn.ReLU(), nn.Linear(6, 6), nn.ReLU(), nn.Linear(6, 4)).double()
    with torch.no_grad():
        model[4].weight[3] = model[4].weight[1]
        model[4].bias[3] = model[4].bias[1]
    bounds = (-3, 3, -3, 3)
    geometries = linear_regions(model, bounds=bounds).decision_regions()
    assert geometries[3].is_empty
    points = grid(bounds, 200)
    outputs = network(model, points)
    expected = outputs.argmax(axis=1)
    margin = np.sort(outputs, axis=1)
    clear = (margin[:, -1] - np.where(expected == 1, margin[:, -3], margin[:, -2])) > 1e-6
    np.testing.assert_array_equal(classes_of(geometries, points[clear]), expected[clear])


@pytest.mark.parametrize("scale", [1e-8, 1.0, 1e8])
def test_tied_outputs_decisions_scale_with_the_network(scale):
    model = tied_net()
    with torch.no_grad():
        model[4].weight.mul_(scale)
    geometries = linear_regions(model, bounds=(-1, 1, -1, 1)).decision_regions()
    np.testing.assert_allclose([g.area for g in geometries], [4.0, 0, 0, 0, 0], atol=1e-12)


# ------------------------------------------------------------------------------------------ issue 15
NEARLY_FLAT = (
    [[1.7890428597827681, 0.8793391961989334], [0.3715928206197059, 1.487693783481416]],
    [[-1.337268076852899, None]],
    [[-0.6738274757080936], [0.019644724533828577]],
)
NEARLY_FLAT_BIASES = (
    [0.7286655297311473, 2.0812487277245526],
    [0.5442212304483018],
    [-1.0580851174454495, -1.348066219927097],
)


@pytest.mark.parametrize(
    ("activation", "small"),
    [(nn.ReLU(), 1e-8), (nn.ReLU(), 0.0), (nn.LeakyReLU(1e-12), 0.125), (nn.LeakyReLU(1e-9), 0.125)],
)
def test_regression_regions_nearly_flat_neuron_places_lines_exactly(activation, small):
    """Issue 15: a neuron nearly constant on a neighbouring region (a 1e-8 weight, or a LeakyReLU slope of
    1e-12) had its signed distances clipped to 1e6, which moved the interpolated crossing points: outputs
    wrong by up to 0.36 on 2-3% of the box."""
    weights = copy.deepcopy(NEARLY_FLAT)
    weights[1][0][1] = small
    model = nn.Sequential(
        nn.Linear(2, 2), activation, nn.Linear(2, 1), copy.deepcopy(activation), nn.Linear(1, 2)
    )
    model = set_weights(model.double(), weights, NEARLY_FLAT_BIASES)
    regions = linear_regions(model, bounds=(-2, 2, -2, 2))
    points = np.random.default_rng(0).uniform(-2, 2, (20000, 2))
    expected = network(model, points)
    np.testing.assert_allclose(regions.outputs(points), expected, rtol=0, atol=1e-12)
    inside, owner = interior_points(regions, 5, 0)
    np.testing.assert_allclose(regions.outputs(inside, owner), network(model, inside), rtol=0, atol=1e-12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    widths=st.lists(st.integers(1, 6), min_size=1, max_size=3),
    slope=st.sampled_from([0.0, 1e-12, 1e-9, 1e-7, 1e-3, 0.3]),
    tiny=st.sampled_from([1e-12, 1e-10, 1e-8, 1e-5]),
    seed=st.integers(0, 2**31 - 1),
)
def test_affine_maps_equal_the_network_with_tiny_slopes_and_weights(widths, slope, tiny, seed):
    """Every region's affine map equals the network at interior points, for LeakyReLU slopes and weights
    down to 1e-12 (pruned and nearly dead units)."""
    rng = np.random.default_rng(seed)
    sizes = (2, *widths, 2)
    modules = []
    for n_in, n_out in itertools.pairwise(sizes):
        modules += [nn.Linear(n_in, n_out), nn.LeakyReLU(slope)]
    model = nn.Sequential(*modules[:-1]).double()
    with torch.no_grad():
        for linear in model[::2]:
            weight = rng.standard_normal(tuple(linear.weight.shape))
            weight[rng.random(weight.shape) < 0.3] *= tiny
            linear.weight.copy_(torch.tensor(weight))
            linear.bias.copy_(torch.tensor(rng.standard_normal(linear.out_features)))
    regions = linear_regions(model, bounds=(-3, 3, -3, 3))
    assert regions.areas.sum() == pytest.approx(36.0, rel=1e-12)
    inside, owner = interior_points(regions, 4, seed)
    inside = np.vstack([inside, regions.centroids])
    owner = np.concatenate([owner, np.arange(len(regions))])
    expected = network(model, inside)
    atol = 1e-9 * max(1.0, np.abs(expected).max())
    np.testing.assert_allclose(regions.outputs(inside, owner), expected, rtol=0, atol=atol)
