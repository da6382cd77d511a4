"""from_torch: the tropical map equals the network, both algorithms agree, bad networks are named."""

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from tropical import ComputationTooLargeError, UnsupportedLayerError, from_torch


def build_network(widths, activation, bias, zero_fraction, seed):
    generator = torch.Generator().manual_seed(seed)
    modules = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(widths)):
        linear = nn.Linear(n_in, n_out, bias=bias).double()
        with torch.no_grad():
            linear.weight.copy_(torch.randn(n_out, n_in, generator=generator, dtype=torch.float64))
            linear.weight.mul_(
                torch.rand(n_out, n_in, generator=generator, dtype=torch.float64) >= zero_fraction
            )
            if bias:
                linear.bias.copy_(torch.randn(n_out, generator=generator, dtype=torch.float64))
        modules.append(linear)
        if i < len(widths) - 2:
            modules.append(nn.ReLU() if activation == "relu" else nn.LeakyReLU(0.2))
    return nn.Sequential(*modules)


def outputs(model, X):
    with torch.no_grad():
        return model(torch.as_tensor(X, dtype=torch.float64)).numpy()


networks = st.fixed_dictionaries(
    {
        "d": st.integers(1, 4),
        "hidden": st.lists(st.integers(1, 8), min_size=0, max_size=2),
        "k": st.integers(1, 3),
        "activation": st.sampled_from(["relu", "leaky_relu"]),
        "bias": st.booleans(),
        "zero_fraction": st.sampled_from([0.0, 0.3]),
        "seed": st.integers(0, 10_000),
    }
)


@settings(max_examples=40, deadline=None)
@given(networks)
def test_tropical_map_equals_network(spec):
    """Depth 1 to 3, width 1 to 8, input dimension 1 to 4, with and without biases and exact zeros."""
    widths = [spec["d"], *spec["hidden"], spec["k"]]
    model = build_network(widths, spec["activation"], spec["bias"], spec["zero_fraction"], spec["seed"])
    tropical_map = from_torch(model)
    X = np.random.default_rng(spec["seed"]).normal(size=(300, spec["d"])) * 5
    expected = outputs(model, X)
    np.testing.assert_allclose(tropical_map(X), expected, rtol=1e-9, atol=1e-9 * (1 + np.abs(expected).max()))


@settings(max_examples=15, deadline=None)
@given(networks.filter(lambda s: s["d"] <= 3 and sum(s["hidden"]) <= 10))
def test_oracle_and_recursion_give_identical_monomials(spec):
    widths = [spec["d"], *spec["hidden"], spec["k"]]
    model = build_network(widths, spec["activation"], spec["bias"], spec["zero_fraction"], spec["seed"])
    oracle, recursion = from_torch(model, method="oracle"), from_torch(model, method="recursion")
    for a, b in zip(oracle, recursion, strict=True):
        assert a.numerator.same_function(b.numerator, tolerance=1e-7)
        assert a.denominator.same_function(b.denominator, tolerance=1e-7)


def test_recursion_on_a_net_whose_lifted_points_qhull_cannot_merge():
    """Found by hypothesis: a 3-5-3-1 LeakyReLU net whose 600 product monomials make Qhull stop with a
    'wide merge' error; the exact fallback gives the oracle's monomials."""
    model = build_network([3, 5, 3, 1], "leaky_relu", True, 0.0, 329)
    oracle, recursion = from_torch(model, method="oracle"), from_torch(model, method="recursion")
    assert oracle[0].numerator.same_function(recursion[0].numerator, tolerance=1e-7)
    assert oracle[0].denominator.same_function(recursion[0].denominator, tolerance=1e-7)
    X = np.random.default_rng(0).normal(size=(300, 3)) * 5
    np.testing.assert_allclose(recursion(X), outputs(model, X), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("scale", [1.0, 1e-8, 1e-12, 1e6])
def test_regression_oracle_values_at_tiny_and_huge_weight_scales(scale):
    """Found by the stress campaign: with every weight of the first layer and every bias scaled by 1e-8 (the
    network scales by 1e-8), the oracle's violation tests had absolute floors (``1 + |value|``) and missed
    monomials: relative errors of 7e-4 against the network."""
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 1)).double()
    parameters = [
        [[0.61, -0.74], [-1.43, 1.07], [-1.79, 1.3], [-0.51, -1.39]],
        [-0.51, -1.09, -0.3, -1.63],
        [[-2.12, 0.27, 0.27, -1.11], [-0.36, -0.88, -0.79, -0.66], [-0.4, -1.8, 1.75, -0.75]],
        [-1.6, -1.16, 0.69],
        [[-0.58, 0.03, 1.23]],
        [-1.01],
    ]
    with torch.no_grad():
        for i, (parameter, value) in enumerate(zip(model.parameters(), parameters, strict=True)):
            homogeneous = scale if i == 0 or parameter.ndim == 1 else 1.0
            parameter.copy_(torch.tensor(value, dtype=torch.float64) * homogeneous)
    X = np.random.default_rng(0).normal(size=(2000, 2)) * np.geomspace(0.01, 100, 2000)[:, None]
    expected = outputs(model, X)
    np.testing.assert_allclose(from_torch(model)(X), expected, rtol=0, atol=1e-10 * np.abs(expected).max())


