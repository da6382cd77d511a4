import functools
import math

import pytest
import torch

from lottery.data import load_dataset
from lottery.methods.dynamic_sparsity import cosine_drop_fraction, layer_sparsities, random_mask, rigl
from lottery.models import mlp


def test_erk_lenet_300_100_at_90_percent():
    shapes = {"a": (300, 784), "b": (100, 300), "c": (10, 100)}
    s = layer_sparsities(shapes, 0.9)
    # by hand: the output layer (density (10 + 100) / 1000 * eps > 1) is dense; then
    # eps = (0.1 * 266200 - 1000) / (1084 + 400), density_l = eps (n_in + n_out) / (n_in n_out)
    eps = (0.1 * 266200 - 1000) / (1084 + 400)
    assert s["c"] == 0.0
    assert s["a"] == pytest.approx(1 - eps * 1084 / 235200, abs=1e-12)
    assert s["b"] == pytest.approx(1 - eps * 400 / 30000, abs=1e-12)
    assert [round(v, 3) for v in s.values()] == [0.920, 0.770, 0.0]
    kept = sum((1 - s[n]) * math.prod(shapes[n]) for n in shapes)
    assert kept == pytest.approx(0.1 * 266200)


def test_erk_layers_that_would_exceed_density_one_become_dense():
    shapes = {"small": (10, 2), "big": (1000, 1000)}
    s = layer_sparsities(shapes, 0.5)
    assert s["small"] == 0.0
    assert s["big"] == pytest.approx(1 - (0.5 * 1_000_020 - 20) / 1_000_000)


def test_uniform_distribution_and_module_input():
    net = mlp([4, 6, 3], seed=0)
    s = layer_sparsities(net, 0.75, distribution="uniform")
    assert s == {"0.weight": 0.75, "2.weight": 0.75}


def test_distribution_errors():
    with pytest.raises(ValueError, match="distribution"):
        layer_sparsities({"a": (3, 3)}, 0.5, distribution="gaussian")
    with pytest.raises(ValueError, match="sparsity"):
        layer_sparsities({"a": (3, 3)}, 1.0)


def test_cosine_drop_fraction_analytic_values():
    assert cosine_drop_fraction(0, t_end=300, alpha=0.3) == pytest.approx(0.3)
    assert cosine_drop_fraction(150, t_end=300, alpha=0.3) == pytest.approx(0.15)
    assert cosine_drop_fraction(100, t_end=300, alpha=0.3) == pytest.approx(0.15 * 1.5)  # cos(pi/3) = 1/2
    assert cosine_drop_fraction(300, t_end=300, alpha=0.3) == pytest.approx(0.0, abs=1e-15)
    assert cosine_drop_fraction(301, t_end=300, alpha=0.3) == 0.0


def test_random_mask_counts():
    net = mlp([5, 8, 2], seed=0)
    m = random_mask(net, {"0.weight": 0.5, "2.weight": 0.25}, seed=1)
    assert int(m["0.weight"].sum()) == 20 and int(m["2.weight"].sum()) == 12


def test_rigl_constant_layer_counts_and_zero_grown_weights():
    data = load_dataset("moons", n_samples=200, seed=0)
    records = []

    def on_update(step, model, before, after, grown):
        params = dict(model.named_parameters())
        for name in after:
            grown_values = params[name].detach()[grown[name]]
            records.append(
                (name, int(before[name].sum()), int(after[name].sum()), int(grown[name].sum()), grown_values)
            )
            # grown positions are active in the new mask
            assert bool(after[name][grown[name]].all())

    ticket = rigl(
        functools.partial(mlp, [2, 16, 16, 2]), data, sparsity=0.8, distribution="uniform", delta_t=3,
        t_end=0.9, train=dict(epochs=6, batch_size=32, lr=0.1), seed=0, on_update=on_update,
    )  # fmt: skip
    assert records, "no mask update happened"
    assert any(count > 0 for _, _, _, count, _ in records)
    expected = {n: round(0.2 * t.numel()) for n, t in ticket.mask.items()}
    for name, n_before, n_after, _, values in records:
        assert n_before == n_after == expected[name]
        assert torch.equal(values, torch.zeros_like(values))
    for name, keep in ticket.mask.items():
        assert int(keep.sum()) == expected[name]
        assert torch.equal(ticket.trained_state[name][~keep], torch.zeros(int((~keep).sum())))
    assert ticket.provenance["method"] == "rigl" and ticket.provenance["n_updates"] == len(records) // 3
