"""piecewise_linear_graph: the graph computes what the model computes; refusals name every problem.

The oracle is always the model's own forward pass in float64.
"""

import itertools
import re

import numpy as np
import pytest
import torch
from conftest import forward, randomise
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.nn import functional

from tropical import ComputationTooLargeError, UnsupportedLayerError
from tropical.graph import Graph, LinearOp, piecewise_linear_graph


def assert_graph_equals_model(model, input_shape, seed, n=6):
    graph = piecewise_linear_graph(model, input_shape=input_shape)
    X = np.random.default_rng(seed).normal(size=(n, *graph.input_shape)) * 3
    expected = forward(model, X)
    got = graph(X)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9 * (1 + np.abs(expected).max()))
    return graph


def assert_splits(graph: Graph):
    """Every op: matrix == apply, split parts are entrywise >= 0 and their difference is the op."""
    for node in graph.nodes:
        for op in node.ops:
            assert isinstance(op, LinearOp)
            if op.n_in * op.n_out > 200_000:
                continue
            matrix = op.matrix()
            x = np.random.default_rng(0).normal(size=(2, *op.in_shape))
            np.testing.assert_allclose(op.apply(x).reshape(2, -1), x.reshape(2, -1) @ matrix.T, atol=1e-10)
            positive, negative = (part.matrix() for part in op.split())
            assert positive.min(initial=0) >= 0 and negative.min(initial=0) >= 0
            np.testing.assert_allclose(positive - negative, matrix, atol=1e-12)


def activation_module(kind, slope, channels):
    if kind == "relu":
        return nn.ReLU()
    if kind == "leaky":
        return nn.LeakyReLU(slope)
    if kind == "prelu":
        return nn.PReLU(channels)
    if kind == "hardtanh":
        return nn.Hardtanh(-abs(slope) - 0.1, abs(slope) + 0.2)
    if kind == "relu6":
        return nn.ReLU6()
    return nn.Threshold(slope, slope)


activations = st.sampled_from(["relu", "leaky", "prelu", "hardtanh", "relu6", "threshold"])
slopes = st.sampled_from([0.0, 0.01, 0.5, -1.0, -0.3, 1.0, 2.5])


@settings(max_examples=40, deadline=None)
@given(
    dims=st.sampled_from([1, 2]),
    groups=st.sampled_from([1, 2]),
    per_group=st.integers(1, 2),
    kernel=st.integers(1, 3),
    stride=st.integers(1, 2),
    padding=st.sampled_from([0, 1, "same"]),
    dilation=st.integers(1, 2),
    padding_mode=st.sampled_from(["zeros", "reflect", "circular"]),
    bias=st.booleans(),
    activation=activations,
    slope=slopes,
    pool=st.sampled_from(["max", "avg", "adaptive_avg", "adaptive_max", "none"]),
    pool_kernel=st.integers(1, 3),
    ceil_mode=st.booleans(),
    batch_norm=st.booleans(),
    size=st.integers(5, 8),
    seed=st.integers(0, 10_000),
    zero_fraction=st.sampled_from([0.0, 0.4]),
)
def test_conv_nets_equal_the_model(
    dims, groups, per_group, kernel, stride, padding, dilation, padding_mode, bias, activation, slope,
    pool, pool_kernel, ceil_mode, batch_norm, size, seed, zero_fraction,
):  # fmt: skip
    """Conv (stride, padding incl. 'same' and padding modes, dilation, groups), BatchNorm, every PL
    activation, max/avg/adaptive pooling (ceil mode, padding), Flatten, Linear."""
    if padding == "same":
        stride = 1
    channels = groups * per_group
    conv = (nn.Conv1d, nn.Conv2d)[dims - 1](
        groups, channels, kernel, stride=stride, padding=padding, dilation=dilation, groups=groups,
        bias=bias, padding_mode=padding_mode,
    )  # fmt: skip
    modules = [conv]
    if batch_norm:
        modules.append((nn.BatchNorm1d, nn.BatchNorm2d)[dims - 1](channels))
    modules.append(activation_module(activation, slope, channels))
    pooling = {
        "max": (nn.MaxPool1d, nn.MaxPool2d)[dims - 1](
            pool_kernel, stride=max(1, pool_kernel - 1), padding=pool_kernel // 2, ceil_mode=ceil_mode
        ),
        "avg": (nn.AvgPool1d, nn.AvgPool2d)[dims - 1](
            pool_kernel, padding=pool_kernel // 2, ceil_mode=ceil_mode, count_include_pad=ceil_mode
        ),
        "adaptive_avg": (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d)[dims - 1](3),
        "adaptive_max": (nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d)[dims - 1](3),
        "none": nn.Identity(),
    }[pool]
    modules += [pooling, nn.Flatten()]
    input_shape = (groups, size) if dims == 1 else (groups, size, size - 1)
    with torch.no_grad():
        flat = nn.Sequential(*modules).double().eval()(torch.zeros(1, *input_shape, dtype=torch.float64))
    model = randomise(nn.Sequential(*modules, nn.Linear(flat.shape[1], 3)), seed, zero_fraction)
    graph = assert_graph_equals_model(model, input_shape, seed)
    assert_splits(graph)


