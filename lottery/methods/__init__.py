"""The rest of the lottery literature, each method reachable by name through ``METHODS``.

Every entry of ``METHODS`` is called the same way and returns one :class:`lottery.Ticket` with full
provenance (``ticket.provenance["method"]``, ``["paper"]``, ``["seed"]``, ``["dataset"]``, ``["sparsity"]``,
``["layer_sparsity"]``, ``["train"]``, ``["test_accuracy"]`` and the method's own options)::

    ticket = METHODS[name](model_fn, data, *, sparsity, train=None, seed=0, progress=None, **options)

model_fn : callable
    ``model_fn(seed=int) -> torch.nn.Module``, e.g. ``functools.partial(lottery.mlp, [64, 300, 100, 10])``;
    a ``model_fn()`` without ``seed`` (a model class) is called under ``torch.manual_seed(seed)``.
data : lottery.data.Dataset
sparsity : float
    Fraction of the prunable weights removed, in [0, 1) (see each method for what it controls exactly).
train : lottery.TrainConfig or dict, optional
    Training hyper-parameters; ``seed`` replaces their seed.
seed : int
    Seeds everything (θ0, data order, masks, tie-breaks); the global RNGs are never used.
progress : bool, optional
    tqdm bars; default only when stderr is a terminal.

Names
-----
dense, imp, snip, random
    Reference points (:mod:`lottery.methods.baselines`).
supermask, edge_popup
    Learned masks on untrained weights, Bernoulli (Zhou et al. 2019) and top-k (Ramanujan et al. 2020).
early_bird
    Early-Bird tickets (You et al. 2020); ``structure="unstructured"`` for weight masks.
rigl
    RigL dynamic sparse training (Evci et al. 2020).
gmp
    Gradual magnitude pruning (Zhu & Gupta 2017; Gale et al. 2019).
scratch_e, scratch_b
    The pruned architecture from a fresh initialisation (Liu et al. 2019).
transfer
    An IMP ticket found on ``source=`` data or with ``source_train=`` (Morcos et al. 2019).
tropical, tropical_cluster
    Tropical pruning (Alfarra et al. 2022) and generator clustering (Misiakos et al. 2022) of
    one-hidden-layer two-class networks.

>>> sorted(METHODS)[:4]
['dense', 'early_bird', 'edge_popup', 'gmp']
"""

from __future__ import annotations

import functools

from lottery.methods.baselines import at_init, dense, imp_rounds, imp_ticket
from lottery.methods.dynamic_sparsity import cosine_drop_fraction, layer_sparsities, rigl
from lottery.methods.early_bird_tickets import (
    EarlyBirdResult,
    EarlyBirdStopper,
    distance_matrix,
    early_bird,
    early_bird_index,
    early_bird_search,
    mask_distance,
    unit_mask,
    unit_scores,
    weight_mask_from_units,
)
from lottery.methods.from_scratch import scratch, scratch_config
from lottery.methods.gradual_pruning import cubic_sparsity, gmp
from lottery.methods.supermasks import supermask, supermask_training, top_k_mask
from lottery.methods.transfer_tickets import class_subset, mirrored, transfer, transfer_ticket
from lottery.methods.tropical_pruning import (
    cluster_units,
    compare_with_magnitude,
    decision_metrics,
    generators,
    prune_generators,
    tropical_cluster,
    tropical_objective,
    tropical_prune,
)
from lottery.registry import Registry

__all__ = [
    "METHODS",
    "EarlyBirdResult",
    "EarlyBirdStopper",
    "at_init",
    "class_subset",
    "cluster_units",
    "compare_with_magnitude",
    "cosine_drop_fraction",
    "cubic_sparsity",
    "decision_metrics",
    "dense",
    "distance_matrix",
    "early_bird",
    "early_bird_index",
    "early_bird_search",
    "generators",
    "gmp",
    "imp_rounds",
    "imp_ticket",
    "layer_sparsities",
    "mask_distance",
    "mirrored",
    "prune_generators",
    "rigl",
    "scratch",
    "scratch_config",
    "supermask",
    "supermask_training",
    "top_k_mask",
    "transfer",
    "transfer_ticket",
    "tropical_cluster",
    "tropical_objective",
    "tropical_prune",
    "unit_mask",
    "unit_scores",
    "weight_mask_from_units",
]

METHODS: Registry = Registry("lottery method", "method")
for _name, _function in {
    "dense": dense,
    "imp": imp_ticket,
    "snip": functools.partial(at_init, criterion="snip"),
    "random": functools.partial(at_init, criterion="random"),
    "supermask": functools.partial(supermask, variant="bernoulli"),
    "edge_popup": functools.partial(supermask, variant="top_k"),
    "early_bird": early_bird,
    "rigl": rigl,
    "gmp": gmp,
    "scratch_e": functools.partial(scratch, budget="epochs"),
    "scratch_b": functools.partial(scratch, budget="compute"),
    "transfer": transfer,
    "tropical": tropical_prune,
    "tropical_cluster": tropical_cluster,
}.items():
    METHODS.register(_name)(_function)
del _name, _function
