import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lottery.criteria import CRITERIA, layerwise_rates, mask_from_scores, prune, scores, snip_scores
from lottery.masks import Mask
from lottery.models import mlp


def test_lenet_300_100_schedule():
    """Frankle & Carbin (2019), Figure 3 / docs/math.md §5: 20% hidden, 10% output per round."""
    net = mlp([784, 300, 100, 10], seed=0)
    mask = Mask.ones(net)
    rates = layerwise_rates(mask)
    assert rates == {"0.weight": 0.2, "2.weight": 0.2, "4.weight": 0.1}
    remaining = {}
    for round_ in range(1, 17):
        mask = prune(net, criterion="magnitude", rate=rates, mask=mask, seed=round_)
        remaining[round_] = 100 * mask.density
    paper = {3: 51.3, 7: 21.1, 9: 13.5, 12: 7.0, 15: 3.6, 16: 2.9}
    for round_, percent in paper.items():
        assert round(remaining[round_], 1) == percent
        closed_form = 100 * (0.8**round_ * 265200 + 0.9**round_ * 1000) / 266200
        assert remaining[round_] == pytest.approx(closed_form, abs=0.01)


def test_snip_is_normalised_abs_grad_times_weight():
    net = mlp([5, 7, 3], seed=2)
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(16, 5, generator=g), torch.randint(0, 3, (16,), generator=g)
    s = snip_scores(net, (x, y))
    assert sum(float(t.sum()) for t in s.values()) == pytest.approx(1.0, abs=1e-12)
    # independent computation: the network written out by hand, float64
    w1 = net[0].weight.detach().double().requires_grad_()
    w2 = net[2].weight.detach().double().requires_grad_()
    b1, b2 = net[0].bias.detach().double(), net[2].bias.detach().double()
    logits = torch.relu(x.double() @ w1.T + b1) @ w2.T + b2
    loss = -torch.log_softmax(logits, dim=1)[torch.arange(16), y].mean()
    g1, g2 = torch.autograd.grad(loss, [w1, w2])
    raw1, raw2 = (g1 * w1).abs().detach(), (g2 * w2).abs().detach()
    total = raw1.sum() + raw2.sum()
    torch.testing.assert_close(s["0.weight"], raw1 / total, rtol=1e-5, atol=1e-9)
    torch.testing.assert_close(s["2.weight"], raw2 / total, rtol=1e-5, atol=1e-9)
    assert net[0].weight.grad is None  # the model was not touched


def test_snip_prune_keeps_global_top_k():
    net = mlp([5, 7, 3], seed=2)
    g = torch.Generator().manual_seed(0)
    batch = (torch.randn(16, 5, generator=g), torch.randint(0, 3, (16,), generator=g))
    mask = prune(net, criterion="snip", sparsity=0.5, scope="global", batches=batch)
    s = snip_scores(net, batch)
    flat = np.concatenate([s[n].numpy().ravel() for n in mask])
    kept = np.concatenate([mask[n].numpy().ravel() for n in mask])
    assert kept.sum() == 28
    assert flat[kept].min() >= flat[~kept].max()


# Hand-made example for Zhou et al. (2019): 6 weights, keep 3 (keep 2 for large_init_large_final).
W_INIT = torch.tensor([0.50, -0.10, 0.30, -0.40, 0.05, 0.20])
W_FINAL = torch.tensor([0.60, 0.35, -0.05, -0.80, 0.30, -0.25])
ZHOU = {
    # |wf| = .60 .35 .05 .80 .30 .25   |wi| = .50 .10 .30 .40 .05 .20
    "large_final": {0, 1, 3},
    "magnitude": {0, 1, 3},
    "small_final": {2, 4, 5},
    "large_init": {0, 2, 3},
    "small_init": {1, 4, 5},
    # |wf| - |wi| = .10 .25 -.25 .40 .25 .05
    "magnitude_increase": {1, 3, 4},
    # |wf - wi| = .10 .45 .35 .40 .25 .45
    "movement": {1, 3, 5},
}


@pytest.mark.parametrize("criterion", sorted(ZHOU))
def test_zhou_criteria_hand_made(criterion):
    s = scores(criterion, ["w"], trained_state={"w": W_FINAL}, init_state={"w": W_INIT})
    mask = mask_from_scores(s, sparsity=0.5)
    assert set(torch.nonzero(mask["w"]).ravel().tolist()) == ZHOU[criterion]


def test_large_init_large_final_hand_made():
    # ranks of |wi|: 6 2 4 5 1 3; of |wf|: 5 4 1 6 3 2; min: 5 2 1 5 1 2 -> the two large in both: 0 and 3
    s = scores("large_init_large_final", ["w"], trained_state={"w": W_FINAL}, init_state={"w": W_INIT})
    mask = mask_from_scores(s, sparsity=4 / 6)
    assert set(torch.nonzero(mask["w"]).ravel().tolist()) == {0, 3}


def test_random_criterion_is_seeded():
    a = prune(mlp([6, 8, 2], seed=0), criterion="random", rate=0.5, seed=1)
    b = prune(mlp([6, 8, 2], seed=0), criterion="random", rate=0.5, seed=1)
    c = prune(mlp([6, 8, 2], seed=0), criterion="random", rate=0.5, seed=2)
    assert a == b and a != c and a.density == 0.5