class ResidualMLP(nn.Module):
    """Blocks ``h = h + act(W h)`` or ``h = cat(h, act(W h)) @ V`` with random wiring."""

    def __init__(self, d, width, wiring, activation, slope):
        super().__init__()
        self.first = nn.Linear(d, width)
        self.blocks = nn.ModuleList(nn.Linear(width, width) for _ in wiring)
        self.mixers = nn.ModuleList(nn.Linear(2 * width, width) for _ in wiring)
        self.acts = nn.ModuleList(activation_module(activation, slope, width) for _ in wiring)
        self.wiring = wiring
        self.last = nn.Linear(width, 2)

    def forward(self, x):
        h = self.first(x)
        for block, mixer, act, kind in zip(self.blocks, self.mixers, self.acts, self.wiring, strict=True):
            if kind == "add":
                h = h + act(block(h))
            elif kind == "sub":
                h = act(block(h)) - 0.5 * h
            else:
                h = mixer(torch.cat([h, act(block(h))], dim=1))
        return self.last(h)


@settings(max_examples=30, deadline=None)
@given(
    d=st.integers(1, 4),
    width=st.integers(1, 5),
    wiring=st.lists(st.sampled_from(["add", "sub", "cat"]), min_size=1, max_size=3),
    activation=activations,
    slope=slopes,
    seed=st.integers(0, 10_000),
    zero_fraction=st.sampled_from([0.0, 0.5]),
)
def test_residual_mlps_equal_the_model(d, width, wiring, activation, slope, seed, zero_fraction):
    model = randomise(ResidualMLP(d, width, wiring, activation, slope), seed, zero_fraction)
    graph = assert_graph_equals_model(model, None, seed)
    assert graph.input_shape == (d,)
    assert_splits(graph)


class Functional(nn.Module):
    """Functional forms: max/min over dims, maximum/minimum, clamp, abs, permute, view, mean, slicing."""

    def __init__(self, variant):
        super().__init__()
        self.variant = variant
        self.conv = nn.Conv1d(2, 3, 2)
        self.fc = nn.Linear(3, 3)

    def forward(self, x):
        h = self.conv(x)  # (3, L - 1)
        v = self.variant
        if v == 0:
            h = torch.max(h, dim=2).values
        elif v == 1:
            h = torch.amin(h, dim=(1, 2), keepdim=True).flatten(1).expand(-1, 3)
        elif v == 2:
            h = torch.maximum(h[:, :, 0], functional.relu(h[:, :, 1])) - torch.minimum(
                h[:, :, 0], h[:, :, -1]
            )
        elif v == 3:
            h = torch.clamp(h.permute(0, 2, 1), min=-0.2, max=0.3).mean(dim=1)
        elif v == 4:
            h = h.abs().sum(2) - 2 * functional.leaky_relu(h[..., 0], -2.0) + torch.clamp(h[..., 1], max=0.1)
        elif v == 5:
            h = functional.max_pool1d(h, 2, 1, ceil_mode=True).view(x.size(0), -1)[:, :3] / 4
        elif v == 6:
            h = torch.max(h, torch.zeros_like(h) + 0.5).reshape(x.shape[0], 3, -1)[:, :, 0]
        else:
            h = functional.hardtanh(h.transpose(1, 2).flip(1), -0.1, 0.2).max(1)[0]
        return self.fc(h)


@settings(max_examples=30, deadline=None)
@given(variant=st.integers(0, 7), length=st.integers(3, 6), seed=st.integers(0, 10_000))
def test_functional_forms_equal_the_model(variant, length, seed):
    model = randomise(Functional(variant), seed)
    graph = assert_graph_equals_model(model, (2, length), seed)
    assert_splits(graph)


