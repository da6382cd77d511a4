"""Linear regions and decision boundaries against independent oracles.

Oracles: regioncam (T. van Laarhoven's Rust implementation, float32), the network itself evaluated in
float64 (affine maps, activation patterns, bisection on the decision boundary), shapely (tiling, overlaps,
adjacency) and the line-arrangement count 1 + p + C(p, 2).
"""

from __future__ import annotations

import functools
import itertools
import math
import subprocess
import sys

import numpy as np
import pytest
import shapely
import torch
from conftest import interior_points
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.spatial import cKDTree
from torch import nn

from tropical.errors import ComputationTooLargeError, UnsupportedLayerError
from tropical.regions import decision_boundary, decision_regions, linear_regions

regioncam = pytest.importorskip("regioncam")

FAST = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def mlp(widths, *, seed=0, activation=nn.ReLU):
    torch.manual_seed(seed)
    modules = []
    for n_in, n_out in itertools.pairwise(widths):
        modules += [nn.Linear(n_in, n_out), activation()]
    return nn.Sequential(*modules[:-1])


def network(model, points):
    """The model evaluated in float64 at (n, d) points."""
    with torch.no_grad():
        return model.double()(torch.as_tensor(np.asarray(points, dtype=np.float64))).numpy()


def regioncam_faces(model, size):
    """Region count, areas and centroids from regioncam on the box [-size, size]^2."""
    camera = regioncam.Regioncam(size=float(size))
    camera.add(model)
    vertices = np.asarray(camera.vertex_inputs, dtype=np.float64)
    areas, centroids = [], []
    for face in camera.faces:
        p = vertices[face.vertex_ids]
        m = p.mean(axis=0)
        p = p[np.argsort(np.arctan2(p[:, 1] - m[1], p[:, 0] - m[0]))]
        x, y = p[:, 0], p[:, 1]
        x2, y2 = np.roll(x, -1), np.roll(y, -1)
        cross = x * y2 - x2 * y
        area = cross.sum() / 2
        areas.append(area)
        centroids.append([((x + x2) * cross).sum() / (6 * area), ((y + y2) * cross).sum() / (6 * area)])
    return camera.num_faces, np.array(areas), np.array(centroids)


def regioncam_boundary_length(model, size):
    camera = regioncam.Regioncam(size=float(size))
    camera.add(model)
    camera.decision_boundary()
    return sum(edge.length for edge in camera.edges if edge.is_decision_boundary)


def segment_lengths(segments):
    return np.linalg.norm(segments[:, 1] - segments[:, 0], axis=1)


@functools.lru_cache(maxsize=1)
def trained_moons_net(seed=0, steps=150):
    from sklearn.datasets import make_moons

    x, y = make_moons(200, noise=0.1, random_state=seed)
    model = mlp((2, 16, 16, 2), seed=seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.03)
    inputs, targets = torch.tensor(x, dtype=torch.float32), torch.tensor(y)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny batches: threads only contend on a shared machine
    try:
        for _ in range(steps):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(inputs), targets).backward()
            optimizer.step()
    finally:
        torch.set_num_threads(threads)
    return model


# ------------------------------------------------------------------------------------------- regioncam
def assert_same_as_regioncam(model, size):
    regions = linear_regions(model, bounds=(-size, size, -size, size))
    count, areas, centroids = regioncam_faces(model, size)
    assert len(regions) == count
    distance, match = cKDTree(centroids).query(regions.centroids)
    assert len(np.unique(match)) == count  # one-to-one
    # regioncam computes in float32: vertices agree to ~1e-6 of the box size
    assert np.all(distance <= 1e-4 * size)
    np.testing.assert_allclose(regions.areas, areas[match], rtol=1e-3, atol=1e-5 * size**2)


@FAST
@given(
    widths=st.lists(st.integers(2, 12), min_size=1, max_size=3),  # regioncam panics on width 1
    n_out=st.integers(1, 3),
    seed=st.integers(0, 10_000),
    size=st.sampled_from([1.0, 3.0, 10.0]),
)
def test_regions_equal_regioncam_on_random_nets(widths, n_out, seed, size):
    assert_same_as_regioncam(mlp((2, *widths, n_out), seed=seed), size)