def test_ties_broken_randomly_with_seed():
    s = {"w": torch.zeros(100)}
    masks = [mask_from_scores(s, sparsity=0.5, seed=k)["w"] for k in range(40)]
    assert torch.equal(masks[0], mask_from_scores(s, sparsity=0.5, seed=0)["w"])
    assert len({tuple(m.tolist()) for m in masks}) == 40
    frequency = torch.stack(masks).double().mean(0)  # every position kept about half the time
    assert 0.15 < float(frequency.min()) and float(frequency.max()) < 0.85


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 30), min_size=1, max_size=3),
    rate=st.floats(0, 1),
    previous=st.floats(0, 0.9),
    scope=st.sampled_from(["layer", "global"]),
    seed=st.integers(0, 10_000),
)
def test_prunes_only_survivors_and_never_empties_a_layer(sizes, rate, previous, scope, seed):
    g = torch.Generator().manual_seed(seed)
    names = [f"l{i}" for i in range(len(sizes))]
    old = Mask({n: torch.rand(k, generator=g) >= previous for n, k in zip(names, sizes, strict=True)})
    s = {n: torch.randint(0, 3, (k,), generator=g).double() for n, k in zip(names, sizes, strict=True)}
    new = mask_from_scores(s, rate=rate, mask=old, scope=scope, seed=seed)
    alive = {n: int(old[n].sum()) for n in names}
    for n in names:
        assert not (new[n] & ~old[n]).any()  # nothing revived
        if alive[n] > 0:
            assert new[n].sum() >= 1  # never emptied
    removed = old.n_kept - new.n_kept
    if scope == "layer":
        for n in names:
            want = math.floor(rate * alive[n] + 0.5)
            assert int(old[n].sum() - new[n].sum()) == min(want, max(alive[n] - 1, 0))
    else:
        protected = sum(1 for n in names if alive[n] > 0)
        assert removed == min(math.floor(rate * old.n_kept + 0.5), old.n_kept - protected)
    for n in names:  # removed entries never score above kept ones of the same layer
        gone, kept = s[n][old[n] & ~new[n]], s[n][new[n]]
        if len(gone) and len(kept) and scope == "layer":
            assert gone.max() <= kept.min()


def test_global_scope_against_numpy_sort():
    g = torch.Generator().manual_seed(0)
    s = {"a": torch.rand(20, generator=g).double(), "b": 2 * torch.rand(30, generator=g).double()}
    new = mask_from_scores(s, sparsity=0.6, scope="global")
    flat = np.concatenate([s["a"].numpy(), s["b"].numpy()])
    threshold = np.sort(flat)[30]
    expected = flat >= threshold
    got = np.concatenate([new["a"].numpy(), new["b"].numpy()])
    assert np.array_equal(got, expected)


def test_allow_empty_layers():
    s = {"w": torch.arange(5.0)}
    assert mask_from_scores(s, rate=1.0)["w"].tolist() == [False, False, False, False, True]
    assert not mask_from_scores(s, rate=1.0, allow_empty_layers=True)["w"].any()


def test_errors():
    net = mlp([3, 4, 2], seed=0)
    with pytest.raises(ValueError, match=r"unknown pruning criterion 'biggest'.*known: large_final"):
        prune(net, criterion="biggest", rate=0.5)
    with pytest.raises(ValueError, match="exactly one of rate= and sparsity="):
        prune(net, rate=0.5, sparsity=0.5)
    with pytest.raises(ValueError, match="rate must be a number in"):
        prune(net, rate=1.5)
    with pytest.raises(ValueError, match="criterion 'movement' needs init_state="):
        prune(net, criterion="movement", rate=0.5)
    with pytest.raises(ValueError, match="missing"):
        prune(net, rate={"0.weight": 0.2})
    with pytest.raises(ValueError, match="NaN"):
        mask_from_scores({"w": torch.tensor([1.0, float("nan")])}, rate=0.5)
    with pytest.raises(ValueError, match="scope"):
        prune(net, rate=0.5, scope="network")
    assert "snip" in CRITERIA and "large_init_large_final" in CRITERIA


def test_the_old_keyword_names_still_work_with_a_warning():
    net, theta0 = mlp([3, 4, 2], seed=0), mlp([3, 4, 2], seed=1).state_dict()
    new = prune(net, criterion="movement", rate=0.5, init_state=theta0)
    with pytest.warns(DeprecationWarning, match=r"prune\(initial_state=...\) is deprecated; use init_state="):
        old = prune(net, criterion="movement", rate=0.5, initial_state=theta0)
    assert old == new
    with pytest.warns(DeprecationWarning, match="use trained_state="):
        s = scores("magnitude", ["w"], final={"w": W_FINAL})
    assert torch.equal(s["w"], W_FINAL.abs().double())
    with pytest.raises(TypeError, match="give init_state= only"):
        prune(net, criterion="movement", rate=0.5, init_state=theta0, initial_state=theta0)