def test_kinds_and_chain_of_an_mlp():
    model = randomise(nn.Sequential(nn.Linear(3, 4), nn.LeakyReLU(0.2), nn.Linear(4, 2)), 0)
    graph = piecewise_linear_graph(model)
    assert [node.kind for node in graph.nodes] == ["input", "affine", "activation", "affine"]
    assert graph.is_chain and graph.n_in == 3 and graph.output_shape == (2,)
    first, second = graph.chain()
    np.testing.assert_array_equal(first.weight, model[0].weight.detach().numpy())
    np.testing.assert_array_equal(second.bias, model[2].bias.detach().numpy())
    assert first.slope == 0.2 and second.slope is None


def test_chain_composes_consecutive_linear_layers():
    # consecutive dense layers are multiplied out; the composed chain equals the model's forward pass
    model = randomise(
        nn.Sequential(nn.Linear(3, 5), nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 4), nn.Linear(4, 2)), 4
    )
    layers = piecewise_linear_graph(model).chain()
    assert [layer.weight.shape for layer in layers] == [(4, 3), (2, 4)]
    X = np.random.default_rng(1).normal(size=(7, 3))
    hidden = np.maximum(X @ layers[0].weight.T + layers[0].bias, 0)
    np.testing.assert_allclose(hidden @ layers[1].weight.T + layers[1].bias, forward(model, X), atol=1e-6)


def test_chain_composes_conv_and_refuses_large_dense_weights():
    model = randomise(nn.Sequential(nn.Conv1d(1, 2, 2), nn.ReLU(), nn.Flatten(), nn.Linear(6, 2)), 1)
    graph = piecewise_linear_graph(model, input_shape=(1, 4))
    layers = graph.chain()
    X = np.random.default_rng(0).normal(size=(5, 4))
    hidden = np.maximum(X @ layers[0].weight.T + layers[0].bias, 0)
    np.testing.assert_allclose(hidden @ layers[1].weight.T + layers[1].bias, forward(model, X[:, None]))
    with pytest.raises(ComputationTooLargeError) as info:
        graph.chain(max_entries=10)
    assert info.value.estimate > 10


def test_non_chain_names_the_node():
    model = randomise(nn.Sequential(nn.Conv1d(1, 2, 2), nn.MaxPool1d(2), nn.Flatten(), nn.Linear(4, 2)), 2)
    graph = piecewise_linear_graph(model, input_shape=(1, 5))
    assert not graph.is_chain
    with pytest.raises(UnsupportedLayerError, match="'1'"):
        graph.chain()


def test_inputs_flat_or_shaped():
    model = randomise(nn.Sequential(nn.Conv1d(1, 2, 2), nn.ReLU(), nn.Flatten(), nn.Linear(6, 2)), 3)
    graph = piecewise_linear_graph(model, input_shape=(1, 4))
    X = np.random.default_rng(1).normal(size=(3, 4))
    np.testing.assert_array_equal(graph(X), graph(X.reshape(3, 1, 4)))
    with pytest.raises(ValueError, match=r"\(n, 1, 4\) or \(n, 4\)"):
        graph(np.zeros((3, 5)))


# -------------------------------------------------------------------------- read as the model computes
class Double(nn.Linear):
    def forward(self, x):
        return 2 * super().forward(x)


class ResidualSequential(nn.Sequential):
    def forward(self, x):
        return x + super().forward(x)


class Wrapper(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2))

    def forward(self, x):
        return self.body(x)


@pytest.mark.parametrize(
    "model",
    [
        nn.Sequential(Double(2, 3), nn.ReLU(), nn.Linear(3, 1)),
        ResidualSequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2)),
        Wrapper(),
    ],
    ids=["linear subclass with own forward", "sequential subclass with residual forward", "custom wrapper"],
)
def test_subclasses_are_traced_through_their_forward(model):
    assert_graph_equals_model(randomise(model, 4), None, 4)


def test_shared_module_instance_is_read_twice():
    """Regression (repros/shared_module_instance.py): a ReLU instance used twice is applied twice."""
    relu = nn.ReLU()
    model = randomise(nn.Sequential(nn.Linear(2, 4), relu, nn.Linear(4, 4), relu, nn.Linear(4, 2)), 0)
    graph = assert_graph_equals_model(model, None, 0, n=200)
    assert [node.kind for node in graph.nodes].count("activation") == 2


