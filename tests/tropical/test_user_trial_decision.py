"""Regression tests from the user trial (issue 11): the decision polytope of a conv-first model."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import tropical as tr


class ConvFirst(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(1, 2, 3, stride=2)
        self.fc = nn.Linear(2 * 3 * 3, 2)

    def forward(self, x):
        return self.fc(F.relu(self.conv(x)).flatten(1))


def test_too_large_polytope_of_a_conv_model_suggests_a_call_that_works():
    # the suggestion used to be decision_hull(model, classes), which fails on this model without input_shape
    model = ConvFirst().double().eval()
    with pytest.raises(tr.ComputationTooLargeError) as caught:
        tr.decision_polytope(model, input_shape=(1, 8, 8))
    suggested = "tropical.decision_hull(model, (0, 1), input_shape=(1, 8, 8))"
    assert suggested in str(caught.value)
    hull = eval(suggested.removeprefix("tropical."), {"decision_hull": tr.decision_hull, "model": model})
    # independent oracle: Alfarra et al.'s zonotopes written from the network's own forward pass
    with torch.no_grad():
        basis = torch.eye(64, dtype=torch.float64).reshape(64, 1, 8, 8)
        A = (model.conv(basis) - model.conv.bias.reshape(1, -1, 1, 1)).reshape(64, 18).T.numpy()
    B = model.fc.weight.detach().numpy()
    w1 = np.maximum(B[0], 0) + np.maximum(-B[1], 0)
    w2 = np.maximum(B[1], 0) + np.maximum(-B[0], 0)
    offset = (np.abs(B[0]) + np.abs(B[1])) @ np.maximum(-A, 0)
    U = np.random.default_rng(0).normal(size=(50, 64))
    expected = np.maximum(*[U @ offset + np.maximum(U @ (w[:, None] * A).T, 0).sum(axis=1) for w in (w1, w2)])
    np.testing.assert_allclose(hull.support(U), expected, rtol=1e-9, atol=1e-9)
    assert caught.value.estimate is not None and caught.value.limit is not None
