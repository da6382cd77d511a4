"""A researcher's own models through the whole public flow: train, a ticket, exact regions, metrics, CLI.

Models are written as users write them (``class Net(nn.Module)`` with ``fc1``/``fc2`` and ``F.relu``, a
Conv-2-style net with max-pooling saved as a nested checkpoint and reloaded with ``weights_only=True``, a
ResNet-style block with BatchNorm2d and a skip). Oracles: each model's own forward pass in float64 (region
maps at interior points, ``from_torch(m)(X)``, argmax on a grid for agreements), the weights themselves for
masks, and :func:`tropical.linear_regions` for what the CLI reports.
"""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import lottery as lt
import tropical as tr
from lottery import cli


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def forward(model, X):
    with torch.no_grad():
        return model.double()(torch.as_tensor(np.asarray(X), dtype=torch.float64)).numpy()


def interior_points(regions, per_region, seed):
    rng = np.random.default_rng(seed)
    points, owner = [], []
    for index, polygon in enumerate(regions.polygons):
        points.append(rng.dirichlet(np.ones(len(polygon)), size=per_region) @ polygon)
        owner.append(np.full(per_region, index))
    return np.concatenate(points), np.concatenate(owner)


def centred(logits):
    """Logits up to a constant per row (a final log_softmax shifts them)."""
    return logits - logits.mean(axis=1, keepdims=True)


