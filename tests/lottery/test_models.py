import math

import numpy as np
import pytest
import torch
from torch import nn

from lottery.models import init_std, mlp
from tropical.layers import affine_layers


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
@pytest.mark.parametrize("bias", [True, False])
def test_mlp_is_plain_sequential_read_by_tropical(activation, bias):
    net = mlp([3, 5, 4, 2], activation=activation, bias=bias, seed=1)
    assert type(net) is nn.Sequential
    layers = affine_layers(net)
    assert [layer.weight.shape for layer in layers] == [(5, 3), (4, 5), (2, 4)]
    expected_slope = 0.0 if activation == "relu" else 0.01
    assert [layer.slope for layer in layers] == [expected_slope, expected_slope, None]
    x = torch.randn(7, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    h = x.numpy()
    for layer in layers:  # the tropical reading computes the same function
        h = h @ layer.weight.T + layer.bias
        if layer.slope is not None:
            h = np.maximum(h, layer.slope * h)
    np.testing.assert_allclose(h, net.double()(x).detach().numpy(), atol=1e-12)


def test_state_dict_keys_and_zero_biases():
    net = mlp([4, 8, 2], seed=0)
    assert list(net.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert torch.count_nonzero(net[0].bias) == 0


@pytest.mark.parametrize(
    ("init", "expected"),
    [("kaiming", math.sqrt(2 / 784)), ("xavier", math.sqrt(2 / (784 + 300))), ("normal", 0.1)],
)
def test_init_distribution_std(init, expected):
    assert init_std(784, 300, init=init) == pytest.approx(expected)
    w = mlp([784, 300, 10], init=init, seed=3)[0].weight.detach().double()
    assert float(w.std()) == pytest.approx(expected, rel=0.02)
    assert abs(float(w.mean())) < 0.05 * expected


def test_seeded_and_global_rng_untouched():
    torch.manual_seed(123)
    before = torch.get_rng_state()
    a, b, c = mlp([5, 6, 2], seed=4), mlp([5, 6, 2], seed=4), mlp([5, 6, 2], seed=5)
    assert torch.equal(torch.get_rng_state(), before)
    assert all(torch.equal(a.state_dict()[k], b.state_dict()[k]) for k in a.state_dict())
    assert not torch.equal(a[0].weight, c[0].weight)


def test_bad_arguments():
    with pytest.raises(ValueError, match="widths"):
        mlp([3])
    with pytest.raises(ValueError, match="widths"):
        mlp([3, 0, 2])
    with pytest.raises(TypeError, match="widths"):
        mlp("32")
    with pytest.raises(ValueError, match="activation='tanh'"):
        mlp([2, 2], activation="tanh")
    with pytest.raises(ValueError, match="init='uniform'"):
        mlp([2, 2], init="uniform")
