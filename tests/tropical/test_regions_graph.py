"""Linear regions of general piecewise-linear graphs: residual MLPs, conv nets with max pooling, PReLU.

Oracles: regioncam (its own residual support, float32) for region counts and boundary lengths; the network's
own forward pass in float64 at interior points of every region and on a dense grid for activation patterns
(signs of the pre-activations, and torch's ``max_pool2d`` indices for the argmax of each pooling window).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from conftest import interior_points
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_digits
from torch import nn

from tropical.errors import ComputationTooLargeError
from tropical.regions import decision_boundary, decision_regions, linear_regions

regioncam = pytest.importorskip("regioncam")

FAST = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class ResidualMLP(nn.Module):
    """``x -> relu(inp(x)) -> h + relu(block(h)) (repeated) -> out``."""

    def __init__(self, width, depth, n_out):
        super().__init__()
        self.inp = nn.Linear(2, width)
        self.blocks = nn.ModuleList(nn.Linear(width, width) for _ in range(depth))
        self.out = nn.Linear(width, n_out)

    def forward(self, x):
        h = torch.relu(self.inp(x))
        for block in self.blocks:
            h = h + torch.relu(block(h))
        return self.out(h)

    def regioncam_layers(self):
        rn = regioncam.nn
        blocks = [rn.Residual(rn.convert(nn.Sequential(block, nn.ReLU()))) for block in self.blocks]
        return [rn.convert(self.inp), rn.ReLU(), *blocks, rn.convert(self.out)]


def residual_mlp(width, depth, n_out, seed):
    torch.manual_seed(seed)
    return ResidualMLP(width, depth, n_out).eval()


def network(model, points):
    with torch.no_grad():
        return model.double()(torch.as_tensor(np.asarray(points, dtype=np.float64))).numpy()


def segment_length(segments):
    return float(np.linalg.norm(segments[:, 1] - segments[:, 0], axis=1).sum())


# ------------------------------------------------------------------------------------------ residual MLPs
@FAST
@given(width=st.integers(2, 8), depth=st.integers(1, 3), n_out=st.integers(2, 4), seed=st.integers(0, 10_000))
def test_residual_mlp_regions_and_boundary_equal_regioncam(width, depth, n_out, seed):
    model = residual_mlp(width, depth, n_out, seed)
    camera = regioncam.Regioncam(size=3.0)
    camera.add(model.regioncam_layers())
    expected_faces = camera.num_faces
    camera.decision_boundary()
    expected_length = sum(edge.length for edge in camera.edges if edge.is_decision_boundary)
    regions = linear_regions(model, bounds=(-3, 3, -3, 3))
    assert len(regions) == expected_faces
    assert segment_length(decision_boundary(model, bounds=(-3, 3, -3, 3))) == pytest.approx(
        expected_length, rel=1e-5, abs=1e-5
    )


@FAST
@given(width=st.integers(2, 8), depth=st.integers(1, 3), seed=st.integers(0, 10_000))
def test_residual_mlp_affine_maps_equal_the_network(width, depth, seed):
    model = residual_mlp(width, depth, 3, seed).double()
    regions = linear_regions(model, bounds=(-4, 3, -2, 5))
    assert regions.areas.sum() == pytest.approx(49.0, rel=1e-12)
    points, owner = interior_points(regions, 3, seed)
    np.testing.assert_allclose(regions.outputs(points, owner), network(model, points), rtol=1e-9, atol=1e-9)


class PreActivationResidual(nn.Module):
    """``h -> h + second(act(first(h)))`` blocks: a matrix right after an activation on regions that already
    have their own maps (the chain sweep's next-layer step inside the graph sweep)."""

    def __init__(self, width, depth, slope):
        super().__init__()
        self.inp = nn.Linear(2, width)
        self.first = nn.ModuleList(nn.Linear(width, width) for _ in range(depth))
        self.second = nn.ModuleList(nn.Linear(width, width) for _ in range(depth))
        self.act = nn.LeakyReLU(slope)
        self.out = nn.Linear(width, 3)

    def forward(self, x):
        h = self.inp(x)
        for first, second in zip(self.first, self.second, strict=True):
            h = h + second(self.act(first(h)))
        return self.out(self.act(h))


@FAST
@given(
    width=st.integers(2, 8),
    depth=st.integers(1, 3),
    slope=st.sampled_from([0.0, 0.1, -0.5]),
    seed=st.integers(0, 10_000),
)
def test_matrix_after_an_activation_on_own_maps_equals_the_network(width, depth, slope, seed):
    torch.manual_seed(seed)
    model = PreActivationResidual(width, depth, slope).double().eval()
    regions = linear_regions(model, bounds=(-3, 4, -2, 5), compiled=False)
    assert regions.areas.sum() == pytest.approx(49.0, rel=1e-12)
    points, owner = interior_points(regions, 3, seed)
    points = np.vstack([points, regions.centroids])
    owner = np.concatenate([owner, np.arange(len(regions))])
    np.testing.assert_allclose(regions.outputs(points, owner), network(model, points), rtol=1e-9, atol=1e-9)
    assert len(np.unique(regions.activation_patterns, axis=0)) == len(regions)


@pytest.mark.parametrize("slope", [0.0, 0.2])
def test_compiled_graph_sweep_equals_the_numpy_graph_sweep(slope):
    # the numba kernels (split step, normalisation, next-layer maps along the forest, own maps) against the
    # numpy path inside the graph sweep: the same regions, vertex for vertex and in the same order
    pytest.importorskip("numba")
    torch.manual_seed(3)
    model = PreActivationResidual(12, 3, slope).double().eval()
    domain = {"bounds": (-3, 3, -3, 3)}
    compiled = linear_regions(model, **domain, compiled=True)
    plain = linear_regions(model, **domain, compiled=False)
    assert len(compiled) == len(plain) > 100
    np.testing.assert_array_equal(compiled.region_vertices, plain.region_vertices)
    np.testing.assert_array_equal(compiled.activation_patterns, plain.activation_patterns)
    np.testing.assert_allclose(compiled.vertices, plain.vertices, rtol=0, atol=1e-9)
    for mine, theirs in zip(compiled.affine_maps, plain.affine_maps, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-9, atol=1e-12)


def test_residual_mlp_regions_need_no_threadpoolctl():
    # first call of a process (issue 11 speed): a graph of matrices and reshapes keeps its products in
    # one-thread row blocks, so threadpoolctl (~5 ms to load) is not loaded to limit OpenBLAS's threads
    code = (
        "import sys, torch, tropical\n"
        "class Residual(torch.nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.inp, self.out = torch.nn.Linear(2, 32), torch.nn.Linear(32, 10)\n"
        "        self.blocks = torch.nn.ModuleList(torch.nn.Linear(32, 32) for _ in range(3))\n"
        "    def forward(self, x):\n"
        "        h = torch.relu(self.inp(x))\n"
        "        for block in self.blocks:\n"
        "            h = h + torch.relu(block(h))\n"
        "        return self.out(h)\n"
        "torch.manual_seed(0)\n"
        "regions = tropical.linear_regions(Residual().eval(), bounds=(-10, 10, -10, 10))\n"
        "print(len(regions), 'threadpoolctl' in sys.modules, 'numba' in sys.modules)"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    count, threadpoolctl, numba = output.split()
    assert int(count) > 5000  # its products have ~2.5e7 multiply-adds each
    assert (threadpoolctl, numba) == ("False", "False")


def test_prelu_per_channel_slopes_take_the_graph_sweep_and_equal_the_network():
    torch.manual_seed(5)
    model = nn.Sequential(
        nn.Linear(2, 6), nn.PReLU(6), nn.Linear(6, 5), nn.PReLU(5), nn.Linear(5, 2)
    ).double()
    with torch.no_grad():
        model[1].weight.copy_(torch.tensor([-1.0, 0.0, 0.3, 2.0, 1e-9, 0.5]))
        model[3].weight.copy_(torch.tensor([0.1, -0.5, 0.0, 1.5, 0.2]))
    regions = linear_regions(model, bounds=(-3, 3, -3, 3))
    points, owner = interior_points(regions, 3, 0)
    np.testing.assert_allclose(regions.outputs(points, owner), network(model, points), rtol=1e-9, atol=1e-9)
    assert regions.activation_patterns.shape == (len(regions), 11)
    assert len(np.unique(regions.activation_patterns, axis=0)) == len(regions)


# ------------------------------------------------------------------------------------------ conv nets
def digits_conv_net(seed):
    torch.manual_seed(seed)
    return (
        nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(27, 10))
        .double()
        .eval()
    )


def digit_plane(first):
    return load_digits().images[first : first + 3, None] / 16.0  # (3, 1, 8, 8)


def conv_patterns(model, inputs):
    """The network's own pattern at inputs (n, 1, 8, 8): conv signs, then the max-pool window positions."""
    with torch.no_grad():
        pre = model[0](torch.as_tensor(inputs))
        _, index = nn.functional.max_pool2d(torch.relu(pre), 2, return_indices=True)
    n, _, height, width = index.shape
    row, col = index.numpy() // pre.shape[3], index.numpy() % pre.shape[3]
    out_row = np.arange(height)[None, None, :, None]
    out_col = np.arange(width)[None, None, None, :]
    position = (row - 2 * out_row) * 2 + (col - 2 * out_col)  # window position, row-major
    return np.concatenate([(pre > 0).reshape(n, -1).numpy(), position.reshape(n, -1)], axis=1)


@pytest.mark.parametrize(("seed", "first"), [(0, 0), (1, 10)])
def test_conv_net_on_a_digit_plane_maps_and_patterns_equal_the_network(seed, first):
    model, plane = digits_conv_net(seed), digit_plane(first)
    regions = linear_regions(model, plane=plane)
    # every region's affine map is the network at interior points
    points, owner = interior_points(regions, 3, seed)
    inputs = regions.to_input(points).reshape(-1, 1, 8, 8)
    expected = network(model, inputs)
    np.testing.assert_allclose(regions.outputs(points, owner), expected, rtol=0, atol=1e-9)
    patterns = regions.activation_patterns
    assert patterns.shape == (len(regions), 3 * 36 + 27)
    np.testing.assert_array_equal(patterns[owner], conv_patterns(model, inputs))
    # one region per pattern (a pattern's set is convex): no two regions, adjacent or not, share one
    assert len(np.unique(patterns, axis=0)) == len(regions)
    # a dense grid of the domain: the network's own pattern is the pattern of the region found there
    low, high = regions.domain.min(axis=0), regions.domain.max(axis=0)
    n = 120
    u = low[0] + (np.arange(n) + 0.31) / n * (high[0] - low[0])
    v = low[1] + (np.arange(n) + 0.47) / n * (high[1] - low[1])
    grid = np.stack(np.meshgrid(u, v), -1).reshape(-1, 2)
    found = regions.at(grid)
    grid_patterns = conv_patterns(model, regions.to_input(grid).reshape(-1, 1, 8, 8))
    np.testing.assert_array_equal(patterns[found], grid_patterns)
    # every region larger than a few grid cells (and not a sliver) contains grid points
    cell = (high - low).prod() / n**2
    hit = np.zeros(len(regions), dtype=bool)
    hit[found] = True
    perimeter = np.array(
        [np.linalg.norm(np.diff(p, axis=0, append=p[:1]), axis=1).sum() for p in regions.polygons]
    )
    fat = regions.areas / perimeter > 2 * np.sqrt(cell)  # inradius-like width above two grid steps
    assert hit[fat].all()


def test_conv_net_decisions_and_input_shape():
    model, plane = digits_conv_net(0), digit_plane(20)
    flat = plane.reshape(3, 64)
    with pytest.raises(Exception, match="input_shape"):
        linear_regions(model, plane=flat)
    a = linear_regions(model, plane=torch.as_tensor(plane))
    b = linear_regions(model, plane=flat, input_shape=(1, 8, 8))
    assert len(a) == len(b)
    np.testing.assert_array_equal(a.activation_patterns, b.activation_patterns)
    # decision regions agree with the network's argmax on a grid of the domain
    geometries = decision_regions(model, plane=plane)
    low, high = a.domain.min(axis=0), a.domain.max(axis=0)
    grid = low + (np.stack(np.meshgrid(np.arange(60), np.arange(60)), -1).reshape(-1, 2) + 0.37) / 60 * (
        high - low
    )
    expected = network(model, a.to_input(grid).reshape(-1, 1, 8, 8)).argmax(axis=1)
    import shapely

    points = shapely.points(grid)
    for label, geometry in enumerate(geometries):
        assert np.all(shapely.covers(geometry, points[expected == label]))
    assert sum(g.area for g in geometries) == pytest.approx(a.areas.sum(), rel=1e-9)


def test_graph_sweep_estimates_memory_before_allocating():
    model, plane = digits_conv_net(0), digit_plane(0)
    with pytest.raises(ComputationTooLargeError) as error:
        linear_regions(model, plane=plane, max_memory=1e4)
    assert error.value.limit == 1e4 and error.value.estimate > 1e4
    with pytest.raises(ComputationTooLargeError):
        linear_regions(model, plane=plane, max_regions=50)


# ------------------------------------------------------------------------------------------ random graphs
class RandomConvNet(nn.Module):
    """conv (stride, padding) -> activation -> pooling (max or average, 1-D or 2-D) -> [residual conv] ->
    flatten -> linear."""

    def __init__(self, channels, stride, padding, slope, pool, residual, seed):
        super().__init__()
        torch.manual_seed(seed)
        self.conv = nn.Conv2d(1, channels, 3, stride=stride, padding=padding)
        self.act = nn.LeakyReLU(slope) if slope else nn.ReLU()
        self.pool = {"max": nn.MaxPool2d(2, ceil_mode=True), "avg": nn.AvgPool2d(2, ceil_mode=True)}[pool]
        self.residual = nn.Conv2d(channels, channels, 1) if residual else None
        size = (8 + 2 * padding - 3) // stride + 1
        size = -(-size // 2)
        self.out = nn.Linear(channels * size * size, 3)

    def forward(self, x):
        h = self.pool(self.act(self.conv(x)))
        if self.residual is not None:
            h = h + torch.relu(self.residual(h))
        return self.out(h.flatten(1))


def assert_cell_complex(regions):
    """Every edge is an edge of two regions, except the edges on the domain's boundary (of one): a vertex
    that one region has on an edge and its neighbour has not would leave interior edges of one region."""
    corners, offsets = regions.region_vertices, regions.offsets
    following = np.arange(1, len(corners) + 1)
    following[offsets[1:] - 1] = offsets[:-1]
    tail, head = corners, corners[following]
    keys = np.minimum(tail, head) * len(regions.vertices) + np.maximum(tail, head)
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    assert counts.max() <= 2
    once = counts[inverse.reshape(-1)] == 1
    lengths = np.linalg.norm(regions.vertices[head] - regions.vertices[tail], axis=1)
    perimeter = np.linalg.norm(regions.domain - np.roll(regions.domain, 1, axis=0), axis=1).sum()
    assert lengths[once].sum() == pytest.approx(perimeter, rel=1e-9)


def assert_maps_equal_the_conv_network(model, plane, seed):
    regions = linear_regions(model, plane=plane)
    assert regions.areas.sum() == pytest.approx(float(np.prod(np.ptp(regions.domain, axis=0))), rel=1e-9)
    assert_cell_complex(regions)
    points, owner = interior_points(regions, 2, seed)
    points = np.vstack([points, regions.centroids])
    owner = np.concatenate([owner, np.arange(len(regions))])
    expected = network(model, regions.to_input(points).reshape(-1, 1, 8, 8))
    # a vertex within the tolerance of a line lies on it, and window entries within the tie tolerance
    # (1e-9 of the largest value on the domain) are tied: on regions of area ~1e-12 next to such lines the
    # maps may be off by that much times the gain of the layers after it (seen: 6e-7 relative); a wrong
    # region or argmax anywhere else is off by orders of magnitude more
    atol = 1e-6 * max(1.0, np.abs(expected).max())
    np.testing.assert_allclose(regions.outputs(points, owner), expected, rtol=0, atol=atol)
    assert len(np.unique(regions.activation_patterns, axis=0)) == len(regions)


@pytest.mark.parametrize(
    ("channels", "stride", "padding", "slope", "pool", "residual", "seed", "first"),
    [
        (2, 1, 1, 0.2, "max", True, 3, 40),
        (2, 2, 1, -0.5, "avg", True, 4, 70),
        (1, 1, 0, 1e-9, "max", False, 5, 7),
    ],
)
def test_conv_graphs_affine_maps_equal_the_network(
    channels, stride, padding, slope, pool, residual, seed, first
):
    model = RandomConvNet(channels, stride, padding, slope, pool, residual, seed).double().eval()
    assert_maps_equal_the_conv_network(model, digit_plane(first), seed)


@pytest.mark.slow
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    channels=st.integers(1, 3),
    stride=st.integers(1, 2),
    padding=st.integers(0, 1),
    slope=st.sampled_from([0.0, 1e-9, 0.2, -0.5]),
    pool=st.sampled_from(["max", "avg"]),
    residual=st.booleans(),
    seed=st.integers(0, 10_000),
    first=st.integers(0, 100),
)
def test_random_conv_graphs_affine_maps_equal_the_network(
    channels, stride, padding, slope, pool, residual, seed, first
):
    model = RandomConvNet(channels, stride, padding, slope, pool, residual, seed).double().eval()
    assert_maps_equal_the_conv_network(model, digit_plane(first), seed)


def test_boundary_metrics_and_plots_take_conv_nets_on_image_planes():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    from tropical.metrics.boundary import class_iou, region_agreement, region_statistics
    from tropical.plot import regions as plot_regions

    a, b, plane = digits_conv_net(0), digits_conv_net(1), digit_plane(0)
    agreement = region_agreement(a, b, plane=plane)
    # the agreement is the area fraction where the argmaxes agree: check against a grid
    result = linear_regions(a, plane=plane)
    low, high = result.domain.min(axis=0), result.domain.max(axis=0)
    grid = low + (np.stack(np.meshgrid(np.arange(80), np.arange(80)), -1).reshape(-1, 2) + 0.5) / 80 * (
        high - low
    )
    inputs = result.to_input(grid).reshape(-1, 1, 8, 8)
    same = network(a, inputs).argmax(axis=1) == network(b, inputs).argmax(axis=1)
    assert agreement == pytest.approx(same.mean(), abs=0.03)
    assert class_iou(a, b, plane=plane).shape == (10,)
    assert region_statistics(a, plane=plane).count == len(result)
    drawn = plot_regions(a, plane=plane)
    assert len(drawn["result"]) == len(result) and drawn["boundary"] is not None
    plt.close("all")


class MixedOps(nn.Module):
    """ReLU6, Hardtanh, abs, torch.maximum, MaxPool1d and AvgPool1d on a 2-input net."""

    def __init__(self, seed):
        super().__init__()
        torch.manual_seed(seed)
        self.a, self.b = nn.Linear(2, 6), nn.Linear(2, 6)
        self.pool_max, self.pool_avg = nn.MaxPool1d(3, stride=2, padding=1), nn.AvgPool1d(2)
        self.out = nn.Linear(6, 3)

    def forward(self, x):
        u = nn.functional.relu6(3 * self.a(x)) + nn.functional.hardtanh(self.b(x), -0.5, 0.7)
        v = torch.maximum(self.a(x), torch.abs(self.b(x)))
        pooled = torch.cat([self.pool_max(u[:, None]).flatten(1), self.pool_avg(v[:, None]).flatten(1)], 1)
        return self.out(pooled)


@pytest.mark.parametrize("seed", [0, 1])
def test_mixed_piecewise_linear_ops_maps_and_decisions_equal_the_network(seed):
    model = MixedOps(seed).double().eval()
    bounds = (-3, 3, -3, 3)
    regions = linear_regions(model, bounds=bounds)
    points, owner = interior_points(regions, 3, seed)
    np.testing.assert_allclose(regions.outputs(points, owner), network(model, points), rtol=0, atol=1e-9)
    assert len(np.unique(regions.activation_patterns, axis=0)) == len(regions)
    import shapely

    grid = np.stack(np.meshgrid(np.linspace(-2.99, 2.98, 70), np.linspace(-2.97, 2.99, 70)), -1).reshape(
        -1, 2
    )
    expected = network(model, grid).argmax(axis=1)
    for label, geometry in enumerate(decision_regions(model, bounds=bounds)):
        assert np.all(shapely.covers(geometry, shapely.points(grid[expected == label])))


# ------------------------------------------------------------------------------------------ two conv layers
def two_conv_net(seed, slope):
    """Conv -> activation -> MaxPool -> conv -> activation -> MaxPool -> linear on 8x8 digits (a small
    LeNet): max pooling of per-region values, an affine node after a pooling's split, flattening."""
    torch.manual_seed(seed)
    act = nn.LeakyReLU(slope) if slope else nn.ReLU()
    return (
        nn.Sequential(
            nn.Conv2d(1, 2, 3), act, nn.MaxPool2d(2), nn.Conv2d(2, 3, 2), act, nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(3, 4),
        )
        .double()
        .eval()
    )  # fmt: skip


def sequential_patterns(model, inputs):
    """The network's own pattern at inputs: per activation the signs of its input, per 2x2 max pooling the
    window position (row-major) of torch's max_pool2d index."""
    columns, h = [], torch.as_tensor(inputs)
    with torch.no_grad():
        for layer in model:
            if isinstance(layer, nn.ReLU | nn.LeakyReLU):
                columns.append((h > 0).reshape(len(h), -1).numpy())
            if isinstance(layer, nn.MaxPool2d):
                out, index = nn.functional.max_pool2d(h, 2, return_indices=True)
                row, col = index.numpy() // h.shape[3], index.numpy() % h.shape[3]
                out_row = np.arange(out.shape[2])[None, None, :, None]
                out_col = np.arange(out.shape[3])[None, None, None, :]
                columns.append(((row - 2 * out_row) * 2 + (col - 2 * out_col)).reshape(len(h), -1))
            h = layer(h)
    return np.concatenate(columns, axis=1)


@pytest.mark.parametrize(
    ("seed", "first", "slope", "chunk", "shared"),
    [
        (0, 0, 0.0, None, False),
        (2, 30, 0.0, 4096, False),
        (3, 60, 0.1, 4096, True),
        (4, 90, 0.0, 600, True),
        (5, 120, 0.0, None, True),
    ],
)
def test_two_conv_layers_maps_and_patterns_equal_the_network(monkeypatch, seed, first, slope, chunk, shared):
    """Also with tiny chunks (``chunk`` bytes): an activation's lines then go 8 units at a time and every
    chunked loop has many chunks, whose results must not depend on where the chunks end; ``shared``: the
    second conv layer's maps stay shared by the pieces of each region the first pooling split."""
    import tropical._region_graph

    if chunk is not None:
        monkeypatch.setattr(tropical._region_graph, "_CHUNK_BYTES", chunk)
    if shared:
        monkeypatch.setattr(tropical._region_graph, "_SHARED_ABOVE", 0.0)
    model, plane = two_conv_net(seed, slope), digit_plane(first)
    regions = linear_regions(model, plane=plane)
    assert_cell_complex(regions)
    points, owner = interior_points(regions, 3, seed)
    points = np.vstack([points, regions.centroids])
    owner = np.concatenate([owner, np.arange(len(regions))])
    inputs = regions.to_input(points).reshape(-1, 1, 8, 8)
    np.testing.assert_allclose(regions.outputs(points, owner), network(model, inputs), rtol=0, atol=1e-9)
    patterns = regions.activation_patterns
    assert patterns.shape == (len(regions), 72 + 18 + 12 + 3)
    np.testing.assert_array_equal(patterns[owner], sequential_patterns(model, inputs))
    assert len(np.unique(patterns, axis=0)) == len(regions)
    # a dense grid: the network's own pattern is the pattern of the region found there
    low, high = regions.domain.min(axis=0), regions.domain.max(axis=0)
    n = 100
    grid = np.stack(
        np.meshgrid(low[0] + (np.arange(n) + 0.29) / n * (high[0] - low[0]),
                    low[1] + (np.arange(n) + 0.53) / n * (high[1] - low[1])), -1
    ).reshape(-1, 2)  # fmt: skip
    found = regions.at(grid)
    np.testing.assert_array_equal(
        patterns[found], sequential_patterns(model, regions.to_input(grid).reshape(-1, 1, 8, 8))
    )