# ----------------------------------------------------------------------------- class Net with fc1 / fc2
class Net(nn.Module):
    def __init__(self, seed=0, hidden=12):
        super().__init__()
        torch.manual_seed(seed)
        self.fc1 = nn.Linear(2, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.fc3 = nn.Linear(hidden, 2)

    def forward(self, x):
        x = x.view(x.size(0), -1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return F.log_softmax(self.fc3(x), dim=1)


@pytest.fixture(scope="module")
def moons():
    return lt.load_dataset("moons", n_samples=300, seed=0)


@pytest.fixture(scope="module")
def imp_of_net(moons):
    return lt.iterative_magnitude_pruning(
        Net, moons, rounds=2, rate=0.5, train={"epochs": 2, "optimizer": "adam", "lr": 0.02}, seed=0
    )


def test_a_users_net_gives_a_ticket_of_its_own_weights(imp_of_net):
    ticket = imp_of_net.tickets[-1]
    assert list(ticket.mask) == ["fc1.weight", "fc2.weight", "fc3.weight"]
    assert ticket.mask.density == pytest.approx(0.25, abs=0.03)
    model = ticket.build(Net, state="trained")
    for name, keep in ticket.mask.items():
        assert bool((model.state_dict()[name][~keep] == 0).all())


def test_regions_and_from_torch_of_a_users_ticket_equal_the_network(imp_of_net):
    model = imp_of_net.tickets[-1].build(Net, state="trained").eval()
    regions = tr.linear_regions(model, bounds=(-3, 3, -3, 3))
    points, owner = interior_points(regions, 3, 0)
    expected = forward(model, points)  # log-probabilities: the regions describe the logits
    np.testing.assert_allclose(centred(regions.outputs(points, owner)), centred(expected), atol=1e-9)
    X = np.random.default_rng(1).normal(size=(300, 2)) * 3
    np.testing.assert_allclose(centred(tr.from_torch(model)(X)), centred(forward(model, X)), atol=1e-9)


def test_decision_metrics_of_a_users_dense_net_and_ticket_against_the_networks(imp_of_net, moons):
    dense = imp_of_net.dense.build(Net, state="trained").eval().double()
    ticket = imp_of_net.tickets[-1].build(Net, state="trained").eval().double()
    bounds = (-3, 3, -3, 3)
    row = tr.metrics.decision_metrics(dense, ticket, bounds=bounds, seed=0)
    assert row["linear_regions"] == len(tr.linear_regions(ticket, bounds=bounds))
    assert row["dense_linear_regions"] == len(tr.linear_regions(dense, bounds=bounds))
    grid = np.stack(np.meshgrid(np.linspace(-2.99, 2.98, 150), np.linspace(-2.97, 2.99, 150)), -1)
    grid = grid.reshape(-1, 2)
    same = forward(dense, grid).argmax(axis=1) == forward(ticket, grid).argmax(axis=1)
    assert row["boundary_agreement"] == pytest.approx(same.mean(), abs=0.02)
    assert row["polytope_method"].startswith(("exact", "bracket", "projected"))


# ----------------------------------------------------------- Conv-2 style, a checkpoint, the CLI
CONV_MODULE = '''
import torch
import torch.nn.functional as F
from torch import nn


class Conv2(nn.Module):
    """Conv-2 style (Frankle & Carbin) at the scale of 8x8 digits."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 1, 3, padding=1)
        self.conv2 = nn.Conv2d(1, 2, 3, padding=1)
        self.pool = nn.MaxPool2d(2, 2)
        self.fc1 = nn.Linear(2 * 4 * 4, 4)
        self.fc2 = nn.Linear(4, 10)

    def forward(self, x):
        x = x.view(-1, 1, 8, 8)
        x = F.relu(self.conv1(x))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        return self.fc2(F.relu(self.fc1(x)))
'''


@pytest.fixture
def conv_module(tmp_path, monkeypatch):
    (tmp_path / "user_conv_models.py").write_text(textwrap.dedent(CONV_MODULE))
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib

    module = importlib.import_module("user_conv_models")
    yield module
    import sys

    sys.modules.pop("user_conv_models", None)


@pytest.fixture(scope="module")
def digits():
    return lt.load_dataset("digits", seed=0)


@pytest.mark.slow
def test_a_conv_checkpoint_reloaded_with_weights_only_gives_the_regions_the_cli_reports(
    conv_module, digits, tmp_path, capsys
):
    torch.manual_seed(0)
    net = conv_module.Conv2()
    lt.train(net, digits, optimizer="adam", lr=0.01, epochs=1, seed=0)
    path = tmp_path / "conv2.pt"
    torch.save({"model": net.state_dict(), "epoch": 1}, path)
    loaded = conv_module.Conv2()
    loaded.load_state_dict(torch.load(path, weights_only=True)["model"])
    loaded.eval()
    mask = lt.prune(loaded, criterion="magnitude", sparsity=0.5)
    assert list(mask) == ["conv1.weight", "conv2.weight", "fc1.weight", "fc2.weight"]
    plane = digits.x_test[[3, 4, 5]].double().numpy()
    regions = tr.linear_regions(loaded, plane=plane)
    points, owner = interior_points(regions, 2, 0)
    expected = forward(loaded.double(), regions.to_input(points))
    np.testing.assert_allclose(regions.outputs(points, owner), expected, atol=1e-9 * np.abs(expected).max())
    loaded.float()
    status = cli.main(
        ["regions", str(path), "--model", "user_conv_models:Conv2", "--plane", "3", "4", "5",
         "--dataset", "digits", "--out", str(tmp_path / "out")]
    )  # fmt: skip
    assert status in (0, None)
    metrics = json.loads((tmp_path / "out" / "conv2_regions.json").read_text())
    assert metrics["linear_regions"] == len(regions)
    # without --model, the refusal names the flag that fixes it
    refused = cli.main(["regions", str(path), "--plane", "3", "4", "5", "--dataset", "digits"])
    assert refused not in (0, None)
    assert "--model package.module:function" in capsys.readouterr().err


def test_from_torch_on_a_conv_net_of_digits_refuses_with_alternatives(conv_module):
    model = conv_module.Conv2().eval()
    with pytest.raises(tr.UnsupportedLayerError) as refusal:
        tr.from_torch(model, input_shape=(64,))
    message = str(refusal.value)
    assert "linear_regions(model, plane=" in message and "decision_metrics" in message


# --------------------------------------------------------------------- a ResNet-style block with BatchNorm
class Block(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + x)


class TinyResNet(nn.Module):
    def __init__(self, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.stem = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1, bias=False), nn.BatchNorm2d(2), nn.ReLU())
        self.block = Block(2)
        self.pool = nn.AdaptiveAvgPool2d(2)
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        x = x.view(-1, 1, 8, 8)
        return self.fc(self.pool(self.block(self.stem(x))).flatten(1))


def test_a_resnet_ticket_on_a_digit_plane(digits):
    torch.manual_seed(0)
    net = TinyResNet()
    lt.train(net, digits, optimizer="adam", lr=0.01, epochs=1, seed=0)
    mask = lt.prune(net, criterion="magnitude", sparsity=0.5)
    assert list(mask) == ["stem.0.weight", "block.conv1.weight", "block.conv2.weight", "fc.weight"]
    plane = digits.x_test[:3].double().numpy()
    with pytest.raises(
        tr.UnsupportedLayerError, match=r"(?s)BatchNorm2d at position stem\.1.*model\.eval\(\)"
    ):
        tr.linear_regions(net.train(), plane=plane)
    net.eval()
    mask.apply(net)
    regions = tr.linear_regions(net, plane=plane, bounds=(-1, 1, -1, 1))  # a window of the plane
    points, owner = interior_points(regions, 2, 1)
    expected = forward(net, regions.to_input(points))
    np.testing.assert_allclose(regions.outputs(points, owner), expected, atol=1e-9 * np.abs(expected).max())
    assert len(np.unique(regions.activation_patterns, axis=0)) == len(regions)


# ---------------------------------------------------------------------------- what training refuses
class ImagesOnly(nn.Module):
    def __init__(self, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.conv, self.fc = nn.Conv2d(1, 2, 3), nn.Linear(72, 10)

    def forward(self, x):
        return self.fc(F.relu(self.conv(x)).flatten(1))


def test_a_model_that_cannot_take_the_datasets_inputs_is_named_before_training(digits):
    """Regression: IMP with an image model on the flat digits failed with torch's raw conv2d RuntimeError."""
    with pytest.raises(ValueError, match=r"shape \(2, 64\).*x\.view\(-1, 1, 8, 8\)"):
        lt.iterative_magnitude_pruning(ImagesOnly, digits, rounds=1, rate=0.5, train={"epochs": 1}, seed=0)


def test_a_model_with_too_few_logits_is_named_before_training(digits):
    model = nn.Sequential(nn.Linear(64, 8), nn.ReLU(), nn.Linear(8, 3))
    with pytest.raises(ValueError, match=r"at least 10 classes .* gave \(2, 3\)"):
        lt.train(model, digits, epochs=1)


class SmallConvNet(nn.Module):
    """The README's conv net: flat 8x8 digits in, 10 logits out."""

    def __init__(self, seed=0, channels=2):
        super().__init__()
        torch.manual_seed(seed)
        self.conv = nn.Conv2d(1, channels, kernel_size=3, padding=1)
        self.fc = nn.Linear(channels * 4 * 4, 10)

    def forward(self, x):
        x = torch.relu(self.conv(x.view(-1, 1, 8, 8)))
        return self.fc(torch.flatten(F.max_pool2d(x, 2), 1))


def test_decision_metrics_of_a_conv_ticket_on_a_digit_plane_against_a_grid(digits):
    dense = SmallConvNet(seed=1, channels=1)
    lt.train(dense, digits, optimizer="adam", lr=0.01, epochs=1, seed=0)
    dense.eval()
    ticket = SmallConvNet(channels=1)
    ticket.load_state_dict(dense.state_dict())
    lt.prune(ticket, criterion="magnitude", sparsity=0.7).apply(ticket)
    plane = digits.x_test[[7, 8, 9]].double().numpy()
    row = tr.metrics.decision_metrics(dense, ticket, plane=plane, planes=0, seed=0)
    regions = tr.linear_regions(ticket, plane=plane)
    assert row["linear_regions"] == len(regions)
    assert row["dense_linear_regions"] == len(tr.linear_regions(dense, plane=plane))
    low, high = regions.domain.min(axis=0), regions.domain.max(axis=0)
    n = 120
    cells = (np.stack(np.meshgrid(np.arange(n), np.arange(n)), -1).reshape(-1, 2) + 0.5) / n
    inputs = regions.to_input(low + cells * (high - low))
    same = forward(dense, inputs).argmax(axis=1) == forward(ticket, inputs).argmax(axis=1)
    assert row["boundary_agreement"] == pytest.approx(same.mean(), abs=0.02)


# ------------------------------------------------------------------ every lottery method on a user's model
class ConvBN(nn.Module):
    def __init__(self, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.conv = nn.Conv2d(1, 3, 3, padding=1)
        self.bn = nn.BatchNorm2d(3)
        self.fc1 = nn.Linear(3 * 4 * 4, 16)
        self.fc2 = nn.Linear(16, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn(self.conv(x.view(-1, 1, 8, 8)))), 2)
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


@pytest.fixture(scope="module")
def small_digits():
    return lt.load_dataset("digits", n_samples=600, seed=0)


@pytest.mark.parametrize(
    "name",
    [
        "imp", "snip", "random", "supermask", "edge_popup", "rigl", "gmp", "scratch_e", "scratch_b",
        "early_bird",
    ],
)  # fmt: skip
def test_every_method_prunes_a_users_conv_model_to_the_sparsity_asked(name, small_digits):
    """Regression (gmp): with one epoch of training the schedule's last pruning event fell after the last
    step, and the "50% sparse" ticket was dense."""
    from lottery.methods import METHODS

    ticket = METHODS[name](ConvBN, small_digits, sparsity=0.5, train={"epochs": 1}, seed=0)
    assert list(ticket.mask) == ["conv.weight", "fc1.weight", "fc2.weight"]
    assert ticket.mask.density == pytest.approx(0.5, abs=0.03)
    model = ticket.build(ConvBN, state="trained")
    for weight, keep in ticket.mask.items():
        assert bool((model.state_dict()[weight][~keep] == 0).all())


def test_gmp_refuses_a_schedule_that_cannot_reach_its_sparsity(small_digits):
    from lottery.methods import gmp

    with pytest.raises(ValueError, match=r"frequency=50 steps is longer than the \d+ steps"):
        gmp(ConvBN, small_digits, sparsity=0.5, frequency=50, train={"epochs": 2})
    with pytest.raises(ValueError, match="no step between start"):
        gmp(ConvBN, small_digits, sparsity=0.5, train={"epochs": 1, "batch_size": 1000})


@pytest.mark.parametrize("name", ["tropical", "tropical_cluster"])
def test_tropical_pruning_names_what_it_reads_for_a_conv_model(name, small_digits):
    from lottery.methods import METHODS, class_subset

    with pytest.raises(ValueError, match="data must have two classes"):  # checked first, before training
        METHODS[name](ConvBN, small_digits, sparsity=0.5, train={"epochs": 1}, seed=0)
    two_digits = class_subset(small_digits, [0, 1])
    with pytest.raises(tr.UnsupportedLayerError, match="one-hidden-layer two-class classifiers only"):
        METHODS[name](ConvBN, two_digits, sparsity=0.5, train={"epochs": 1}, seed=0)
