"""affine_layers: the dense chain of a model equals the model; non-chains are refused with a pointer.

Oracles: the model's own forward pass, and equivalent models built by hand (a convolution's dense matrix
computed by torch on the identity basis).
"""

import numpy as np
import pytest
import torch
from torch import nn

import tropical as tr
from tropical import UnsupportedLayerError
from tropical.layers import affine_layers


def forward(model, X):
    with torch.no_grad():
        return model(torch.as_tensor(X, dtype=torch.float64)).numpy()


def evaluate(layers, X):
    """The chain of affine layers and activations, by hand."""
    for layer in layers:
        X = X @ layer.weight.T + layer.bias
        if layer.slope is not None:
            X = np.where(X >= 0, X, np.asarray(layer.slope) * X)
    return X


def randomised(model, seed=0):
    generator = torch.Generator().manual_seed(seed)
    model = model.double().eval()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator, dtype=torch.float64))
        for name, buffer in model.named_buffers():
            if name.endswith("running_var"):
                buffer.copy_(torch.rand(buffer.shape, generator=generator, dtype=torch.float64) + 0.5)
    return model


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(3, 5), nn.Linear(5, 2)
        self.norm = nn.BatchNorm1d(5)

    def forward(self, x):
        return self.fc2(torch.relu(self.norm(self.fc1(x))))


@pytest.mark.parametrize(
    ("model", "input_shape", "slopes"),
    [
        (
            nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Dropout(), nn.Linear(4, 2)),
            None,
            [0.0, None],
        ),
        (Net(), None, [0.0, None]),
        (
            nn.Sequential(
                nn.Linear(3, 4), nn.LeakyReLU(-0.5), nn.Linear(4, 4), nn.LeakyReLU(2.0), nn.Linear(4, 1)
            ),
            None,
            [-0.5, 2.0, None],
        ),
        (nn.Sequential(nn.Linear(3, 4), nn.Hardtanh(-0.5, 0.5), nn.Linear(4, 2)), None, [0.0, None]),
        (nn.Sequential(nn.Conv1d(1, 2, 2), nn.ReLU(), nn.Flatten(), nn.Linear(4, 2)), (1, 3), [0.0, None]),
        (nn.Sequential(nn.Flatten(), nn.Linear(6, 3), nn.ReLU()), (2, 3), [0.0]),
    ],
    ids=[
        "sequential",
        "custom module",
        "slopes outside [0, 1)",
        "hardtanh",
        "conv first layer",
        "ends in relu",
    ],
)
def test_chain_equals_the_model(model, input_shape, slopes):
    model = randomised(model)
    layers = affine_layers(model, input_shape=input_shape)
    assert [layer.slope for layer in layers] == slopes
    n_in = int(np.prod(input_shape or (3,)))
    X = np.random.default_rng(0).normal(size=(100, n_in)) * 2
    expected = forward(model, X.reshape(100, *(input_shape or (3,))))
    np.testing.assert_allclose(evaluate(layers, X), expected, rtol=1e-10, atol=1e-10)


def test_per_unit_prelu_slopes_are_arrays():
    model = randomised(nn.Sequential(nn.Linear(2, 3), nn.PReLU(3), nn.Linear(3, 1)))
    first, _ = affine_layers(model)
    np.testing.assert_array_equal(first.slope, model[1].weight.detach().numpy())
    X = np.random.default_rng(1).normal(size=(50, 2))
    np.testing.assert_allclose(evaluate(affine_layers(model), X), forward(model, X), atol=1e-12)


def test_shared_module_instance_is_applied_twice():
    relu = nn.ReLU()
    model = randomised(nn.Sequential(nn.Linear(2, 4), relu, nn.Linear(4, 4), relu, nn.Linear(4, 2)))
    layers = affine_layers(model)
    assert [layer.slope for layer in layers] == [0.0, 0.0, None]


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(2, 2), nn.Linear(2, 2)

    def forward(self, x):
        return self.fc2(x + torch.relu(self.fc1(x)))


def test_non_chains_point_to_the_functions_that_read_them():
    with pytest.raises(UnsupportedLayerError, match=r"'add'.*tropical.from_torch.*tropical.linear_regions"):
        affine_layers(Residual())
    pooled = nn.Sequential(nn.Conv1d(1, 1, 2), nn.MaxPool1d(2), nn.Flatten(), nn.Linear(2, 1))
    with pytest.raises(UnsupportedLayerError, match="node '1'"):
        affine_layers(pooled, input_shape=(1, 5))