def test_oracle_survives_qhull_failures(monkeypatch):
    """When Qhull gives up on the found monomials, the oracle's facet ties come from the exact faces."""
    import scipy.spatial

    import tropical.network

    model = build_network([2, 6, 4, 2], "relu", True, 0.0, 11)
    expected = from_torch(model)

    def failing_qhull(*args, **kwargs):
        raise scipy.spatial.QhullError("QH6271 qhull topology error (simulated)")

    monkeypatch.setattr(tropical.network, "ConvexHull", failing_qhull)
    for a, b in zip(from_torch(model), expected, strict=True):
        assert a.numerator.same_function(b.numerator, tolerance=1e-9)
        assert a.denominator.same_function(b.denominator, tolerance=1e-9)


def test_every_monomial_is_the_unique_max_somewhere(unique_max_oracle):
    """Reduced polynomials of the network have no redundant monomials (checked by linear programs)."""
    model = build_network([2, 6, 5, 1], "relu", True, 0.0, 3)
    for polynomial in (from_torch(model)[0].numerator, from_torch(model)[0].denominator):
        kept = unique_max_oracle(polynomial.exponents, polynomial.coefficients)
        assert kept == list(range(len(polynomial)))


def test_layers_are_exposed_and_consistent():
    model = build_network([2, 4, 3, 2], "relu", True, 0.0, 5)
    tropical_map = from_torch(model, layers=True)
    assert [len(layer) for layer in tropical_map.layers] == [4, 3, 2]
    X = np.random.default_rng(0).normal(size=(100, 2))
    with torch.no_grad():
        hidden = torch.relu(model[0](torch.as_tensor(X)))
    np.testing.assert_allclose(
        np.column_stack([r(X) for r in tropical_map.layers[0]]), hidden.numpy(), atol=1e-12
    )
    np.testing.assert_allclose(tropical_map(X), outputs(model, X), atol=1e-10)


def test_pruned_model_converts_as_it_computes():
    from torch.nn.utils import prune

    model = build_network([2, 8, 2], "relu", True, 0.0, 7)
    prune.l1_unstructured(model[0], "weight", amount=0.5)
    prune.random_unstructured(model[2], "weight", amount=0.5)
    X = np.random.default_rng(1).normal(size=(200, 2)) * 3
    np.testing.assert_allclose(from_torch(model)(X), outputs(model, X), atol=1e-10)


def test_untrained_all_zero_and_nested_networks():
    model = nn.Sequential(
        nn.Flatten(), nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5)), nn.ReLU(), nn.Identity()
    )
    model.append(nn.Linear(4, 2))
    model = model.double().eval()
    with torch.no_grad():
        model[1][0].weight.zero_()
    X = np.random.default_rng(2).normal(size=(50, 3))
    tropical_map = from_torch(model)
    np.testing.assert_allclose(tropical_map(X), outputs(model, X), atol=1e-12)
    assert tropical_map.monomial_counts().max() == 1  # a constant network has one monomial per polynomial


@pytest.mark.parametrize(
    ("model", "error", "message"),
    [
        (
            nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)),
            UnsupportedLayerError,
            "Tanh at position 1",
        ),
        (nn.Sequential(nn.Conv2d(1, 1, 3)), UnsupportedLayerError, "Conv2d at position 0"),
        (
            nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.Softmax(1))),
            UnsupportedLayerError,
            "Softmax at position 1.1",
        ),
        (nn.Sequential(nn.Linear(2, 3), nn.Linear(4, 1)), ValueError, "expects 4 inputs"),
        (nn.Sequential(nn.ReLU()), ValueError, "starts with an activation"),
    ],
)
def test_unsupported_networks_are_named(model, error, message):
    with pytest.raises(error, match=message):
        from_torch(model)


def test_custom_module_is_named():
    class Square(nn.Module):
        def forward(self, x):
            return x * x

    with pytest.raises(UnsupportedLayerError, match="Square at position 1"):
        from_torch(nn.Sequential(nn.Linear(2, 2), Square()))


def test_nan_weights_raise():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    with torch.no_grad():
        model[2].weight[0, 1] = float("nan")
    with pytest.raises(ValueError, match="position 2: weight has 1 NaN"):
        from_torch(model)


def test_too_large_raises_with_estimate_and_knob():
    model = build_network([2, 32, 32, 1], "relu", True, 0.0, 0)
    with pytest.raises(ComputationTooLargeError, match="max_monomials") as info:
        from_torch(model, max_monomials=50)
    assert info.value.estimate > 50
    wide = build_network([20, 300, 1], "relu", True, 0.0, 0)
    with pytest.raises(ComputationTooLargeError, match=r"up to .* monomials") as info:
        from_torch(wide)
    assert info.value.estimate > 1e20


def test_float32_network_is_read_in_float64():
    model = build_network([2, 5, 2], "relu", True, 0.0, 11).float()
    X = np.random.default_rng(3).normal(size=(100, 2))
    with torch.no_grad():
        expected = model.double()(torch.as_tensor(X)).numpy()
    np.testing.assert_allclose(from_torch(model.float())(X), expected, atol=1e-5)