def test_regions_equal_regioncam_on_wider_random_net():
    assert_same_as_regioncam(mlp((2, 48, 48, 2), seed=7), 10.0)


def test_regions_equal_regioncam_on_trained_net():
    assert_same_as_regioncam(trained_moons_net(), 3.0)


@pytest.mark.parametrize(
    ("widths", "seed", "size"),
    [
        ((2, 8, 2), 0, 10.0),
        ((2, 16, 16, 2), 1, 10.0),
        ((2, 32, 32, 3), 3, 10.0),
        ((2, 24, 24, 24, 4), 5, 4.0),
    ],
)
def test_boundary_length_equals_regioncam(widths, seed, size):
    model = mlp(widths, seed=seed)
    segments = decision_boundary(model, bounds=(-size, size, -size, size))
    expected = regioncam_boundary_length(model, size)
    assert expected > 0
    assert segment_lengths(segments).sum() == pytest.approx(expected, rel=1e-6)


def test_boundary_length_equals_regioncam_on_trained_net():
    model = trained_moons_net()
    segments = decision_boundary(model, bounds=(-3, 3, -3, 3))
    assert segment_lengths(segments).sum() == pytest.approx(regioncam_boundary_length(model, 3.0), rel=1e-6)


def test_boundary_of_one_output_net_equals_regioncam_sign_boundary():
    model = mlp((2, 12, 12, 1), seed=11)
    with torch.no_grad():
        model[-1].bias.zero_()  # so that the sign changes inside the box
    segments = decision_boundary(model, bounds=(-2, 2, -2, 2))
    expected = regioncam_boundary_length(model, 2.0)
    assert expected > 0
    assert segment_lengths(segments).sum() == pytest.approx(expected, rel=1e-6)


# ------------------------------------------------------------------------------------------- the network
@FAST
@given(
    widths=st.lists(st.integers(1, 10), min_size=0, max_size=3),
    n_out=st.integers(1, 4),
    seed=st.integers(0, 10_000),
    leaky=st.booleans(),
)
def test_affine_maps_and_patterns_equal_the_network_inside_every_region(widths, n_out, seed, leaky):
    activation = (lambda: nn.LeakyReLU(0.2)) if leaky else nn.ReLU
    model = mlp((2, *widths, n_out), seed=seed, activation=activation)
    regions = linear_regions(model, bounds=(-4, 3, -2, 5))
    points, owner = interior_points(regions, 3, seed)
    jacobian, offset = regions.affine_maps
    assert jacobian.shape == (len(regions), n_out, 2) and offset.shape == (len(regions), n_out)
    predicted = np.einsum("nij,nj->ni", jacobian[owner], points) + offset[owner]
    expected = network(model, points)
    np.testing.assert_allclose(predicted, expected, rtol=1e-9, atol=1e-9)
    # activation patterns equal the signs of the pre-activations
    signs, h = [], torch.as_tensor(points)
    with torch.no_grad():
        for module in model:
            h = module(h)
            if isinstance(module, nn.Linear) and module is not model[-1]:
                signs.append((h > 0).numpy())
    expected_patterns = np.concatenate(signs, axis=1) if signs else np.zeros((len(points), 0), bool)
    np.testing.assert_array_equal(regions.activation_patterns[owner], expected_patterns)


@FAST
@given(seed=st.integers(0, 10_000), widths=st.lists(st.integers(2, 10), min_size=1, max_size=3))
def test_regions_tile_the_domain_without_overlaps(seed, widths):
    rng = np.random.default_rng(seed)
    angles = np.sort(rng.uniform(0, 2 * np.pi, size=rng.integers(3, 9)))
    domain = np.stack([np.cos(angles), np.sin(angles)], axis=1) * 2.5 + rng.normal(size=2)
    if shapely.Polygon(domain).area < 0.5:
        domain = np.array([[-2.0, -2.0], [2.0, -2.0], [0.0, 2.0]])
    model = mlp((2, *widths, 2), seed=seed)
    regions = linear_regions(model, polygon=domain)
    area = shapely.Polygon(domain).area
    polygons = np.array([shapely.Polygon(p) for p in regions.polygons])
    assert np.all(shapely.is_valid(polygons))
    assert regions.areas.sum() == pytest.approx(area, rel=1e-12)
    np.testing.assert_allclose(shapely.area(polygons), regions.areas, rtol=1e-9, atol=1e-15)
    # the union has the whole area, so the sum of the areas leaves no room for overlaps
    assert shapely.union_all(polygons).area == pytest.approx(area, rel=1e-9)
    assert np.all(regions.areas > 0)