def test_batchnorm_can_be_refused():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.ReLU(), nn.Linear(3, 1)).eval()
    with pytest.raises(UnsupportedLayerError, match="BatchNorm1d at position 1"):
        affine_layers(model, allow_batchnorm=False)


# ------------------------------------------------------------------------- consumers of the chain
def two_logits(hidden: nn.Linear, single: nn.Linear) -> nn.Sequential:
    """The single-logit classifier ``z`` written by hand as the two logits ``(0, z)``."""
    out = nn.Linear(single.in_features, 2).double()
    with torch.no_grad():
        out.weight.copy_(torch.cat([torch.zeros_like(single.weight), single.weight]))
        out.bias.copy_(torch.cat([torch.zeros_like(single.bias), single.bias]))
    return nn.Sequential(hidden, nn.ReLU(), out)


def assert_same_zonotopes(model, reference, classes=(0, 1), **kwargs):
    ours_and_theirs = zip(
        tr.decision_zonotopes(model, classes, **kwargs),
        tr.decision_zonotopes(reference, classes),
        strict=True,
    )
    for ours, theirs in ours_and_theirs:
        np.testing.assert_allclose(ours.generators, theirs.generators, atol=1e-12)
        np.testing.assert_allclose(ours.base, theirs.base, atol=1e-12)


def test_decision_zonotopes_of_a_single_logit_classifier():
    model = randomised(nn.Sequential(nn.Linear(2, 5), nn.ReLU(), nn.Linear(5, 1)))
    assert_same_zonotopes(model, two_logits(model[0], model[2]))


def test_decision_zonotopes_of_a_custom_module_and_a_conv_first_layer():
    class Custom(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden, self.out = nn.Linear(3, 4), nn.Linear(4, 3)

        def forward(self, x):
            return self.out(torch.relu(self.hidden(x)))

    custom = randomised(Custom())
    assert_same_zonotopes(custom, nn.Sequential(custom.hidden, nn.ReLU(), custom.out), (0, 2))

    conv = randomised(nn.Sequential(nn.Conv1d(1, 2, 2), nn.ReLU(), nn.Flatten(), nn.Linear(4, 2)))
    dense = nn.Linear(3, 4).double()  # the convolution's matrix, computed by torch on the identity basis
    with torch.no_grad():
        bias = conv[0](torch.zeros(1, 1, 3, dtype=torch.float64)).flatten()
        dense.weight.copy_((conv[0](torch.eye(3, dtype=torch.float64)[:, None, :]).flatten(1) - bias).T)
        dense.bias.copy_(bias)
    reference = nn.Sequential(dense, nn.ReLU(), conv[3])
    X = np.random.default_rng(0).normal(size=(20, 3))
    np.testing.assert_allclose(forward(reference, X), forward(conv, X[:, None]), atol=1e-12)
    assert_same_zonotopes(conv, reference, input_shape=(1, 3))


def test_affine_layers_are_read_only_records_that_pickle_and_compare_by_field():
    import copy
    import pickle

    model = randomised(nn.Sequential(nn.Linear(3, 4), nn.PReLU(4), nn.Linear(4, 2)))
    layers = affine_layers(model)
    X = np.random.default_rng(0).normal(size=(20, 3))
    layer = layers[0]
    with pytest.raises(AttributeError, match="read-only"):
        layer.weight = np.zeros((4, 3))
    with pytest.raises(AttributeError, match="read-only"):
        del layer.source
    with pytest.raises(AttributeError):
        layer.extra = 1  # no __dict__: only the four fields exist
    for copied in (pickle.loads(pickle.dumps(layers)), copy.deepcopy(layers), [copy.copy(x) for x in layers]):
        np.testing.assert_allclose(evaluate(copied, X), forward(model, X), rtol=1e-12, atol=1e-12)
        assert [type(x) for x in copied] == [tr.layers.AffineLayer] * 2
    # equality and hashing field by field, as the frozen dataclass had them
    same = tr.layers.AffineLayer(layer.weight, layer.bias, layer.slope, layer.source)
    assert same == layer
    assert same != tr.layers.AffineLayer(layer.weight, layer.bias, layer.slope, "elsewhere")
    assert layer != (layer.weight, layer.bias, layer.slope, layer.source)
    with pytest.raises(TypeError, match="unhashable"):
        hash(layer)
    assert repr(layers[1]).startswith(f"AffineLayer(weight={layers[1].weight!r}, bias=")
    assert repr(layers[1]).endswith(f"slope=None, source={layers[1].source!r})")
