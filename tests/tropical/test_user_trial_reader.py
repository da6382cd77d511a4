"""Regression tests from the user trial (issue 11): what the reader says about points of the wrong shape."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import tropical as tr


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(1, 2, 3)
        self.fc = nn.Linear(2 * 6 * 6, 3)

    def forward(self, x):
        return self.fc(F.relu(self.conv(x)).flatten(1))


def test_flat_plane_points_of_a_conv_model_get_the_shape_its_first_layer_takes():
    # it used to end in "Check input_shape=", which the user had not passed
    with pytest.raises(ValueError, match=r"Conv2d at position conv takes \(1, height, width\)"):
        tr.linear_regions(ConvNet(), plane=np.random.default_rng(0).normal(size=(3, 64)))


def test_plane_points_of_the_wrong_size_for_an_mlp_get_the_in_features():
    net = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2))
    with pytest.raises(ValueError, match=r"shape of the points given .* takes \(2,\)"):
        tr.linear_regions(net, plane=np.random.default_rng(0).normal(size=(3, 5)))


def test_plane_points_in_the_shape_the_message_asks_for_work():
    # the shape the message gives is one the model reads: its regions' maps are the network's
    net = ConvNet().double().eval()
    points = np.random.default_rng(0).normal(size=(3, 1, 8, 8))
    regions = tr.linear_regions(net, plane=points)
    inside = regions.interior_points
    with torch.no_grad():
        expected = net(torch.as_tensor(regions.to_input(inside)).reshape(-1, 1, 8, 8)).numpy()
    np.testing.assert_allclose(regions.outputs(inside), expected, rtol=1e-9, atol=1e-9)


def test_a_failed_probe_reaches_the_user_as_a_plain_value_error():
    # the traceback ended in "tropical._graph_reader._ProbeFailed", a private class
    net = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2))
    with pytest.raises(ValueError) as caught:
        tr.linear_regions(net, plane=np.zeros((3, 5)) + np.eye(3, 5))
    assert type(caught.value) is ValueError
    assert isinstance(caught.value.__cause__, RuntimeError)  # torch's own error stays attached
