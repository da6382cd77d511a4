import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from lottery.masks import Mask, hamming_distance, prunable_names
from lottery.models import mlp


def random_mask(shape, p, seed):
    return torch.rand(shape, generator=torch.Generator().manual_seed(seed)) < p


def test_default_prunable_are_linear_and_conv_weights():
    net = nn.Sequential(nn.Conv1d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4, 3), nn.BatchNorm1d(3))
    assert prunable_names(net) == ["0.weight", "3.weight"]
    assert prunable_names(net, include_bias=True) == ["0.weight", "0.bias", "3.weight", "3.bias"]
    mask = Mask.ones(net)
    assert list(mask) == ["0.weight", "3.weight"] and mask.density == 1.0
    assert list(Mask.ones(net, names=["3.bias"])) == ["3.bias"]
    with pytest.raises(ValueError, match="not parameters"):
        Mask.ones(net, names=["5.weight"])


def test_statistics_against_numpy():
    a = Mask({"w": random_mask((30, 20), 0.3, 0), "v": random_mask((7,), 0.6, 1)})
    kept = a["w"].numpy().sum() + a["v"].numpy().sum()
    assert a.n_total == 607 and a.n_kept == kept
    assert a.density == pytest.approx(kept / 607) and a.sparsity == pytest.approx(1 - kept / 607)
    assert a.layer_density()["w"] == pytest.approx(a["w"].numpy().mean())
    assert a.layer_sparsity()["v"] == pytest.approx(1 - a["v"].numpy().mean())


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 40), st.floats(0, 1), st.floats(0, 1), st.integers(0, 1000))
def test_hamming_union_intersection(n, p, q, seed):
    x, y = random_mask((n, 3), p, seed), random_mask((n, 3), q, seed + 1)
    a, b = Mask({"w": x}), Mask({"w": y})
    xs, ys = x.numpy(), y.numpy()
    assert a.hamming(b) == int(np.sum(xs != ys)) == hamming_distance(b, a)
    assert type(a.hamming(b)) is int and type(a.hamming_fraction(b)) is float
    assert a.hamming_fraction(b) == pytest.approx(np.mean(xs != ys))
    with pytest.warns(DeprecationWarning, match="hamming_fraction"):
        assert a.hamming(b, normalized=True) == pytest.approx(np.mean(xs != ys))
    with pytest.warns(DeprecationWarning, match="hamming_fraction"):
        assert hamming_distance(a, b, normalized=True) == a.hamming_fraction(b)
    assert np.array_equal((a | b)["w"].numpy(), xs | ys)
    assert np.array_equal((a & b)["w"].numpy(), xs & ys)
    assert a.union(b).n_kept + a.intersection(b).n_kept == a.n_kept + b.n_kept


def test_incompatible_masks():
    a = Mask({"w": torch.ones(2, 2, dtype=torch.bool)})
    with pytest.raises(ValueError, match="different parameters"):
        a.hamming(Mask({"v": torch.ones(2, 2, dtype=torch.bool)}))
    with pytest.raises(ValueError, match="shape"):
        a.union(Mask({"w": torch.ones(2, 3, dtype=torch.bool)}))
    with pytest.raises(TypeError, match="Mask"):
        a.intersection({"w": torch.ones(2, 2, dtype=torch.bool)})


def test_masks_are_bool_and_never_inferred_from_zeros():
    with pytest.raises(TypeError, match=r"torch\.bool"):
        Mask({"w": torch.ones(2)})
    net = mlp([3, 4, 2], seed=0)
    with torch.no_grad():
        net[0].weight.zero_()  # zero weights are still kept by a stored mask
    assert Mask.ones(net).density == 1.0


def test_apply_zero_and_values():
    net = mlp([3, 4, 2], seed=0)
    w = net[0].weight.detach().clone()
    keep = random_mask(w.shape, 0.5, 3)
    Mask({"0.weight": keep}).apply(net)
    assert torch.equal(net[0].weight.detach(), torch.where(keep, w, torch.zeros_like(w)))
    values = torch.full_like(w, 7.0)
    Mask({"0.weight": keep}).apply(net, values={"0.weight": values})
    assert torch.equal(net[0].weight.detach(), torch.where(keep, w, values))
    with pytest.raises(ValueError, match="not parameters"):
        Mask({"9.weight": keep}).apply(net)
    with pytest.raises(ValueError, match="shape"):
        Mask({"0.weight": torch.ones(2, 2, dtype=torch.bool)}).apply(net)


def test_save_load_plain_tensors(tmp_path):
    a = Mask({"0.weight": random_mask((4, 3), 0.5, 0), "2.weight": random_mask((2, 4), 0.5, 1)})
    path = tmp_path / "mask.pt"
    a.save(path)
    raw = torch.load(path, weights_only=True)
    assert isinstance(raw, dict) and all(t.dtype == torch.bool for t in raw.values())
    assert Mask.load(path) == a
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a torch file")
    with pytest.raises(ValueError, match="not a readable mask file"):
        Mask.load(bad)