def test_pruned_and_weight_normed_modules_are_read_as_they_compute():
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 1))
    model = randomise(model, 5)
    torch.nn.utils.prune.l1_unstructured(model[0], "weight", 0.5)
    with torch.no_grad():
        model[0].weight_orig.mul_(3.0)  # the stored `weight` is stale until the next forward
    model[2] = torch.nn.utils.parametrizations.weight_norm(model[2])
    assert_graph_equals_model(model, None, 5)


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_old_style_weight_norm_and_spectral_norm_are_seen_through():
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 1))
    model = randomise(model, 8)
    model[0] = torch.nn.utils.weight_norm(model[0])
    with torch.no_grad():
        model[0].weight_g.mul_(3.0)  # the stored `weight` is stale until the next forward
    model[2] = torch.nn.utils.spectral_norm(model[2])
    assert_graph_equals_model(model.eval(), None, 8)


def test_final_softmax_is_dropped():
    body = randomise(nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 3)), 6)
    for last in (nn.Softmax(dim=1), nn.LogSoftmax(dim=-1)):
        graph = piecewise_linear_graph(nn.Sequential(body, last))
        X = np.random.default_rng(0).normal(size=(20, 2))
        np.testing.assert_allclose(graph(X), forward(body, X), rtol=1e-12)


