"""The graph sweep depth-first by chunks of regions (``tropical._region_depth``) equals the sweep of every
region at once.

Oracles: the unchunked sweep of the same network (count, sorted activation patterns, adjacency as pairs of
patterns, total area), the network's own forward pass in float64 at interior points (outputs and
patterns), and the cell-complex check (every interior edge shared by exactly two regions).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from conftest import interior_points
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_regions_graph import assert_cell_complex, digit_plane, network, sequential_patterns, two_conv_net
from torch import nn

import tropical._region_depth
from tropical.errors import ComputationTooLargeError
from tropical.graph import Convolution, piecewise_linear_graph
from tropical.regions import linear_regions

regioncam = pytest.importorskip("regioncam")


def pattern_pairs(regions) -> set:
    """The adjacency as pairs of activation patterns (independent of the regions' order)."""
    rows = [row.tobytes() for row in regions.activation_patterns]
    return {frozenset((rows[i], rows[j])) for i, j in regions.adjacency}


def assert_same_regions(chunked, whole, model, seed):
    assert len(chunked) == len(whole)
    p, q = chunked.activation_patterns, whole.activation_patterns
    np.testing.assert_array_equal(p[np.lexsort(p.T[::-1])], q[np.lexsort(q.T[::-1])])
    assert chunked.areas.sum() == pytest.approx(whole.areas.sum(), rel=1e-12)
    assert np.all(chunked.areas > 0)
    assert_cell_complex(chunked)
    assert pattern_pairs(chunked) == pattern_pairs(whole)
    points, owner = interior_points(chunked, 2, seed)
    inputs = chunked.to_input(points).reshape(-1, 1, 8, 8)
    np.testing.assert_allclose(chunked.outputs(points, owner), network(model, inputs), rtol=0, atol=1e-9)
    np.testing.assert_array_equal(p[owner], sequential_patterns(model, inputs))


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 50),
    first=st.integers(0, 100),
    slope=st.sampled_from([0.0, 0.1]),
    size=st.sampled_from([1, 5, 40]),
)
def test_chunks_of_regions_give_the_regions_of_the_whole_sweep(seed, first, slope, size):
    """Chunks of ``size`` regions from the second convolution on (after the first pooling split the
    regions): the same regions, patterns, maps and adjacency, and a cell complex across the chunks."""
    model, plane = two_conv_net(seed, slope), digit_plane(first)
    whole = linear_regions(model, plane=plane)
    previous = tropical._region_depth._CHUNK_REGIONS
    tropical._region_depth._CHUNK_REGIONS = size
    try:
        chunked = linear_regions(model, plane=plane)
    finally:
        tropical._region_depth._CHUNK_REGIONS = previous
    assert_same_regions(chunked, whole, model, seed)


def test_max_memory_sets_the_chunks(monkeypatch):
    """Chunking follows ``max_memory``: with a small share of it for the maps, the sweep goes depth-first
    (its chunks of a few regions) and still gives the regions of the whole sweep."""
    model, plane = two_conv_net(2, 0.0), digit_plane(30)
    whole = linear_regions(model, plane=plane)
    chunks = []
    original = tropical._region_depth._chunks

    def recording(*args):
        chunks.append(original(*args))
        return chunks[-1]

    monkeypatch.setattr(tropical._region_depth, "_chunks", recording)
    monkeypatch.setattr(tropical._region_depth, "_DEPTH_FIRST_SHARE", 1e-6)  # 4 kB of the default 4 GB
    chunked = linear_regions(model, plane=plane)
    # 3 regions a chunk for the 12 values of the second convolution (whole groups of a pooling's pieces)
    assert len(chunks) == 1 and len(chunks[0]) > 10
    assert_same_regions(chunked, whole, model, 0)
    # the default share: this small net is swept whole
    monkeypatch.setattr(tropical._region_depth, "_DEPTH_FIRST_SHARE", 0.125)
    chunks.clear()
    linear_regions(model, plane=plane)
    assert chunks == []


def test_chunked_sweep_still_refuses_too_many_regions(monkeypatch):
    model, plane = two_conv_net(3, 0.1), digit_plane(60)
    whole = len(linear_regions(model, plane=plane))
    monkeypatch.setattr(tropical._region_depth, "_CHUNK_REGIONS", 10)
    with pytest.raises(ComputationTooLargeError) as error:
        linear_regions(model, plane=plane, max_regions=whole // 2)
    assert error.value.limit == whole // 2 and error.value.estimate > whole // 2


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 100), slope=st.sampled_from([0.0, 0.1]))
def test_an_mlp_too_wide_for_the_layer_sweep_goes_depth_first(seed, slope):
    """An MLP whose next layer's maps on every region would take much of ``max_memory`` leaves the layer
    sweep for the graph sweep by chunks: the regions of the layer sweep, and regioncam's count."""
    torch.manual_seed(seed)
    layers = [nn.Linear(2, 12), nn.ReLU(), nn.Linear(12, 12), nn.LeakyReLU(slope), nn.Linear(12, 12)]
    net = nn.Sequential(*layers, nn.ReLU(), nn.Linear(12, 3)).double().eval()
    bounds = (-4.0, 4.0, -4.0, 4.0)
    whole = linear_regions(net, bounds=bounds)
    sweeps = []
    original = tropical._region_depth.depth_first
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tropical._region_depth, "_DEPTH_FIRST_SHARE", 1e-7)  # 400 bytes of 4 GB
        patch.setattr(
            tropical._region_depth, "depth_first", lambda *args: sweeps.append(args[1:]) or original(*args)
        )
        chunked = linear_regions(net, bounds=bounds)
    assert len(sweeps) == 1 and sweeps[0][1] <= 2  # from the second layer, a region or two at a time
    assert len(chunked) == len(whole)
    p, q = chunked.activation_patterns, whole.activation_patterns
    np.testing.assert_array_equal(p[np.lexsort(p.T[::-1])], q[np.lexsort(q.T[::-1])])
    assert_cell_complex(chunked)
    assert pattern_pairs(chunked) == pattern_pairs(whole)
    with torch.no_grad():
        expected = net(torch.as_tensor(chunked.interior_points)).numpy()
    np.testing.assert_allclose(chunked.outputs(chunked.interior_points), expected, rtol=0, atol=1e-9)
    if slope == 0.0:
        camera = regioncam.Regioncam(size=4.0)
        camera.add(net.float())
        assert camera.num_faces == len(chunked)


