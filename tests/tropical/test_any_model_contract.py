"""Issue 11's contract, op by op, through the public entry points (``from_torch``, ``linear_regions``,
``decision_boundary``), on models written the way users write them.

Oracles: the model's own forward pass in float64 (``from_torch(m)(X)``, the polynomials ``F_k - G_k`` and
every region's affine map at random interior points of the region), torch's own pre-activations for the
region patterns, and plain geometry (a point inside a convex polygon) for the region summaries.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import forward, interior_points, randomise
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from torch import nn
from torch.nn import functional

import tropical as tr
from tropical import UnsupportedLayerError


def activation(kind, slope, channels):
    return {
        "relu": lambda: nn.ReLU(),
        "leaky": lambda: nn.LeakyReLU(slope),
        "prelu": lambda: nn.PReLU(channels),
        "relu6": lambda: nn.ReLU6(),
        "hardtanh": lambda: nn.Hardtanh(-abs(slope) - 0.2, abs(slope) + 0.1),
        "threshold": lambda: nn.Threshold(slope, slope),
    }[kind]()


class Zoo(nn.Module):
    """A user's module: conv -> [BatchNorm] -> activation -> pooling -> a residual wiring -> a reshape ->
    Dropout -> Identity -> Linear, in the forward style researchers write."""

    def __init__(self, spec, input_shape):
        super().__init__()
        dims = len(input_shape) - 1
        conv, norm = (nn.Conv1d, nn.BatchNorm1d) if dims == 1 else (nn.Conv2d, nn.BatchNorm2d)
        channels = spec["groups"] * spec["per_group"]
        self.input_shape = input_shape
        self.stem = conv(input_shape[0], spec["groups"], 1)  # makes the channel count divisible by groups
        self.conv = conv(
            spec["groups"], channels, spec["kernel"], stride=spec["stride"], padding=spec["padding"],
            dilation=spec["dilation"], groups=spec["groups"], bias=spec["bias"],
        )  # fmt: skip
        self.norm = norm(channels) if spec["batch_norm"] else nn.Identity()
        self.act = activation(spec["activation"], spec["slope"], channels)
        pool_kernel = spec["pool_kernel"]
        self.pool = {
            "max": (nn.MaxPool1d, nn.MaxPool2d)[dims - 1](
                pool_kernel, stride=spec["pool_stride"], padding=pool_kernel // 2
            ),
            "avg": (nn.AvgPool1d, nn.AvgPool2d)[dims - 1](pool_kernel, stride=spec["pool_stride"]),
            "adaptive": (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d)[dims - 1](1),
            "none": nn.Identity(),
        }[spec["pool"]]
        self.skip = conv(channels, channels, 1)
        self.wiring, self.reshape = spec["wiring"], spec["reshape"]
        self.drop, self.identity = nn.Dropout(0.4), nn.Identity()
        self.flatten, self.unflatten = nn.Flatten(), nn.Unflatten(1, (1, -1))
        self.channels_last = (0, 2, 1) if dims == 1 else (0, 2, 3, 1)
        self.eval()
        with torch.no_grad():
            n_features = self.features(torch.zeros(1, *input_shape)).shape[1]
        self.fc = nn.Linear(n_features, spec["outputs"])

    def features(self, x):
        h = self.pool(self.act(self.norm(self.conv(self.stem(x)))))
        if self.wiring == "add":
            h = h + 0.5 * self.skip(h)
        elif self.wiring == "sub":
            h = functional.relu(self.skip(h)) - h
        elif self.wiring == "cat":
            h = torch.cat([h, torch.abs(self.skip(h))], dim=1)
        elif self.wiring == "maximum":
            h = torch.maximum(h, -2.0 * self.skip(h))
        elif self.wiring == "max":
            h = torch.max(h, dim=1, keepdim=True).values - h
        n = x.size(0)
        if self.reshape == "view":
            h = h.view(n, -1)
        elif self.reshape == "permute":
            h = h.permute(*self.channels_last).reshape(n, -1)
        else:
            h = self.unflatten(self.flatten(h)).flatten(1)
        return self.identity(self.drop(h))

    def forward(self, x):
        return self.fc(self.features(x))


def zoo_specs(input_shapes):
    return st.fixed_dictionaries(
        {
            "input_shape": st.sampled_from(input_shapes),
            "groups": st.sampled_from([1, 2]),
            "per_group": st.integers(1, 2),
            "kernel": st.integers(1, 3),
            "stride": st.integers(1, 2),
            "padding": st.sampled_from([0, 1, "same"]),
            "dilation": st.integers(1, 2),
            "bias": st.booleans(),
            "batch_norm": st.booleans(),
            "activation": st.sampled_from(["relu", "leaky", "prelu", "relu6", "hardtanh", "threshold"]),
            "slope": st.sampled_from([0.0, 0.01, 0.3, -0.5, 1.0, 2.5]),
            "pool": st.sampled_from(["max", "avg", "adaptive", "none"]),
            "pool_kernel": st.integers(1, 2),
            "pool_stride": st.integers(1, 2),
            "wiring": st.sampled_from(["none", "add", "sub", "cat", "maximum", "max"]),
            "reshape": st.sampled_from(["view", "permute", "unflatten"]),
            "outputs": st.integers(1, 3),
            "final": st.sampled_from(["none", "softmax", "log_softmax"]),
            "seed": st.integers(0, 10_000),
            "zero_fraction": st.sampled_from([0.0, 0.4]),
        }
    )


def build_zoo(spec):
    """The model (with its final Softmax / LogSoftmax, if any) and the logits model, or None if the
    drawn sizes do not fit the input."""
    if spec["padding"] == "same":
        spec = {**spec, "stride": 1}
    try:
        logits = randomise(Zoo(spec, spec["input_shape"]), spec["seed"], spec["zero_fraction"])
    except RuntimeError:  # a kernel or a pooling window larger than its (padded) input
        return None, None
    final = {"none": [], "softmax": [nn.Softmax(dim=1)], "log_softmax": [nn.LogSoftmax(dim=-1)]}
    return nn.Sequential(logits, *final[spec["final"]]).eval(), logits


def tolerance(expected):
    return {"rtol": 1e-9, "atol": 1e-9 * (1 + np.abs(expected).max())}


# ------------------------------------------------------------------ from_torch(m)(X) == m(X), every op
def assert_from_torch_equals_the_model(spec):
    model, logits = build_zoo(spec)
    assume(model is not None)
    try:
        tropical_map = tr.from_torch(model, input_shape=spec["input_shape"], max_monomials=20_000)
    except tr.ComputationTooLargeError:  # a legitimate refusal, with its estimate: nothing to compare
        assume(False)
    n_in = int(np.prod(spec["input_shape"]))
    X = np.random.default_rng(spec["seed"]).normal(size=(100, n_in)) * 3
    expected = forward(logits, X.reshape(-1, *spec["input_shape"]))
    np.testing.assert_allclose(tropical_map(X), expected, **tolerance(expected))
    polynomials = np.column_stack([output(X) for output in tropical_map])  # F_k(X) - G_k(X) themselves
    np.testing.assert_allclose(polynomials, expected, rtol=1e-7, atol=1e-7 * (1 + np.abs(expected).max()))


SMALL_INPUTS = [(1, 4), (2, 2), (1, 2, 2), (1, 1, 3), (2, 1, 2)]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=zoo_specs(SMALL_INPUTS))
def test_from_torch_equals_the_model_for_every_op(spec):
    """Inputs of at most 4 numbers (the oracle's range is 6): conv 1-D/2-D with stride, padding incl.
    'same', dilation, groups and bias, eval BatchNorm, every PL activation, max/avg/adaptive pooling,
    residual +, -, cat, scalar *, maximum/max/abs, view/permute/Flatten/Unflatten, Dropout, Identity, a
    final Softmax/LogSoftmax (dropped: the logits are described)."""
    assert_from_torch_equals_the_model(spec)


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=zoo_specs([*SMALL_INPUTS, (1, 5), (1, 1, 5)]))
def test_from_torch_equals_the_model_for_every_op_more_shapes(spec):
    assert_from_torch_equals_the_model(spec)


# ------------------------------------------------- on a plane, every region's map is the network itself
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=zoo_specs([(2, 7), (1, 5, 5), (2, 4, 3)]))
@example(  # regression: every pooling window settled after the corner test (an empty list was zipped)
    spec=dict(
        input_shape=(2, 7),
        groups=1,
        per_group=1,
        kernel=1,
        stride=1,
        padding=0,
        dilation=1,
        bias=False,
        batch_norm=True,
        activation="threshold",
        slope=1.0,
        pool="max",
        pool_kernel=2,
        pool_stride=1,
        wiring="none",
        reshape="view",
        outputs=1,
        final="none",
        seed=0,
        zero_fraction=0.0,
    )
)
def test_region_maps_on_a_plane_equal_the_model_for_every_op(spec):
    model, logits = build_zoo(spec)
    assume(model is not None)
    plane = np.random.default_rng(spec["seed"]).normal(size=(3, *spec["input_shape"]))
    regions = tr.linear_regions(model, plane=plane)
    domain_area = float(np.prod(np.ptp(regions.domain, axis=0)))
    assert regions.areas.sum() == pytest.approx(domain_area, rel=1e-9)
    points, owner = interior_points(regions, 2, spec["seed"])
    expected = forward(logits, regions.to_input(points).reshape(-1, *spec["input_shape"]))
    np.testing.assert_allclose(regions.outputs(points, owner), expected, **tolerance(expected))
    assert len(np.unique(regions.activation_patterns, axis=0)) == len(regions)


def test_image_planes_flat_planes_and_input_shape_give_the_same_regions():
    spec = {
        "groups": 2, "per_group": 1, "kernel": 3, "stride": 1, "padding": "same", "dilation": 2, "bias": True,
        "batch_norm": True, "activation": "prelu", "slope": 0.0, "pool": "max", "pool_kernel": 2,
        "pool_stride": 2, "wiring": "add", "reshape": "permute", "outputs": 3, "final": "log_softmax",
        "seed": 3, "zero_fraction": 0.0, "input_shape": (1, 6, 6),
    }  # fmt: skip
    model, _ = build_zoo(spec)
    plane = np.random.default_rng(0).normal(size=(3, 1, 6, 6))
    shaped = tr.linear_regions(model, plane=plane)
    flat = tr.linear_regions(model, plane=plane.reshape(3, 36), input_shape=(1, 6, 6))
    tensor = tr.linear_regions(model, plane=torch.as_tensor(plane))
    for other in (flat, tensor):
        assert len(other) == len(shaped)
        np.testing.assert_array_equal(other.activation_patterns, shaped.activation_patterns)
        np.testing.assert_allclose(other.areas, shaped.areas, rtol=1e-12)


# ------------------------------------------------------------------------- what a module computes is read
class DoubledReLU(nn.ReLU):
    """A subclass of nn.ReLU with its own forward: 2 relu(x), not relu(x)."""

    def forward(self, x):
        return 2 * super().forward(x)


class LeakyByHand(nn.ReLU):
    """A subclass of nn.ReLU that is really a LeakyReLU(-0.5): read as nn.ReLU it would be wrong everywhere
    on the negative side."""

    def forward(self, x):
        return functional.leaky_relu(x, -0.5)


class ResidualSequential(nn.Sequential):
    def forward(self, x):
        return x + super().forward(x)


class TwiceLinear(nn.Linear):
    def forward(self, x):
        return 2 * super().forward(x)


@pytest.mark.parametrize(
    "make",
    [
        lambda: nn.Sequential(nn.Linear(2, 4), DoubledReLU(), nn.Linear(4, 2)),
        lambda: nn.Sequential(nn.Linear(2, 4), LeakyByHand(), nn.Linear(4, 2)),
        lambda: nn.Sequential(
            ResidualSequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2)), nn.Linear(2, 2)
        ),
        lambda: nn.Sequential(TwiceLinear(2, 3), nn.ReLU(), nn.Linear(3, 2)),
    ],
    ids=["relu subclass", "relu subclass that is leaky", "sequential subclass", "linear subclass"],
)
def test_subclasses_are_read_through_their_forward_by_every_entry_point(make):
    model = randomise(make(), 1)
    X = np.random.default_rng(0).normal(size=(200, 2)) * 3
    expected = forward(model, X)
    np.testing.assert_allclose(tr.from_torch(model)(X), expected, **tolerance(expected))
    regions = tr.linear_regions(model, bounds=(-3, 3, -3, 3))
    points, owner = interior_points(regions, 3, 0)
    got = regions.outputs(points, owner)
    np.testing.assert_allclose(got, forward(model, points), **tolerance(got))


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_old_style_weight_norm_is_read_as_applied_by_every_entry_point():
    model = randomise(nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2)), 2)
    model[0] = torch.nn.utils.weight_norm(model[0])
    with torch.no_grad():
        model[0].weight_g.mul_(3.0)  # the stored `weight` is stale until the next forward
    X = np.random.default_rng(1).normal(size=(200, 2)) * 3
    expected = forward(model, X)
    np.testing.assert_allclose(tr.from_torch(model)(X), expected, **tolerance(expected))
    regions = tr.linear_regions(model, bounds=(-3, 3, -3, 3))
    points, owner = interior_points(regions, 3, 0)
    np.testing.assert_allclose(regions.outputs(points, owner), forward(model, points), rtol=1e-9, atol=1e-9)


# ----------------------------------------------------------------------------------------------- refusals
SMOOTH = {
    "Tanh": nn.Tanh,
    "GELU": nn.GELU,
    "SiLU": nn.SiLU,
    "Sigmoid": nn.Sigmoid,
    "Softplus": nn.Softplus,
}


def entry_points():
    plane = np.random.default_rng(0).normal(size=(3, 2))
    return {
        "from_torch": lambda m: tr.from_torch(m),
        "linear_regions": lambda m: tr.linear_regions(m, bounds=(-1, 1, -1, 1)),
        "decision_boundary": lambda m: tr.decision_boundary(m, plane=plane),
    }


@pytest.mark.parametrize("entry", ["from_torch", "linear_regions", "decision_boundary"])
@pytest.mark.parametrize("name", list(SMOOTH))
def test_each_smooth_activation_is_refused_with_its_place(name, entry):
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 3), SMOOTH[name](), nn.Linear(3, 2))
    with pytest.raises(UnsupportedLayerError, match=rf"{name} at position 3 is not piecewise linear"):
        entry_points()[entry](model)


class UsersSmoothNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(2, 4), nn.Linear(4, 4), nn.Linear(4, 2)
        self.act = nn.SiLU()

    def forward(self, x):
        x = torch.tanh(self.fc1(x))
        x = functional.softplus(self.fc2(self.act(x)))
        return self.fc3(functional.gelu(torch.sigmoid(x)))


@pytest.mark.parametrize("entry", ["from_torch", "linear_regions", "decision_boundary"])
def test_every_unsupported_op_of_a_users_net_is_named_in_one_message(entry):
    with pytest.raises(UnsupportedLayerError) as info:
        entry_points()[entry](UsersSmoothNet())
    message = str(info.value)
    assert "5 operation(s)" in message
    for name in ("tanh", "SiLU at position act", "softplus", "sigmoid", "gelu"):
        assert name in message, (name, message)
    assert message.count("not piecewise linear") == 5


@pytest.mark.parametrize("entry", ["from_torch", "linear_regions", "decision_boundary"])
def test_train_mode_batch_norm_and_dropout_are_refused_by_every_entry_point(entry):
    model = nn.Sequential(
        nn.Linear(2, 3), nn.BatchNorm1d(3), nn.ReLU(), nn.Dropout(0.5), nn.Linear(3, 2)
    ).train()
    with pytest.raises(UnsupportedLayerError) as info:
        entry_points()[entry](model)
    message = str(info.value)
    assert "BatchNorm1d at position 1" in message and "Dropout at position 3" in message
    assert "model.eval()" in message
    entry_points()[entry](model.eval())


class DataDependent(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(2, 3), nn.Linear(3, 2)

    def forward(self, x):
        h = torch.relu(self.fc1(x))
        if h.sum() > 1:
            h = h * 2
        return self.fc2(h)


@pytest.mark.parametrize("entry", ["from_torch", "linear_regions", "decision_boundary"])
def test_data_dependent_control_flow_is_refused_by_every_entry_point(entry):
    with pytest.raises(UnsupportedLayerError, match="control flow"):
        entry_points()[entry](DataDependent())


@pytest.mark.parametrize("entry", ["from_torch", "linear_regions", "decision_boundary"])
@pytest.mark.parametrize("kind", ["forward hook", "pre-hook"])
def test_hooks_are_refused_by_name_by_every_entry_point(entry, kind):
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2))
    if kind == "forward hook":
        model[0].register_forward_hook(lambda module, inputs, output: output * 3)
    else:
        model[2].register_forward_pre_hook(lambda module, inputs: (inputs[0] + 1,))
    place = "Linear at position 0" if kind == "forward hook" else "Linear at position 2"
    with pytest.raises(UnsupportedLayerError, match=rf"{kind} .* on {place}"):
        entry_points()[entry](model)


# ------------------------------------------------------------------- the regions' own summaries (bugs)
def nearly_concurrent_lines(corner, size):
    """Three ReLU units x = px, y = py and x + y = px + py + size: a triangle of side ``size`` at
    ``corner``, far from the centre of the domain."""
    px, py = corner
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2)).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
        model[0].bias.copy_(torch.tensor([-px, -py, -(px + py + size)], dtype=torch.float64))
        model[2].weight.copy_(torch.tensor([[1.0, -2.0, 3.0], [0.5, 1.0, -1.0]]))
    return model


@pytest.mark.parametrize(
    ("corner", "size"), [((0.26, -0.44), 1.2e-8), ((0.83, 0.6), 1e-8), ((0.68, -0.89), 2.9e-7)]
)
def test_every_centroid_lies_in_its_own_region(corner, size):
    regions = tr.linear_regions(nearly_concurrent_lines(corner, size), bounds=(-1, 1, -1, 1))
    assert len(regions) == 7
    np.testing.assert_array_equal(regions.at(regions.centroids), np.arange(len(regions)))
    # and equal, for a triangle, to the mean of its corners (the same point, computed without cancellation)
    triangles = np.diff(regions.offsets) == 3
    np.testing.assert_allclose(
        regions.centroids[triangles], regions.interior_points[triangles], rtol=0, atol=1e-12
    )


@pytest.mark.parametrize(
    ("corner", "size"), [((0.26, -0.44), 1.2e-8), ((0.83, 0.6), 1e-8), ((0.68, -0.89), 2.9e-7)]
)
def test_the_vertex_mean_of_a_tiny_region_lies_in_it(corner, size):
    """The tiny triangle itself is found: seven regions, its patterns those of the network at its corners'
    mean (the regression test above is about the centroid only)."""
    model = nearly_concurrent_lines(corner, size)
    regions = tr.linear_regions(model, bounds=(-1, 1, -1, 1))
    assert len(regions) == 7
    np.testing.assert_array_equal(regions.at(regions.interior_points), np.arange(len(regions)))
    with torch.no_grad():
        pre = model[0](torch.as_tensor(regions.interior_points)).numpy()
    np.testing.assert_array_equal(regions.activation_patterns, pre > 0)


class AcceptsFlatOrImages(nn.Module):
    """Shape-dependent Python, as users write it: reshape flat inputs, permute with range(h.dim())."""

    def __init__(self, variant):
        super().__init__()
        self.variant = variant
        self.conv, self.fc = nn.Conv2d(1, 2, 3), nn.Linear(2 * 3 * 3, 3)

    def forward(self, x):
        if self.variant == "dim" and x.dim() == 2:
            x = x.view(-1, 1, 5, 5)
        h = torch.relu(self.conv(x))
        if self.variant == "range":
            h = h.permute(0, *range(2, h.dim()), 1)
        if self.variant == "size":
            return self.fc(h.view(x.size(0), -1))
        if self.variant == "shape":
            return self.fc(h.reshape(h.shape[0], *h.shape[1:-1], -1).flatten(1))
        return self.fc(h.reshape(len(h), -1) if self.variant == "len" else h.flatten(1))


IMAGES, FLAT = (1, 5, 5), (25,)


@pytest.mark.parametrize(
    ("variant", "input_shape"),
    [("dim", IMAGES), ("dim", FLAT), ("range", IMAGES), ("len", IMAGES), ("size", IMAGES), ("shape", IMAGES)],
)
def test_shape_dependent_python_is_not_data_dependent_control_flow(variant, input_shape):
    model = randomise(AcceptsFlatOrImages(variant), 4)
    plane = np.random.default_rng(4).normal(size=(3, *input_shape))
    regions = tr.linear_regions(model, plane=plane)
    points, owner = interior_points(regions, 2, 0)
    expected = forward(model, regions.to_input(points).reshape(-1, 1, 5, 5))
    np.testing.assert_allclose(regions.outputs(points, owner), expected, **tolerance(expected))


def single_logit_net(seed):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, 6), nn.ReLU(), nn.Linear(6, 1)).double()
    with torch.no_grad():  # the boundary z = 0 crosses the box
        grid = torch.as_tensor(np.random.default_rng(seed).uniform(-3, 3, size=(500, 2)))
        model[2].bias -= model(grid).median()
    return model


def test_a_single_logit_classifier_has_a_boundary_where_its_logit_changes_sign():
    model = single_logit_net(0)
    classes = tr.decision_regions(model, bounds=(-3, 3, -3, 3))
    grid = np.random.default_rng(1).uniform(-3, 3, size=(4000, 2))
    positive = forward(model, grid)[:, 0] > 0
    assert classes[1].area / 36 == pytest.approx(positive.mean(), abs=0.03)
    assert len(tr.decision_boundary(model, bounds=(-3, 3, -3, 3))) > 0


def test_decision_metrics_compare_the_decision_polytopes_of_single_logit_classifiers():
    dense, ticket = single_logit_net(0), single_logit_net(0)
    with torch.no_grad():
        ticket[0].weight.mul_(ticket[0].weight.abs() > 0.3)
    assert tr.decision_polytope(dense).vertices.shape[1] == 2  # readable by decision_polytope itself
    row = tr.metrics.decision_metrics(dense, ticket, bounds=(-3, 3, -3, 3))
    assert row["polytope_method"] == "exact"
    assert np.isfinite(row["polytope_hausdorff"])


@pytest.mark.parametrize(("corner", "size"), [((0.83, 0.6), 1e-8), ((0.26, -0.44), 1.2e-8)])
def test_the_area_of_a_tiny_region_is_its_area(corner, size):
    regions = tr.linear_regions(nearly_concurrent_lines(corner, size), bounds=(-1, 1, -1, 1))
    assert len(regions) == 7
    triangle = regions.polygons[int(np.argmin(regions.areas))]
    (ux, uy), (vx, vy) = triangle[1] - triangle[0], triangle[2] - triangle[0]
    assert len(triangle) == 3
    assert regions.areas.min() == pytest.approx(abs(ux * vy - uy * vx) / 2, rel=1e-6, abs=0)
    assert regions.areas.min() == pytest.approx(size**2 / 2, rel=1e-3, abs=0)  # the lines' own triangle


@pytest.mark.parametrize(
    "wrap",
    [pytest.param(torch.compile, marks=pytest.mark.slow), nn.DataParallel],  # importing dynamo takes seconds
    ids=["torch.compile", "DataParallel"],
)
def test_training_wrappers_are_read_as_the_model_they_wrap(wrap):
    model = randomise(nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3)), 5)
    plane = np.random.default_rng(5).normal(size=(3, 4))
    expected = tr.linear_regions(model, plane=plane)
    wrapped = tr.linear_regions(wrap(model), plane=plane)
    assert len(wrapped) == len(expected)
    np.testing.assert_array_equal(wrapped.activation_patterns, expected.activation_patterns)


@pytest.mark.filterwarnings("ignore:`torch.jit.script:DeprecationWarning")
def test_a_scripted_module_is_refused_with_what_to_pass_instead():
    scripted = torch.jit.script(nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2)))
    with pytest.raises(UnsupportedLayerError) as info:
        tr.linear_regions(scripted, bounds=(-1, 1, -1, 1))
    message = str(info.value)
    assert "TorchScript" in message and "control flow" not in message