def test_float32_models_are_read():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8, 2))
    graph = piecewise_linear_graph(model.eval(), input_shape=(1, 6, 7))
    X = np.random.default_rng(0).normal(size=(4, 1, 6, 7))
    with torch.no_grad():
        expected = model(torch.as_tensor(X, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(graph(X), expected, rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------------------------------- refusals
class Smooth(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.act, self.fc2 = nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 3)

    def forward(self, x):
        return self.fc2(functional.gelu(self.fc2(self.act(self.fc1(x)))))


def test_every_unsupported_op_is_listed_in_one_message():
    with pytest.raises(UnsupportedLayerError) as info:
        piecewise_linear_graph(Smooth())
    message = str(info.value)
    assert "Tanh at position act" in message and "gelu ('gelu')" in message and "2 operation(s)" in message


def test_train_mode_is_refused_with_the_fix():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.ReLU(), nn.Dropout(0.5), nn.Linear(3, 1))
    with pytest.raises(UnsupportedLayerError) as info:
        piecewise_linear_graph(model.train())
    message = str(info.value)
    assert "BatchNorm1d at position 1" in message and "Dropout at position 3" in message
    assert "model.eval()" in message
    piecewise_linear_graph(model.eval())


def test_hooks_are_refused_by_name():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    handle = model[2].register_forward_pre_hook(lambda module, inputs: None)
    with pytest.raises(UnsupportedLayerError, match=r"pre-hook .* on Linear at position 2"):
        piecewise_linear_graph(model)
    handle.remove()
    handle = model.register_forward_hook(lambda module, inputs, output: output * 2)
    with pytest.raises(UnsupportedLayerError, match=r"forward hook .* the model itself"):
        piecewise_linear_graph(model)
    handle.remove()
    piecewise_linear_graph(model)


class Branching(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)

    def forward(self, x):
        return self.fc(x) if x.sum() > 0 else x


@pytest.mark.parametrize(
    ("model", "input_shape", "error", "match"),
    [
        (Branching(), None, UnsupportedLayerError, "control flow"),
        (
            nn.Sequential(nn.Linear(2, 3), nn.Softmax(dim=1), nn.Linear(3, 2)),
            None,
            UnsupportedLayerError,
            "only a final Softmax",
        ),
        (
            nn.Sequential(nn.Linear(2, 2), nn.Threshold(0.1, 20.0)),
            None,
            UnsupportedLayerError,
            "not continuous",
        ),
        (nn.Sequential(nn.Linear(2, 0)), None, ValueError, "empty"),
        (nn.Sequential(nn.Linear(0, 2)), None, ValueError, "in_features=0"),
        (nn.Sequential(nn.Conv2d(1, 2, 3)), None, ValueError, "input_shape is needed"),
        (nn.Sequential(nn.Linear(2, 2)), (3,), ValueError, "Check input_shape"),
        (nn.Sequential(nn.Linear(2, 2)), (0,), ValueError, "positive ints"),
        (nn.Sequential(nn.Linear(2, 2)), "2", ValueError, "positive ints"),
        (nn.Sequential(nn.Linear(2, 2)).to("meta"), None, ValueError, "meta"),
    ],
)
def test_bad_models_get_clear_errors(model, input_shape, error, match):
    with pytest.raises(error, match=match):
        piecewise_linear_graph(model, input_shape=input_shape)


def test_bad_weights_are_named():
    linear = nn.Linear(2, 3)
    with torch.no_grad():
        linear.weight[0, 0] = float("nan")
    with pytest.raises(ValueError, match="weight has 1 NaN"):
        piecewise_linear_graph(nn.Sequential(nn.ReLU(), linear), input_shape=(2,))
    norm = nn.BatchNorm1d(3, eps=0.0)
    with torch.no_grad():
        norm.running_var.zero_()
    with pytest.raises(ValueError, match="BatchNorm1d at position 1 divides by zero"):
        piecewise_linear_graph(nn.Sequential(nn.Linear(2, 3), norm).eval())


def test_a_zero_variance_batch_norm_with_eps_is_fine():
    norm = nn.BatchNorm1d(3)
    with torch.no_grad():
        norm.running_var.zero_()
    assert_graph_equals_model(nn.Sequential(nn.Linear(2, 3), norm).double().eval(), None, 0)


class BasicBlock(nn.Module):
    """torchvision's ResNet block: in-place ReLU, ``+=``, a strided 1x1 downsampling branch."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1, self.relu = nn.BatchNorm2d(cout), nn.ReLU(inplace=True)
        self.conv2, self.bn2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout)
        self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        identity = self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += identity
        return self.relu(out)


def test_a_small_resnet():
    stem = [nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)]
    head = [nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(4, 3)]
    model = randomise(nn.Sequential(*stem, BasicBlock(3, 4, 2), *head), 7)
    graph = assert_graph_equals_model(model, (2, 8, 8), 7)
    assert [node.kind for node in graph.nodes].count("max") == 1


class Aliasing(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc, self.relu = nn.Linear(3, 3), nn.ReLU(inplace=True)

    def forward(self, x):
        h = self.fc(x)
        return self.relu(h) + h  # h itself has been changed by then


def test_an_in_place_change_of_a_value_used_later_is_named():
    with pytest.raises(UnsupportedLayerError, match="ReLU at position relu changes in place"):
        piecewise_linear_graph(Aliasing())


class Lambda(nn.Module):
    """A model from a function of (self, x), with a few layers to call."""

    def __init__(self, function):
        super().__init__()
        self.function = function
        self.conv2 = nn.Conv2d(2, 4, 3, padding=1)
        self.linear = nn.Linear(4, 3)
        self.register_buffer("mean", torch.randn(2))
        self.register_buffer("var", torch.rand(2) + 0.5)
        self.scale = nn.Parameter(torch.randn(4, 4))

    def forward(self, x):
        return self.function(self, x)


def functional_conv_bn_dropout(self, x):
    h = functional.conv2d(x, self.conv2.weight, stride=2)
    h = functional.batch_norm(h, self.conv2.bias, self.conv2.bias.abs() + 1, training=False)
    return functional.dropout(h, p=0.5, training=False).flatten(1)


def functional_linear_matmul(self, x):
    h = (self.scale @ x.flatten(1).unflatten(1, (4, 2))).flatten(1)[:, :4] @ self.scale
    return functional.linear(h, self.linear.weight, self.linear.bias)


def stack_chunk_split_roll(self, x):
    halves = torch.chunk(x, 2, dim=1)
    h = torch.stack([halves[0], halves[1], torch.roll(x, 1, dims=1)[:, :2].flip(1)], dim=2)
    return h.split(1, dim=1)[1].flatten(1).repeat(1, 2)


def pad_value_mean_sum(self, x):
    h = functional.pad(x, (1, 2), value=-0.3).mean(dim=2, keepdim=True) - x.sum(2, keepdim=True) / 3
    return h + functional.pad(x, (0, 1), mode="circular")[:, :, -1:]


def clamp_tensor_bounds_min(self, x):
    h = torch.clamp(x, min=self.mean[:1] - 1, max=self.var[:1] + 1)
    return torch.min(h, dim=1).values + torch.minimum(x, -x).amin(1)


def batch_norm_per_channel(self, x):
    return functional.batch_norm(x, self.mean, self.var, training=False, eps=1e-3).flatten(1)


OPERATIONS = {
    "conv_transpose1d": (
        nn.Sequential(
            nn.ConvTranspose1d(2, 3, 3, stride=2, padding=1, output_padding=1), nn.ReLU(), nn.Flatten()
        ),
        (2, 4),
    ),
    "conv_transpose2d": (
        nn.Sequential(nn.ConvTranspose2d(2, 2, 2, stride=2, groups=2), nn.Flatten()),
        (2, 3, 3),
    ),
    "conv3d_avgpool3d": (
        nn.Sequential(nn.Conv3d(1, 2, 2, padding=1), nn.AvgPool3d(2), nn.Flatten()),
        (1, 3, 3, 3),
    ),
    "upsample": (
        nn.Sequential(
            nn.Upsample(scale_factor=2), nn.Upsample(scale_factor=1.5, mode="bilinear"), nn.Flatten()
        ),
        (2, 3, 3),
    ),
    "pads": (
        nn.Sequential(
            nn.ZeroPad2d((1, 0, 2, 1)),
            nn.ReflectionPad2d(1),
            nn.ConstantPad2d(1, 0.7),
            nn.ReplicationPad2d((0, 1, 0, 0)),
            nn.Flatten(),
        ),
        (2, 3, 3),
    ),
    "pixel_shuffle_unflatten": (
        nn.Sequential(nn.Flatten(), nn.Unflatten(1, (4, 2, 2)), nn.PixelShuffle(2), nn.Flatten()),
        (16,),
    ),
    "adaptive_avg_pool1d": (nn.Sequential(nn.AdaptiveAvgPool1d(3), nn.Flatten(), nn.Linear(6, 2)), (2, 7)),
    "functional_conv_bn_dropout": (Lambda(functional_conv_bn_dropout), (2, 5, 5)),
    "functional_linear_matmul": (Lambda(functional_linear_matmul), (8,)),
    "stack_chunk_split_roll": (Lambda(stack_chunk_split_roll), (4,)),
    "pad_value_mean_sum": (Lambda(pad_value_mean_sum), (3, 4)),
    "clamp_tensor_bounds_min": (Lambda(clamp_tensor_bounds_min), (3, 2)),
    "batch_norm_per_channel": (Lambda(batch_norm_per_channel), (2, 3)),
}


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_more_operations_equal_the_model(name):
    model, input_shape = OPERATIONS[name]
    graph = assert_graph_equals_model(randomise(model, 11), input_shape, 11)
    assert_splits(graph)


class TwoInputs(nn.Module):
    def forward(self, x, y):
        return x + y


class ReturnsDict(nn.Module):
    def forward(self, x):
        return {"logits": x}


class Constant(nn.Module):
    def forward(self, x):
        return torch.ones(3)


@pytest.mark.parametrize(
    ("model", "error", "match"),
    [
        (
            nn.Sequential(nn.LazyLinear(3), nn.ReLU()),
            ValueError,
            "LazyLinear at position 0 has no weights yet",
        ),
        (TwoInputs(), UnsupportedLayerError, "second input"),
        (ReturnsDict(), UnsupportedLayerError, "returns a dict"),
        (Constant(), ValueError, "does not depend on its input"),
    ],
)
def test_models_of_other_shapes_get_clear_errors(model, error, match):
    with pytest.raises(error, match=match):
        piecewise_linear_graph(model, input_shape=(3,))


def test_reading_leaves_the_model_and_the_random_state_alone():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.Dropout(0.5), nn.Linear(3, 1)).train()
    before = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    state = torch.random.get_rng_state()
    with pytest.raises(UnsupportedLayerError):
        piecewise_linear_graph(model)
    assert torch.equal(torch.random.get_rng_state(), state)
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, before[name]), name


class WithConstant(nn.Module):
    def forward(self, x):
        return x + torch.tensor([1.0, 2.0], dtype=torch.float64)


def test_tensor_constants_are_read_and_not_left_on_the_model():
    model = WithConstant()
    graph = piecewise_linear_graph(model, input_shape=(2,))
    np.testing.assert_array_equal(graph(np.zeros((1, 2))), [[1.0, 2.0]])
    assert not [name for name in vars(model) if name.startswith("_tensor_constant")]


class _Traced(nn.Module):
    """Wraps a Sequential so that the reader cannot take its plain-MLP shortcut and traces it with fx."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x)


def test_a_misreading_is_caught_by_the_final_check(monkeypatch):
    """The safety net: a lowering rule that is wrong (here, every ReLU read as LeakyReLU(0.5)) is refused."""
    import tropical._graph_lowering as lowering

    correct = lowering.Lowering.activation

    def wrong(self, node, x, slope, name=None):
        return correct(self, node, x, 0.5, name)

    monkeypatch.setattr(lowering.Lowering, "activation", wrong)
    model = randomise(nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2)), 9)
    with pytest.raises(UnsupportedLayerError, match="read this model as a different function"):
        piecewise_linear_graph(_Traced(model))


