"""Regression tests from the second user trial (issue 11, real input dimensions): what ``from_torch``
advises when a network is too large to convert, tried as written.

The refusal of a 64-300-100-10 MLP on digits said "Use tropical.decision_zonotopes (one hidden layer)",
which refuses that (two-hidden-layer) model; the advice now names the call that answers for this model.
"""

import re

import numpy as np
import pytest
import torch
from conftest import FlatStridedConv, mlp
from torch import nn

import tropical as tr


def _advised_calls(message):
    return re.findall(r"tropical\.(decision_zonotopes|linear_regions)\((model[^)]*)\)", message)


@pytest.mark.parametrize(
    ("model", "input_shape", "rest"),
    [
        (mlp([64, 300, 100, 10]), None, "linear"),  # LeNet-300-100 on digits
        (mlp([40, 30, 30, 30, 10]), None, "linear"),  # mnist1d
        (FlatStridedConv().double().eval(), (64,), None),  # one hidden (conv) layer
    ],
    ids=["digits-300-100", "mnist1d-30-30-30", "conv-one-hidden-layer"],
)
def test_refusal_advises_calls_that_work_for_this_model(model, input_shape, rest):
    with pytest.raises(tr.ComputationTooLargeError) as refusal:
        tr.from_torch(model, input_shape=input_shape)
    message = str(refusal.value)
    calls = dict(_advised_calls(message))
    assert set(calls) == {"decision_zonotopes", "linear_regions"}, message
    assert ("rest='linear'" in calls["decision_zonotopes"]) == (rest == "linear")
    assert "plane=(x0, x1, x2" in calls["linear_regions"]
    # the advice, tried: zonotopes with one generator per first-layer unit, and regions on a data plane
    first = next(m for m in model.modules() if isinstance(m, nn.Linear | nn.Conv2d))
    Z1, Z2 = tr.decision_zonotopes(model, rest=rest, input_shape=input_shape)
    hidden = first.out_features if isinstance(first, nn.Linear) else 27
    assert Z1.generators.shape == Z2.generators.shape == (hidden, 64 if input_shape else first.in_features)
    n_in = Z1.generators.shape[1]
    plane = np.random.default_rng(0).random((3, n_in))
    regions = tr.linear_regions(model, plane=plane, input_shape=input_shape)
    points = regions.interior_points
    with torch.no_grad():
        expected = model(torch.from_numpy(regions.to_input(points))).numpy()
    np.testing.assert_allclose(regions.outputs(points, np.arange(len(regions))), expected, atol=1e-9)


def test_two_input_chain_refusal_advises_bounds():
    with pytest.raises(tr.ComputationTooLargeError, match=r"linear_regions\(model, bounds=") as refusal:
        tr.from_torch(mlp([2, 40, 40, 40, 2]), method="recursion", max_monomials=1000)
    assert "rest='linear'" in str(refusal.value)


class _ViewsItsInput(nn.Module):  # the README's SmallConvNet: flat 8x8 digits in, reshaped in forward
    def __init__(self, reshape):
        super().__init__()
        self.reshape = reshape
        self.conv = nn.Conv2d(1, 2, kernel_size=3, padding=1)
        self.fc = nn.Linear(2 * 4 * 4, 10)

    def forward(self, x):
        x = torch.relu(self.conv(self.reshape(x)))
        return self.fc(torch.flatten(nn.functional.max_pool2d(x, 2), 1))


@pytest.mark.parametrize(
    "reshape",
    [
        lambda x: x.view(-1, 1, 8, 8),
        lambda x: x.reshape(-1, 1, 8, 8),
        lambda x: torch.reshape(x, (-1, 1, 8, 8)),
    ],
    ids=["view", "reshape", "torch.reshape"],
)
def test_missing_input_shape_of_a_model_that_reshapes_flat_inputs_names_the_flat_shape(reshape):
    # the hint was input_shape=(1, height, width), the shape of the first conv, not what the model takes
    model = _ViewsItsInput(reshape).double().eval()
    with pytest.raises(
        ValueError, match=r"input_shape=\(64,\) \(per sample.*reshapes each sample to \(1, 8, 8\)"
    ):
        tr.piecewise_linear_graph(model)
    graph = tr.piecewise_linear_graph(model, input_shape=(64,))  # the advice, tried
    X = torch.randn(7, 64, dtype=torch.float64)
    with torch.no_grad():
        np.testing.assert_allclose(graph(X.numpy()), model(X).numpy(), atol=1e-12)
