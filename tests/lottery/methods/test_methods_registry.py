import functools
import inspect

import pytest

import lottery as lt
from lottery.methods import METHODS
from lottery.methods.baselines import imp_rounds

NAMES = [
    "dense", "early_bird", "edge_popup", "gmp", "imp", "random", "rigl", "scratch_b", "scratch_e", "snip",
    "supermask", "transfer", "tropical", "tropical_cluster",
]  # fmt: skip


def test_every_method_is_registered_with_the_common_signature():
    assert sorted(METHODS) == NAMES
    for name in NAMES:
        signature = inspect.signature(METHODS[name])
        for argument in ("sparsity", "train", "seed", "progress"):
            assert argument in signature.parameters, (name, argument)
        assert list(signature.parameters)[:2] == ["model_fn", "data"]
    with pytest.raises(ValueError, match="unknown lottery method 'lth'"):
        METHODS["lth"]


def test_imp_rounds_analytic():
    assert imp_rounds(0.0) == (1, 0.0)
    assert imp_rounds(0.2) == (1, 0.2)
    rounds, rate = imp_rounds(0.9, 0.2)  # log(0.1) / log(0.8) = 10.3 -> 11 rounds
    assert rounds == 11 and (1 - rate) ** 11 == pytest.approx(0.1)


@pytest.mark.parametrize("name", ["dense", "imp", "snip", "random"])
def test_baselines_return_trained_tickets(name):
    data = lt.load_dataset("moons", n_samples=150, seed=0)
    sparsity = 0.0 if name == "dense" else 0.5
    model_fn = functools.partial(lt.mlp, [2, 8, 2])
    ticket = METHODS[name](model_fn, data, sparsity=sparsity, train=dict(epochs=2, batch_size=32), seed=0)
    assert ticket.trained_state is not None and ticket.provenance["method"] == name
    assert ticket.sparsity == pytest.approx(sparsity, abs=0.02)
    assert ticket.provenance["test_accuracy"] is not None