@settings(max_examples=25, deadline=None)
@given(
    widths=st.lists(st.integers(1, 6), min_size=2, max_size=5),
    activation=st.sampled_from(["relu", "leaky", "none"]),
    bias=st.booleans(),
    dropout=st.booleans(),
    seed=st.integers(0, 10_000),
)
def test_plain_mlps_read_without_tracing_give_the_traced_graph(widths, activation, bias, dropout, seed):
    layers = []
    for k, (n_in, n_out) in enumerate(itertools.pairwise(widths)):
        layers.append(nn.Linear(n_in, n_out, bias=bias))
        if k < len(widths) - 2:
            layers += {"relu": [nn.ReLU()], "leaky": [nn.LeakyReLU(0.3)], "none": []}[activation]
            layers += [nn.Dropout(0.5)] if dropout else [nn.Identity()]
    model = randomise(nn.Sequential(*layers), seed, zero_fraction=0.2)
    shortcut = assert_graph_equals_model(model, None, seed)
    traced = piecewise_linear_graph(_Traced(model))
    assert [n.kind for n in shortcut.nodes] == [n.kind for n in traced.nodes]
    assert [n.inputs for n in shortcut.nodes] == [n.inputs for n in traced.nodes]
    assert shortcut.output == traced.output
    for a, b in zip(shortcut.nodes, traced.nodes, strict=True):
        assert a.shape == b.shape and np.all(a.slope == b.slope)
        if a.kind == "affine":
            np.testing.assert_array_equal(a.ops[0].matrix(), b.ops[0].matrix())
            np.testing.assert_array_equal(a.bias, b.bias)