def test_activation_patterns_refuse_an_array_beyond_max_memory():
    """The dense patterns of a whole digit plane's LeNet-5 would be 21 GB: the read-out estimates first."""
    model, plane = two_conv_net(0, 0.0), digit_plane(0)
    regions = linear_regions(model, plane=plane, max_memory=1e9)
    assert regions.max_memory == 1e9
    needed = 2 * len(regions) * (72 + 18 + 12 + 3) * 8  # int64 patterns and their blocks
    regions.max_memory = needed - 1
    with pytest.raises(ComputationTooLargeError, match="activation patterns") as error:
        _ = regions.activation_patterns
    assert error.value.estimate == needed and error.value.limit == needed - 1
    regions.max_memory = needed
    points, owner = interior_points(regions, 1, 0)
    inputs = regions.to_input(points).reshape(-1, 1, 8, 8)
    np.testing.assert_array_equal(regions.activation_patterns[owner], sequential_patterns(model, inputs))


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    stride=st.sampled_from([1, 2]),
    dilation=st.sampled_from([1, 2]),
    groups=st.sampled_from([1, 2]),
    padding=st.sampled_from([0, 1, "reflect"]),
    bias=st.booleans(),
    ties=st.sampled_from([0.0, 1e-13, 1e-8, 1e-7, 1e-6]),
)
def test_the_convolution_bound_over_every_region_is_that_of_its_maps(
    seed, stride, dilation, groups, padding, bias, ties
):
    """The bound a max node's tie tolerance needs (the largest ``|a| + |b| + |c|`` of a convolution's maps
    over every region), found in single precision and refined in double, equals the bound of the
    convolution's maps computed in float64 on every region, also when many regions' bounds lie within
    rounding of the largest (rows repeated with perturbations of ``ties``)."""
    rng = np.random.default_rng(seed)
    conv = nn.Conv2d(2, 4, 3, stride=stride, dilation=dilation, groups=groups, bias=bias,
                     padding=1 if padding == "reflect" else padding,
                     padding_mode="reflect" if padding == "reflect" else "zeros").double()  # fmt: skip
    graph = piecewise_linear_graph(conv, input_shape=(2, 7, 7))
    node = graph.nodes[graph.output]
    op = node.ops[0]
    scales = rng.lognormal(size=(300, 1, 1))
    maps = rng.normal(size=(300, 3, op.n_in)) * scales
    largest = np.argmax(scales[:200, 0, 0])  # copies of the widest rows, within ``ties``
    maps[200:] = maps[np.full(100, largest)] * (1 + ties * rng.normal(size=(100, 1, 1)))
    sweep = SimpleNamespace(values={node.inputs[0]: maps})
    with torch.no_grad():  # the convolution in float64 by torch
        weight, options = torch.from_numpy(op.weight), dict(op.options)
        inputs = torch.from_numpy(maps.reshape(-1, *op.in_shape))
        out = torch.nn.functional.conv2d(inputs, weight, **options).numpy().reshape(300, 3, -1)
    if node.bias is not None:  # on the constant column only
        out[:, 2] += np.asarray(node.bias).reshape(-1)
    expected = np.abs(out).sum(axis=1).max()
    assert isinstance(op, Convolution)
    assert tropical._region_depth._start_bound(sweep, node) == pytest.approx(expected, rel=1e-13)


def test_the_convolution_bound_beyond_single_precision_is_found_in_double():
    """Maps beyond single precision's range (1e200): the bound is the double one, not the overflow's."""
    conv = nn.Conv2d(2, 3, 3).double()
    graph = piecewise_linear_graph(conv, input_shape=(2, 5, 5))
    node = graph.nodes[graph.output]
    maps = np.random.default_rng(0).normal(size=(40, 3, 50)) * 1e200
    with torch.no_grad():
        out = conv(torch.from_numpy(maps.reshape(-1, 2, 5, 5))).numpy().reshape(40, 3, -1)
    out[:, :2] -= np.repeat(conv.bias.detach().numpy(), 9)  # the bias on the constant column only
    expected = np.abs(out).sum(axis=1).max()
    sweep = SimpleNamespace(values={node.inputs[0]: maps})
    assert tropical._region_depth._start_bound(sweep, node) == pytest.approx(expected, rel=1e-13)