@given(p=st.integers(1, 14), seed=st.integers(0, 100_000))
@FAST
def test_one_hidden_layer_count_is_the_line_arrangement_count(p, seed):
    rng = np.random.default_rng(seed)
    weight, bias = rng.normal(size=(p, 2)), rng.normal(size=p)
    model = nn.Sequential(nn.Linear(2, p), nn.ReLU(), nn.Linear(p, 1)).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.as_tensor(weight))
        model[0].bias.copy_(torch.as_tensor(bias))
    # a box containing every pairwise intersection (and a point of each line)
    points = [-bias[:, None] * weight / (weight**2).sum(axis=1, keepdims=True)]
    for i in range(p):
        for j in range(i + 1, p):
            points.append(np.linalg.solve(weight[[i, j]], -bias[[i, j]])[None])
    points = np.concatenate(points)
    low, high = points.min(axis=0) - 1.0, points.max(axis=0) + 1.0
    regions = linear_regions(model, bounds=(low[0], high[0], low[1], high[1]))
    assert len(regions) == 1 + p + math.comb(p, 2)


def test_boundary_points_from_bisection_lie_on_the_segments():
    for widths, seed in [((2, 10, 10, 2), 0), ((2, 16, 16, 3), 4), ((2, 20, 1), 2)]:
        model = mlp(widths, seed=seed)
        with torch.no_grad():
            model[-1].bias.zero_()  # a boundary through the box also for the 1-output net
        segments = decision_boundary(model, bounds=(-3, 3, -3, 3))

        def label(points, model=model):
            out = network(model, points)
            return (out[:, 0] > 0).astype(int) if out.shape[1] == 1 else out.argmax(axis=1)

        rng = np.random.default_rng(seed)
        a, b = rng.uniform(-3, 3, size=(400, 2)), rng.uniform(-3, 3, size=(400, 2))
        la, lb = label(a), label(b)
        a, b, la = a[la != lb], b[la != lb], la[la != lb]
        assert len(a) > 10
        for _ in range(60):
            middle = 0.5 * (a + b)
            same = label(middle) == la
            a = np.where(same[:, None], middle, a)
            b = np.where(same[:, None], b, middle)
        found = 0.5 * (a + b)
        distance = shapely.distance(shapely.points(found)[:, None], shapely.linestrings(segments)[None]).min(
            axis=1
        )
        assert distance.max() < 1e-9


def test_decision_regions_tile_the_domain_and_match_the_network():
    model = mlp((2, 16, 16, 3), seed=4)
    classes = decision_regions(model, bounds=(-3, 3, -3, 3))
    assert len(classes) == 3
    assert sum(g.area for g in classes) == pytest.approx(36.0, rel=1e-12)
    assert shapely.union_all(classes).area == pytest.approx(36.0, rel=1e-9)
    points = np.random.default_rng(0).uniform(-3, 3, size=(3000, 2))
    predicted = network(model, points).argmax(axis=1)
    boundary = shapely.union_all([g.boundary for g in classes])
    clear = shapely.distance(shapely.points(points), boundary) > 1e-6
    for label, geometry in enumerate(classes):
        inside = shapely.contains_xy(geometry, points[:, 0], points[:, 1])
        np.testing.assert_array_equal(inside[clear], (predicted == label)[clear])


def test_one_output_decision_regions_are_sign_regions():
    model = mlp((2, 12, 1), seed=3)
    negative, positive = decision_regions(model, bounds=(-2, 2, -2, 2))
    points = np.random.default_rng(1).uniform(-2, 2, size=(2000, 2))
    out = network(model, points)[:, 0]
    clear = np.abs(out) > 1e-6
    inside = shapely.contains_xy(positive, points[:, 0], points[:, 1])
    np.testing.assert_array_equal(inside[clear], (out > 0)[clear])
    assert negative.area + positive.area == pytest.approx(16.0)


