"""Experiments: compare the initialisations a pruned network is retrained from, end to end.

>>> from lottery.experiments import compare_initializations
>>> result = compare_initializations(hidden=8, sparsities=(0.5, 0.9), inits=("lottery", "reshuffle"),
...                                  seeds=1, epochs=2, cache=False)
>>> sorted({row["init"] for row in result.rows})
['lottery', 'reshuffle']

The sweep runs through any ``concurrent.futures.Executor`` (``executor=``) and caches every finished task on
disk by a hash of its configuration (``cache=``, ``cache_dir=``).
"""

from lottery.experiments.config import INITIALIZATIONS, ComparisonConfig
from lottery.experiments.result import METRIC_LABELS, ComparisonResult
from lottery.experiments.runner import (
    CACHE_VERSION,
    COLUMNS,
    compare_initializations,
    decision_metrics,
    default_cache_dir,
    model_widths,
    run_comparison,
    train_dense,
    train_ticket,
)

__all__ = [
    "CACHE_VERSION",
    "COLUMNS",
    "INITIALIZATIONS",
    "METRIC_LABELS",
    "ComparisonConfig",
    "ComparisonResult",
    "compare_initializations",
    "decision_metrics",
    "default_cache_dir",
    "model_widths",
    "run_comparison",
    "train_dense",
    "train_ticket",
]