def test_plain_mlps_that_need_a_message_go_through_the_reader():
    with pytest.raises(UnsupportedLayerError, match="eval"):
        piecewise_linear_graph(nn.Sequential(nn.Linear(2, 3), nn.Dropout(0.5)).train())
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2))
    with torch.no_grad():
        model[2].weight[0, 1] = float("nan")
    with pytest.raises(ValueError, match="1 NaN or infinite"):
        piecewise_linear_graph(model)


def test_reading_leaves_torch_threads_as_they_were():
    # the probe runs with one torch thread (tiny batches); the caller's setting is restored
    class Skip(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(2, 3), nn.Linear(3, 3)

        def forward(self, x):
            h = torch.relu(self.a(x))
            return h + torch.relu(self.b(h))

    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        model = randomise(Skip(), 5)
        graph = piecewise_linear_graph(model)
        assert torch.get_num_threads() == 2
        X = np.random.default_rng(2).normal(size=(4, 2))
        np.testing.assert_allclose(graph(X), forward(model, X), atol=1e-6)
    finally:
        torch.set_num_threads(previous)


def test_torch_functions_recorded_without_the_table_are_no_tensor_methods():
    """The reader's proxies record a function of ``torch`` / ``torch.nn.functional`` without building
    torch's table of overridable functions; the oracle is that table (``torch.overrides``)."""
    from tropical._graph_reader import _plain_torch_function

    candidates = {id(f): f for space in (torch, functional) for f in vars(space).values() if callable(f)}
    plain = [f for f in candidates.values() if _plain_torch_function(f)]
    assert len(plain) > 500 and {torch.relu, functional.relu, torch.cat, functional.linear} <= set(plain)
    assert not [f for f in plain if torch.overrides.is_tensor_method_or_property(f)]
    assert not _plain_torch_function(torch.Tensor.relu) and not _plain_torch_function(torch.Tensor.add)


class _EveryCallKind(nn.Module):
    """torch / functional functions, methods, in-place methods (``torch.Tensor.relu(x)`` fx cannot trace)."""

    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(3, 4), nn.Linear(4, 4)

    def forward(self, x):
        h = torch.relu(self.a(x))
        g = functional.leaky_relu(self.b(h), 0.1) + h.relu()
        g = torch.maximum(g, h).relu_()
        return torch.cat([torch.flatten(g, 1), functional.linear(h, self.b.weight)], dim=1).sum(dim=1)


def test_the_reader_traces_the_graph_fx_traces():
    """Same nodes (op, target, name, arguments) as torch.fx's own tracer, whose proxies consult the table."""
    from tropical._graph_reader import _tracer_class

    model = _EveryCallKind()

    def nodes(graph):
        return [(n.op, n.target, n.name, str(n.args), str(n.kwargs)) for n in graph.nodes]

    ours = nodes(_tracer_class()(autowrap_modules=()).trace(model))
    assert ours == nodes(torch.fx.Tracer(autowrap_modules=()).trace(model))
    assert {("call_function", torch.relu), ("call_method", "relu"), ("call_method", "relu_")} <= {
        node[:2] for node in ours
    }
    X = np.random.default_rng(0).standard_normal((5, 3))
    np.testing.assert_allclose(
        piecewise_linear_graph(model.double())(X).reshape(-1), forward(model, X), rtol=1e-12
    )


class ReadsShapes(nn.Module):
    """Python that reads the input's shape, in the ways `variant` names."""

    def __init__(self, variant):
        super().__init__()
        self.variant = variant
        self.conv, self.fc = nn.Conv1d(2, 3, 2), nn.Linear(3 * 4, 2)

    def forward(self, x):
        if self.variant == "values" and x.sum() > 0:
            x = -x
        if x.dim() == 2:  # flat inputs
            x = x.view(x.size(0), 2, -1)
        h = torch.relu(self.conv(x))
        if self.variant == "divides by the batch size":
            h = h / len(h)
        if self.variant == "multiplies by x.size(0)":
            h = h * x.size(0)
        if self.variant == "adds arange(len(h))":
            h = h + torch.arange(len(h), dtype=h.dtype)[:, None, None]
        if self.variant == "pads with zeros":
            h = torch.cat([h[:, :, :2], h.new_zeros(h.size(0), 3, 2)], 2)
        if self.variant == "loops over samples":
            return torch.stack([self.fc(h[i].flatten()) for i in range(len(h))])
        if self.variant == "unpacks the shape":
            batch, channels, length = h.shape
            return self.fc(h.reshape(batch, channels * length))
        if self.variant == "iterates the shape":
            return self.fc(h.reshape(*[s for s in h.shape[:-2]], -1))
        return self.fc(h.reshape(len(h), int(h.size(1)) * h.shape[-1]))


@pytest.mark.parametrize("variant", ["plain", "unpacks the shape", "iterates the shape", "pads with zeros"])
@pytest.mark.parametrize("input_shape", [(2, 5), (10,)])
def test_python_that_reads_the_input_shape_is_read_per_sample(variant, input_shape):
    graph = assert_graph_equals_model(randomise(ReadsShapes(variant), 1), input_shape, seed=2, n=7)
    assert graph.input_shape == input_shape


@pytest.mark.parametrize(
    ("variant", "input_shape", "match"),
    [
        ("values", (2, 5), "control flow that depends on the input's values"),
        ("divides by the batch size", (2, 5), "reads the batch size at div"),
        ("loops over samples", (2, 5), "reads the batch size"),
        ("multiplies by x.size(0)", (2, 5), "reads the batch size at mul"),
        ("adds arange(len(h))", (2, 5), "reads the batch size at arange"),
        ("plain", None, r"reads its input's shape \(an `if` or a bool at test_graph.py:\d+\).*input_shape="),
    ],
)
def test_python_that_reads_more_than_the_per_sample_shape_is_refused(variant, input_shape, match):
    with pytest.raises(UnsupportedLayerError, match=match):
        piecewise_linear_graph(ReadsShapes(variant), input_shape=input_shape)


@pytest.mark.parametrize(
    ("first", "hint"),
    [
        (nn.Conv1d(3, 2, 2), "input_shape=(3, length)"),
        (nn.Conv2d(1, 2, 3), "input_shape=(1, height, width)"),
        (nn.BatchNorm2d(4), "input_shape=(4, height, width)"),
        (nn.Unflatten(1, (1, 4, 4)), "input_shape=(16,)"),
    ],
)
def test_the_missing_input_shape_error_suggests_the_shape_the_first_layer_takes(first, hint):
    with pytest.raises(ValueError, match=re.escape(hint)):
        piecewise_linear_graph(nn.Sequential(first, nn.ReLU()))


class ScalesByBatch(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return torch.relu(self.fc(x.view(x.size(0), -1))) * x.size(0)


def test_the_batch_size_as_a_number_is_refused_when_the_first_linear_gives_the_input_shape():
    with pytest.raises(UnsupportedLayerError, match="reads the batch size at mul"):
        piecewise_linear_graph(ScalesByBatch())


def test_without_torchs_private_patch_reverter_shape_reading_python_is_refused_not_misread(monkeypatch):
    from torch.fx import _symbolic_trace

    monkeypatch.delattr(_symbolic_trace, "_maybe_revert_all_patches")
    with pytest.raises(UnsupportedLayerError, match="cannot run modules while tracing"):
        piecewise_linear_graph(ReadsShapes("plain"), input_shape=(2, 5))
