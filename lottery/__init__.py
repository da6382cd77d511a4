"""Lottery tickets: masks, pruning criteria, re-initialisations, training, tickets and offline data.

>>> import lottery as lt
>>> data = lt.load_dataset("moons", n_samples=200, seed=0)
>>> net = lt.mlp([2, 16, 2], seed=0)
>>> mask = lt.prune(net, criterion="magnitude", rate=0.5)
>>> round(mask.density, 2)
0.5
"""

from lottery._compat import RENAMED_MODULES  # noqa: F401  (registers the old module names first)
from lottery.criteria import CRITERIA, layerwise_rates, mask_from_scores, prune, scores, snip_scores
from lottery.data import DATASETS, Dataset, load_dataset
from lottery.experiments import ComparisonResult, compare_initializations
from lottery.imp import IMPResult, iterative_magnitude_pruning, retrain
from lottery.masks import Mask, hamming_distance, prunable_names
from lottery.models import mlp
from lottery.registry import Registry
from lottery.reinitialisation import PRUNED_VALUES, REINITS, pruned_values, reinit
from lottery.ticket import Ticket
from lottery.training import History, TrainConfig, TrainResult, evaluate, train

__all__ = [
    "CRITERIA",
    "DATASETS",
    "PRUNED_VALUES",
    "REINITS",
    "ComparisonResult",
    "Dataset",
    "History",
    "IMPResult",
    "Mask",
    "Registry",
    "Ticket",
    "TrainConfig",
    "TrainResult",
    "compare_initializations",
    "evaluate",
    "hamming_distance",
    "iterative_magnitude_pruning",
    "layerwise_rates",
    "load_dataset",
    "mask_from_scores",
    "mlp",
    "prunable_names",
    "prune",
    "pruned_values",
    "reinit",
    "retrain",
    "scores",
    "snip_scores",
    "train",
]