# ------------------------------------------------------------------------------------------- API pieces
def test_at_adjacency_and_polygons():
    model = mlp((2, 8, 8, 2), seed=2)
    regions = linear_regions(model, bounds=(-2, 2, -2, 2))
    points, owner = interior_points(regions, 2, 0)
    np.testing.assert_array_equal(regions.at(points), owner)
    np.testing.assert_array_equal(regions.at(np.array([[5.0, 5.0], [-2.5, 0.0]])), [-1, -1])
    # adjacency against shapely: regions sharing a boundary piece of positive length
    polygons = [shapely.Polygon(p) for p in regions.polygons]
    expected = set()
    for i in range(len(regions)):
        for j in range(i + 1, len(regions)):
            if shapely.length(shapely.intersection(polygons[i], polygons[j])) > 1e-9:
                expected.add((i, j))
    assert {tuple(pair) for pair in regions.adjacency.tolist()} == expected
    assert all(len(p) >= 3 for p in regions.polygons)
    assert regions.edges().shape[1:] == (2, 2)


def test_plane_coordinates_map_to_the_input_space():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 12), nn.ReLU(), nn.Linear(12, 12), nn.ReLU(), nn.Linear(12, 2))
    rng = np.random.default_rng(0)
    plane = rng.normal(size=(3, 5))
    regions = linear_regions(model, plane=plane)
    # the frame is orthonormal and the three points sit where the docstring says
    np.testing.assert_allclose(regions.frame @ regions.frame.T, np.eye(2), atol=1e-12)
    np.testing.assert_allclose(regions.to_input([[0.0, 0.0]])[0], plane[0])
    np.testing.assert_allclose(regions.to_input([[np.linalg.norm(plane[1] - plane[0]), 0.0]])[0], plane[1])
    points, owner = interior_points(regions, 2, 1)
    jacobian, offset = regions.affine_maps
    predicted = np.einsum("nij,nj->ni", jacobian[owner], points) + offset[owner]
    np.testing.assert_allclose(predicted, network(model, regions.to_input(points)), atol=1e-9)


def test_plane_through_the_unit_points_of_a_2d_input_equals_bounds():
    model = mlp((2, 10, 10, 2), seed=5)
    by_plane = linear_regions(model, plane=[[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]], bounds=(-3, 3, -3, 3))
    by_bounds = linear_regions(model, bounds=(-3, 3, -3, 3))
    assert len(by_plane) == len(by_bounds)
    np.testing.assert_allclose(np.sort(by_plane.areas), np.sort(by_bounds.areas), rtol=1e-9, atol=1e-12)


def test_batchnorm_dropout_identity_networks():
    torch.manual_seed(1)
    model = nn.Sequential(
        nn.Linear(2, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.3), nn.Identity(), nn.Linear(8, 2)
    )
    model[1].running_mean.normal_()
    model[1].running_var.uniform_(0.5, 2.0)
    model.eval()
    regions = linear_regions(model, bounds=(-3, 3, -3, 3))
    points, owner = interior_points(regions, 2, 0)
    predicted = regions.outputs(points, owner)
    np.testing.assert_allclose(predicted, network(model, points), atol=1e-9)


# ------------------------------------------------------------------------------------------- robustness
def one_layer(weight, bias, out=None):
    weight = np.asarray(weight, dtype=np.float64)
    model = nn.Sequential(nn.Linear(2, len(weight)), nn.ReLU(), nn.Linear(len(weight), 1)).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.as_tensor(weight))
        model[0].bias.copy_(torch.as_tensor(np.asarray(bias, dtype=np.float64)))
        if out is not None:
            model[2].weight.copy_(torch.as_tensor(np.asarray(out, dtype=np.float64))[None])
    return model


