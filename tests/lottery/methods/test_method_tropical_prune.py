import functools
import itertools

import numpy as np
import pytest
import torch
from scipy.optimize import minimize

from lottery.data import load_dataset
from lottery.methods.tropical_prune import (
    cluster_units,
    decision_support,
    generators,
    prune_generators,
    tropical_objective,
    tropical_prune,
)
from lottery.models import mlp


def test_generators_hand_made():
    A = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
    B = np.array([[2.0, -1.0, 0.0], [-3.0, 0.5, 1.0]])
    G1, G2 = generators(A, B)
    # w1 = ReLU(B1) + ReLU(-B2) = [2 + 3, 0 + 0, 0 + 0]; w2 = ReLU(B2) + ReLU(-B1) = [0 + 0, 0.5 + 1, 1 + 0]
    np.testing.assert_allclose(G1, [[5.0, 10.0], [0.0, 0.0], [0.0, 0.0]])
    np.testing.assert_allclose(G2, [[0.0, 0.0], [4.5, -1.5], [0.5, 0.5]])


def test_decision_support_matches_brute_force_over_all_subset_sums():
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((6, 2)), rng.standard_normal((2, 6))
    G1, G2 = generators(A, B)
    base = (np.abs(B[0]) + np.abs(B[1])) @ np.maximum(-A, 0)
    subsets = np.array(list(itertools.product([0, 1], repeat=6)), dtype=float)
    points = np.concatenate([base + subsets @ G1, base + subsets @ G2])
    angles = np.linspace(0, 2 * np.pi, 50)
    U = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    np.testing.assert_allclose(decision_support(A, B, U), (U @ points.T).max(axis=1), atol=1e-12)


def small_problem(seed=0, p=12, n=3):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((p, n)), rng.standard_normal((2, p))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_objective_decreases_monotonically_and_sparsity_is_kept(seed):
    A, B = small_problem(seed)
    result = prune_generators(A, B, sparsity=0.6, lambdas=(0.3, 0.2), warmup=8, iterations=15, seed=seed)
    trace = result.objective
    k = result.projection
    scale = 1e-12 * max(1.0, trace.max())
    assert np.all(np.diff(trace[:k]) <= scale)  # warm-up on the full support
    assert np.all(np.diff(trace[k:]) <= scale)  # on the pruned support
    assert trace[k:][-1] < trace[k] - 1e-6  # and it does decrease there
    assert trace[k - 1] < trace[0]
    # the trace is the objective of the returned weights, computed independently
    G1, G2 = generators(A, B)
    H1, H2 = generators(result.weight, result.output_weight)
    direct = (
        0.5 * ((H1 - G1) ** 2).sum() + 0.5 * ((H2 - G2) ** 2).sum()
        + 0.3 * np.sqrt((H1**2).sum(1)).sum() + 0.2 * np.sqrt((H2**2).sum(1)).sum()
    )  # fmt: skip
    assert trace[-1] == pytest.approx(direct, rel=1e-12)
    assert int(result.weight_mask.sum()) == round(0.4 * A.size)
    assert int(result.output_mask.sum()) == round(0.4 * B.size)
    assert np.all(result.weight[~result.weight_mask] == 0)
    assert np.all(result.output_weight[~result.output_mask] == 0)


def test_the_row_update_is_the_exact_minimiser():
    """One warm-up half-step on a single unit against a numerical minimiser of the same function."""
    A, B = small_problem(5, p=1, n=3)
    lambdas = (0.4, 0.1)
    result = prune_generators(A, B, sparsity=0.0, lambdas=lambdas, warmup=1, iterations=0)
    G1, G2 = generators(A, B)
    u, v = np.maximum(B[0], 0) + np.maximum(-B[1], 0), np.maximum(B[1], 0) + np.maximum(-B[0], 0)

    def f(a):
        return tropical_objective(a[None, :], B, A, B, lambdas=lambdas)

    numeric = minimize(f, A[0], method="Nelder-Mead", options=dict(xatol=1e-10, fatol=1e-14, maxiter=20000))
    assert result.objective[1] == pytest.approx(numeric.fun, abs=1e-7)
    assert u[0] + v[0] > 0 and G1.shape == G2.shape == (1, 3)


def test_clustering_with_full_width_keeps_the_logit_difference():
    net = mlp([2, 9, 2], seed=4)
    with torch.no_grad():
        net[0].bias.copy_(torch.linspace(-1, 1, 9))
    small = cluster_units(net, width=9)
    x = torch.randn(50, 2, generator=torch.Generator().manual_seed(0))
    d_big = net(x)[:, 0] - net(x)[:, 1]
    d_small = small(x)[:, 0] - small(x)[:, 1]
    torch.testing.assert_close(d_small, d_big, atol=1e-5, rtol=1e-5)
    narrow = cluster_units(net, width=3)
    assert narrow[0].weight.shape[0] <= 3


def test_tropical_prune_ticket_and_errors():
    data = load_dataset("moons", n_samples=200, seed=0)
    ticket = tropical_prune(
        functools.partial(mlp, [2, 20, 2]), data, sparsity=0.7, train=dict(epochs=3, batch_size=32), seed=0
    )
    for name, keep in ticket.mask.items():
        assert int(keep.sum()) == round(0.3 * keep.numel())
        assert torch.equal(ticket.trained_state[name][~keep], torch.zeros(int((~keep).sum())))
    assert ticket.provenance["hausdorff"] >= 0 and "objective" in ticket.provenance
    with pytest.raises(ValueError, match="one-hidden-layer"):
        tropical_prune(functools.partial(mlp, [2, 4, 4, 2]), data, sparsity=0.5)
    with pytest.raises(ValueError, match="two classes"):
        prune_generators(np.ones((3, 2)), np.ones((3, 3)), sparsity=0.5)
