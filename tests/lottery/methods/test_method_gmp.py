import functools

import pytest
import torch

from lottery.data import load_dataset
from lottery.methods.gradual_pruning import cubic_sparsity, gmp
from lottery.models import mlp


def test_cubic_schedule_end_points_and_midpoint():
    kw = dict(final=0.8, initial=0.2, start=10, n=4, frequency=5)
    assert cubic_sparsity(0, **kw) == 0.2  # before t0
    assert cubic_sparsity(10, **kw) == pytest.approx(0.2)
    assert cubic_sparsity(30, **kw) == pytest.approx(0.8)
    assert cubic_sparsity(1000, **kw) == pytest.approx(0.8)
    # halfway (t - t0 = n dt / 2): s_f + (s_i - s_f) / 8
    assert cubic_sparsity(20, **kw) == pytest.approx(0.8 - 0.6 / 8)
    # between events the sparsity is that of the last event
    assert cubic_sparsity(24, **kw) == cubic_sparsity(20, **kw)
    # one event in: (1 - 1/4)^3
    assert cubic_sparsity(15, **kw) == pytest.approx(0.8 - 0.6 * 27 / 64)


def test_cubic_schedule_errors():
    with pytest.raises(ValueError, match="final"):
        cubic_sparsity(0, final=1.5, n=3)
    with pytest.raises(ValueError, match="n must"):
        cubic_sparsity(0, final=0.5, n=0)


def test_gmp_reaches_the_final_sparsity_and_masks_only_grow():
    data = load_dataset("moons", n_samples=200, seed=0)
    ticket = gmp(
        functools.partial(mlp, [2, 20, 2]), data, sparsity=0.75, start=0.2, end=0.8,
        train=dict(epochs=10, batch_size=32, lr=0.1), seed=0,
    )  # fmt: skip
    for name, keep in ticket.mask.items():
        assert int(keep.sum()) == round(0.25 * keep.numel())
        assert torch.equal(ticket.trained_state[name][~keep], torch.zeros(int((~keep).sum())))
    events = [e["sparsity"] for e in ticket.provenance["events"]]
    assert len(events) == ticket.provenance["n_intervals"] + 1
    assert events == sorted(events)
    assert events[0] == pytest.approx(0.0) and events[-1] == pytest.approx(0.75)