def arrangement_count(weight, bias, box):
    """Number of faces of the lines ``weight @ x + bias = 0`` inside ``box``, by shapely.polygonize."""
    xmin, xmax, ymin, ymax = box
    big = 10 * max(abs(v) for v in box) + 10
    lines = [shapely.box(xmin, ymin, xmax, ymax).boundary]
    for (a, b), c in zip(np.asarray(weight, float), np.asarray(bias, float), strict=True):
        if a == 0 and b == 0:
            continue
        point = -c * np.array([a, b]) / (a * a + b * b)
        direction = np.array([-b, a]) / np.hypot(a, b)
        segment = shapely.LineString([point - big * direction, point + big * direction])
        lines.append(shapely.intersection(segment, shapely.box(xmin, ymin, xmax, ymax)))
    return len(shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.union_all(lines)))))


def test_lines_through_vertices_parallel_lines_and_dead_neurons():
    # a diagonal through two box corners, the other diagonal crossing it at the origin, two parallel
    # lines, a duplicate (scaled) line, a dead neuron (never positive) and a zero row
    weight = [[1, -1], [1, 1], [0, 1], [0, 1], [2, 2], [0, 0], [0, 0]]
    bias = [0, 0, 0.5, -0.5, 0, -1, 0]
    regions = linear_regions(one_layer(weight, bias), bounds=(-1, 1, -1, 1))
    polygons = [shapely.Polygon(p) for p in regions.polygons]
    assert regions.areas.sum() == pytest.approx(4.0)
    assert shapely.union_all(polygons).area == pytest.approx(4.0)
    assert len(regions) == arrangement_count(weight, bias, (-1, 1, -1, 1)) == 10
    assert regions.areas.min() > 1e-3  # no slivers


def test_vertex_exactly_on_a_later_line():
    # the third line passes exactly through the intersection of the first two
    regions = linear_regions(one_layer([[1, 0], [0, 1], [1, 1]], [0, 0, 0]), bounds=(-1, 1, -1, 1))
    assert len(regions) == 6
    assert regions.areas.min() > 0.1


@pytest.mark.parametrize("factor", [1e-8, 1.0, 1e8])
def test_scaling_the_weights_keeps_the_regions(factor):
    model = mlp((2, 12, 12, 2), seed=8)
    reference = linear_regions(model, bounds=(-2, 2, -2, 2))
    # ReLU is positively homogeneous: weights of layer l times f and biases times f**l scale the
    # pre-activations of layer l by f**l and leave the regions alone
    model = model.double()
    with torch.no_grad():
        linears = [module for module in model if isinstance(module, nn.Linear)]
        for depth, module in enumerate(linears, start=1):
            module.weight.mul_(factor)
            module.bias.mul_(factor**depth)
    scaled = linear_regions(model, bounds=(-2, 2, -2, 2))
    assert len(scaled) == len(reference)
    np.testing.assert_allclose(np.sort(scaled.areas), np.sort(reference.areas), rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize(("offset", "width"), [(1e6, 1.0), (0.0, 1e-6), (0.0, 1e6)])
def test_far_tiny_and_huge_domains(offset, width):
    model = mlp((2, 10, 10, 2), seed=9).double()
    with torch.no_grad():  # x -> (x - centre) / half-width first: the regions of [-1, 1]^2 fill the domain
        half = width / 2
        model[0].bias.sub_(model[0].weight @ torch.tensor([offset + half] * 2, dtype=torch.float64) / half)
        model[0].weight.div_(half)
    regions = linear_regions(model, bounds=(offset, offset + width, offset, offset + width))
    assert len(regions) > 10
    assert regions.areas.sum() == pytest.approx(width**2, rel=1e-9)
    points, owner = interior_points(regions, 2, 0)
    np.testing.assert_allclose(regions.outputs(points, owner), network(model, points), rtol=1e-7, atol=1e-7)


def test_network_without_hidden_layers_is_one_region():
    model = nn.Sequential(nn.Linear(2, 2))
    regions = linear_regions(model, bounds=(0, 1, 0, 2))
    assert len(regions) == 1
    assert regions.activation_patterns.shape == (1, 0)
    segments = regions.decision_boundary()
    points = np.array([[0.3, 0.4]])
    np.testing.assert_allclose(regions.outputs(points), network(model, points))
    assert segments.shape[1:] == (2, 2)


# ------------------------------------------------------------------------------------------- errors
def test_errors_name_the_argument_or_layer():
    model = mlp((2, 4, 2))
    with pytest.raises(UnsupportedLayerError, match="Tanh at position 1"):
        linear_regions(nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)), bounds=(0, 1, 0, 1))
    with pytest.raises(ValueError, match="bounds"):
        linear_regions(model, bounds=(1, 0, 0, 1))
    with pytest.raises(ValueError, match="polygon must be convex"):
        linear_regions(model, polygon=[[0, 0], [2, 0], [1, 0.2], [2, 2], [0, 2]])
    with pytest.raises(ValueError, match="plane"):
        linear_regions(nn.Sequential(nn.Linear(3, 2)), bounds=(0, 1, 0, 1))
    with pytest.raises(ValueError, match="collinear"):
        linear_regions(nn.Sequential(nn.Linear(3, 2)), plane=[[0, 0, 0], [1, 1, 1], [2, 2, 2]])
    with pytest.raises(ValueError, match="tolerance"):
        linear_regions(model, bounds=(0, 1, 0, 1), tolerance=0.5)
    with pytest.raises(ValueError, match="either bounds= or polygon="):
        linear_regions(model, bounds=(0, 1, 0, 1), polygon=[[0, 0], [1, 0], [0, 1]])
    with pytest.raises(ComputationTooLargeError) as info:
        linear_regions(mlp((2, 30, 2)), bounds=(-10, 10, -10, 10), max_regions=50)
    assert info.value.estimate > 50 and info.value.limit == 50
    with pytest.raises(ValueError, match="points"):
        linear_regions(model, bounds=(0, 1, 0, 1)).at(np.zeros(3))


