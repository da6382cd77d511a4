"""Regression tests from the user trial (issue 11): the lottery methods on models written by users."""

import re

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import lottery as lt
from lottery.methods import METHODS
from tropical.errors import UnsupportedLayerError

TRAIN = {"optimizer": "adam", "lr": 0.01, "epochs": 1}


class Net(nn.Module):
    """A researcher's one-hidden-layer classifier that reshapes its input before the first layer."""

    def __init__(self, seed=0, n_in=2, outputs=2):
        super().__init__()
        torch.manual_seed(seed)
        self.fc1 = nn.Linear(n_in, 8)
        self.fc2 = nn.Linear(8, outputs)

    def forward(self, x):
        x = x.view(x.size(0), 1, -1)  # a channel axis, then flattened again
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


class TenLogits(Net):
    def __init__(self, seed=0):
        super().__init__(seed, outputs=10)


@pytest.fixture(scope="module")
def moons():
    return lt.load_dataset("moons", n_samples=120, seed=0)


@pytest.mark.parametrize("method", ["tropical", "tropical_cluster"])
def test_tropical_methods_name_the_logit_count_of_a_ten_logit_model(moons, method):
    # the message used to say the model "reads as ... B (2, 8)" for a (10, 8) last layer
    with pytest.raises(UnsupportedLayerError, match=r"'fc2\.weight' has 10 outputs"):
        METHODS[method](TenLogits, moons, sparsity=0.5, train=TRAIN, seed=0)


@pytest.mark.parametrize("method", ["tropical", "tropical_cluster"])
def test_tropical_methods_refuse_ten_class_data_before_reading_the_model(method):
    digits = lt.load_dataset("digits", seed=0)

    def conv(seed=0):  # used to fail first with "input_shape is needed ... (1, height, width)"
        torch.manual_seed(seed)
        return nn.Sequential(
            nn.Unflatten(1, (1, 8, 8)), nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(72, 10)
        )

    with pytest.raises(ValueError, match=r"two classes for .*got 10"):
        METHODS[method](conv, digits, sparsity=0.5, train=TRAIN, seed=0)


def test_tropical_prune_reads_a_model_that_reshapes_its_input_with_the_data_shape(moons):
    ticket = METHODS["tropical"](Net, moons, sparsity=0.5, train=TRAIN, seed=0)
    # the mask prunes half of each layer, and the trained weights are zero where it prunes
    for name, keep in ticket.mask.items():
        assert int(keep.sum()) == round(0.5 * keep.numel())
        assert torch.all(ticket.trained_state[name][~keep] == 0)
    model = ticket.build(Net, state="trained").eval()
    with torch.no_grad():
        accuracy = (model(moons.x_test).argmax(1) == moons.y_test).float().mean().item()
    assert accuracy == pytest.approx(ticket.provenance["test_accuracy"])


def _mlp(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))


def _torch_pruned(model):
    torch.nn.utils.prune.l1_unstructured(model[0], "weight", amount=0.3)
    return "torch.nn.utils.prune", lambda: torch.nn.utils.prune.remove(model[0], "weight")


def _parametrized(model):
    torch.nn.utils.parametrizations.weight_norm(model[2])
    return "a parametrization", lambda: torch.nn.utils.parametrize.remove_parametrizations(model[2], "weight")


def _old_weight_norm(model):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        torch.nn.utils.weight_norm(model[4])
    return "weight_norm", lambda: torch.nn.utils.remove_weight_norm(model[4])


@pytest.mark.parametrize("wrap", [_torch_pruned, _parametrized, _old_weight_norm])
def test_a_layer_with_a_computed_weight_is_refused_not_left_out_of_the_mask(wrap):
    # such a layer used to be missing from prunable_names: "prune 50%" pruned only the other layers
    model = _mlp()
    how, make_plain = wrap(model)
    with pytest.raises(ValueError, match=rf"\({re.escape(how)}.*\) are computed from other parameters"):
        lt.prune(model, criterion="magnitude", sparsity=0.5)
    make_plain()  # what the message says to do
    with torch.no_grad():
        expected = model(torch.ones(1, 2))
    mask = lt.prune(model, criterion="magnitude", sparsity=0.5)
    assert list(mask) == ["0.weight", "2.weight", "4.weight"]
    for name, keep in mask.items():  # half of every layer, the largest magnitudes kept
        weight = model.get_parameter(name).detach().abs().flatten()
        kept = keep.flatten()
        assert int(kept.sum()) == weight.numel() // 2
        assert weight[kept].min() >= weight[~kept].max()
    with torch.no_grad():  # making the weights plain did not change the network
        torch.testing.assert_close(model(torch.ones(1, 2)), expected)


def test_a_float64_model_on_float32_data_is_refused_naming_the_dtypes(moons):
    # train and IMP blamed the input shape ("a model that takes images reshapes them"), evaluate raised
    # torch's "mat1 and mat2 must have the same dtype"
    def double(seed=0):
        return _mlp(seed).double()

    match = r"parameters are torch\.float64 but the data are torch\.float32"
    with pytest.raises(ValueError, match=match):
        lt.train(double(), moons, epochs=1)
    with pytest.raises(ValueError, match=match):
        lt.iterative_magnitude_pruning(double, moons, rounds=1, rate=0.5, train=TRAIN, seed=0)
    with pytest.raises(ValueError, match=match):
        lt.evaluate(double(), moons.x_test, moons.y_test)


def test_a_model_instance_in_place_of_its_factory_is_refused_by_name(moons):
    with pytest.raises(TypeError, match=r"model_fn must build the model .* got a Sequential instance"):
        lt.iterative_magnitude_pruning(_mlp(), moons, rounds=1, rate=0.5, train=TRAIN, seed=0)