@pytest.mark.slow
def test_regions_equal_regioncam_on_large_net():
    assert_same_as_regioncam(mlp((2, 64, 64, 64, 2), seed=0), 10.0)


def test_regression_single_unit_layer_maps_not_normalised_in_place():
    # a (1, 1) slice is already contiguous: normalising it once scaled the network's own maps
    model = mlp((2, 1, 1), seed=0)
    regions = linear_regions(model, bounds=(-4, 3, -2, 5))
    points, owner = interior_points(regions, 3, 0)
    np.testing.assert_allclose(regions.outputs(points, owner), network(model, points), atol=1e-12)


@pytest.mark.parametrize(
    ("model", "domain"),
    [
        (mlp((2, 64, 64, 2), seed=0), {"bounds": (-10, 10, -10, 10)}),
        (mlp((2, 200, 2), seed=0), {"bounds": (-10, 10, -10, 10)}),  # the kernel compacts mid-layer
        (
            mlp((2, 8, 8, 8, 8, 3), seed=5, activation=functools.partial(nn.LeakyReLU, 0.1)),
            {"bounds": (-4, 4, -4, 4)},
        ),
        (mlp((5, 20, 12, 3), seed=1), {"plane": np.random.default_rng(0).normal(size=(3, 5)) * 3}),
        (
            one_layer([[1, -1], [1, 1], [0, 1], [0, 1], [2, 2], [0, 0], [0, 0]], [0, 0, 0.5, -0.5, 0, -1, 0]),
            {"polygon": [[0, -1], [1, 0], [0, 1], [-1, 0.5]]},
        ),
    ],
    ids=["2-64-64-2", "2-200-2", "leaky-deep", "plane", "degenerate"],
)
def test_compiled_sweep_equals_the_numpy_sweep(model, domain):
    # the numba kernels (split step, next-layer maps) against the numpy path (the reference): the same
    # regions, vertex for vertex and in the same order; maps and vertices agree to rounding
    pytest.importorskip("numba")
    compiled = linear_regions(model, **domain, compiled=True)
    plain = linear_regions(model, **domain, compiled=False)
    assert len(compiled) == len(plain)
    np.testing.assert_array_equal(compiled.region_vertices, plain.region_vertices)
    np.testing.assert_array_equal(compiled.activation_patterns, plain.activation_patterns)
    np.testing.assert_allclose(compiled.vertices, plain.vertices, rtol=0, atol=1e-9)
    for mine, theirs in zip(compiled.affine_maps, plain.affine_maps, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-9, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(
    n_maps=st.integers(1, 300),
    n=st.integers(1, 40),
    exponent=st.integers(0, 12),
    seed=st.integers(0, 2**32 - 1),
)
def test_compiled_normalisation_equals_numpy_bit_for_bit(n_maps, n, exponent, seed):
    # the lines of a layer (signed-distance coefficients) decide every vertex code: the kernel's one-pass
    # normalisation must give the numpy reference's floats exactly, also for constant (flat) and zero rows
    pytest.importorskip("numba")
    from tropical._region_kernel import normalised
    from tropical._region_split import Partition

    rng = np.random.default_rng(seed)
    maps = rng.normal(size=(n_maps, n, 3)) * 10.0 ** rng.integers(-exponent, exponent + 1, size=(1, n, 1))
    maps[rng.random((n_maps, n)) < 0.1, :2] = 0.0  # constant on some maps
    maps[rng.random((n_maps, n)) < 0.05, :2] *= 1e-14  # nearly constant
    maps[:, rng.random(n) < 0.1] = 0.0  # dead neurons
    for numpy_row, kernel_row in zip(Partition.normalised(maps), normalised(maps), strict=True):
        assert numpy_row.shape == kernel_row.shape == (n, n_maps)
        np.testing.assert_array_equal(kernel_row, numpy_row)


def test_compiled_sweep_stops_at_max_regions_after_the_same_neuron():
    pytest.importorskip("numba")
    messages = []
    for compiled in (True, False):
        with pytest.raises(ComputationTooLargeError) as info:
            linear_regions(
                mlp((2, 30, 30, 2), seed=2), bounds=(-10, 10, -10, 10), max_regions=300, compiled=compiled
            )
        messages.append((str(info.value), info.value.estimate))
    assert messages[0] == messages[1]


def test_sweep_that_loads_the_kernel_midway_equals_the_numpy_sweep(monkeypatch):
    # compiled=None starts with numpy and loads the kernel once the sweep has scanned NUMPY_WORK elements
    # (here after a few neurons of the first layer): the regions are those of the numpy sweep
    pytest.importorskip("numba")
    import tropical._region_split as split

    model = mlp((2, 30, 20, 3), seed=4)
    plain = linear_regions(model, bounds=(-10, 10, -10, 10), compiled=False)
    monkeypatch.setattr(split, "_KERNEL", False)  # as in a fresh process
    monkeypatch.setattr(split, "NUMPY_WORK", 2_000)
    mixed = linear_regions(model, bounds=(-10, 10, -10, 10))
    assert split.compiled(load=False) is not None  # the switch happened
    np.testing.assert_array_equal(mixed.region_vertices, plain.region_vertices)
    np.testing.assert_array_equal(mixed.activation_patterns, plain.activation_patterns)
    np.testing.assert_allclose(mixed.vertices, plain.vertices, rtol=0, atol=1e-9)


@FAST
@given(seed=st.integers(0, 10_000), n_lines=st.integers(1, 12))
def test_split_restricted_to_all_live_slots_equals_the_full_split(seed, n_lines):
    # Partition.split(slots=...) reads the values at the given slots' corners only; given every live slot
    # it makes the same partition, vertex for vertex
    from tropical._region_split import Partition

    rng = np.random.default_rng(seed)
    square = np.array([[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]])
    full, restricted = Partition(square, 1e-9), Partition(square, 1e-9)
    for line in rng.normal(size=(n_lines, 3)):
        full.split(full.vertex_values(line[None]))
        live = np.flatnonzero(restricted.alive[: restricted.nslots])
        corners = restricted.pool[: restricted.npool]
        restricted.split(restricted.vertex_values(line[None], vertices=corners), slots=live)
    for partition in (full, restricted):
        partition.compact()
    assert full.nregions == restricted.nregions
    np.testing.assert_array_equal(full.pool[: full.npool], restricted.pool[: restricted.npool])
    np.testing.assert_array_equal(full.x[: full.nv], restricted.x[: restricted.nv])


def test_small_sweeps_leave_numba_unloaded(monkeypatch):
    import tropical._region_split as split

    monkeypatch.setattr(split, "_KERNEL", False)
    regions = linear_regions(mlp((2, 12, 12, 2), seed=1), bounds=(-5, 5, -5, 5))
    assert len(regions) > 1
    assert split.compiled(load=False) is None


def test_compilation_is_announced_before_it_starts(monkeypatch, capsys):
    pytest.importorskip("numba")
    import tropical._region_kernel as kernel

    monkeypatch.setattr(kernel.os.path, "exists", lambda path: False)  # as without numba's disk cache
    kernel.announce_compilation()
    assert "compiling" in capsys.readouterr().err
    monkeypatch.undo()
    linear_regions(mlp((2, 3, 3, 1), seed=0), bounds=(-1, 1, -1, 1), compiled=True)  # compiled and cached
    capsys.readouterr()
    kernel.announce_compilation()
    assert capsys.readouterr().err == ""


def test_regions_of_a_two_layer_mlp_need_no_threadpoolctl():
    # time to first answer (issue 13): the next-layer maps of a small network are products that OpenBLAS runs
    # on one thread by itself (blocks of rows), so no threadpoolctl is loaded to limit its threads
    code = (
        "import sys, torch, tropical\n"
        "torch.manual_seed(0)\n"
        "net = torch.nn.Sequential(torch.nn.Linear(2, 24), torch.nn.ReLU(), torch.nn.Linear(24, 24), "
        "torch.nn.ReLU(), torch.nn.Linear(24, 2))\n"
        "regions = tropical.linear_regions(net, bounds=(-10, 10, -10, 10))\n"
        "print(len(regions), 'threadpoolctl' in sys.modules, 'numba' in sys.modules)"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    count, threadpoolctl, numba = output.split()
    assert int(count) > 500  # the products of the second layer's maps have ~5e5 multiply-adds
    assert (threadpoolctl, numba) == ("False", "False")


def test_compiled_option_is_checked():
    with pytest.raises(ValueError, match="compiled"):
        linear_regions(mlp((2, 3, 1), seed=0), bounds=(-1, 1, -1, 1), compiled="yes")


@pytest.mark.parametrize(("seed", "scale"), [(7, 1e-8), (8, 1e6), (17, 1e6), (35, 1e-8)])
def test_regression_constant_neurons_in_tiny_and_huge_networks(seed, scale):
    """Found by the stress campaign: a neuron constant on a region (its gradient is zero there) was compared
    with the tolerance as an absolute value, so in a network scaled by 1e-8 a constant of 5e-10 counted as
    inactive, and at 1e6 its clipped value distorted the intersection points: affine maps off by up to 4%."""
    rng = np.random.default_rng(seed)
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 1)).double()
    with torch.no_grad():
        for i, linear in enumerate([model[0], model[2], model[4]]):
            weight = np.round(rng.standard_normal(tuple(linear.weight.shape)), 2) * (scale if i == 0 else 1)
            linear.weight.copy_(torch.tensor(weight))
            linear.bias.copy_(torch.tensor(np.round(rng.standard_normal(linear.out_features), 2) * scale))
    regions = linear_regions(model, bounds=(-10, 10, -10, 10))
    assert regions.areas.sum() == pytest.approx(400.0, rel=1e-12)
    points, owner = interior_points(regions, 3, seed)
    points, owner = np.vstack([regions.centroids, points]), np.concatenate([np.arange(len(regions)), owner])
    jacobian, offset = regions.affine_maps
    expected = network(model, points)
    predicted = np.einsum("nij,nj->ni", jacobian[owner], points) + offset[owner]
    np.testing.assert_allclose(predicted, expected, rtol=0, atol=1e-10 * np.abs(expected).max())


@pytest.mark.parametrize("shape", [(3, 3), (3,), (2, 2, 2)])
def test_outputs_and_to_input_name_the_shape_they_take(shape):
    """Regression (user trial): ``Regions.outputs`` of (3, 3) points gave numpy's "cannot reshape array of
    size 9 into shape (2)"; (3,) and (2, 2, 2) points were silently reshaped."""
    net = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
    regions = linear_regions(net, bounds=(-3, 3, -3, 3))
    for method in (regions.outputs, regions.to_input):
        with pytest.raises(ValueError, match=r"points must have shape \(n, 2\)"):
            method(np.zeros(shape))
    point = np.array([0.5, -1.0])
    expected = net(torch.tensor(point, dtype=torch.float32)[None]).detach().numpy()
    np.testing.assert_allclose(regions.outputs(point), expected, atol=1e-5)
