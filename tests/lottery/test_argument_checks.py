"""One rule for the scalar options of every lottery entry point (lottery._validation)."""

import functools

import numpy as np
import pytest
import torch

import lottery as lt
from lottery._validation import check_fraction, check_positive_int, check_seed
from lottery.methods import METHODS

DATA = lt.load_dataset("moons", n_samples=60, seed=0)
NET = functools.partial(lt.mlp, [2, 4, 2])
MASK = lt.Mask.ones(NET(seed=0))
STATE = NET(seed=0).state_dict()

SEEDED = {
    "load_dataset": lambda seed: lt.load_dataset("moons", n_samples=60, seed=seed),
    "mlp": lambda seed: lt.mlp([2, 4, 2], seed=seed),
    "TrainConfig": lambda seed: lt.TrainConfig(seed=seed),
    "reinit": lambda seed: lt.reinit("reshuffle", MASK, STATE, seed=seed),
    "prune": lambda seed: lt.prune(NET(seed=0), criterion="random", rate=0.5, seed=seed),
    "iterative_magnitude_pruning": lambda seed: lt.iterative_magnitude_pruning(NET, DATA, 1, seed=seed),
    **{f"METHODS[{name!r}]": functools.partial(METHODS[name], NET, DATA, sparsity=0.5)
       for name in ("imp", "snip", "rigl", "gmp", "supermask", "tropical")},
}  # fmt: skip


@pytest.mark.parametrize("seed", [True, 1.5, "0"])
@pytest.mark.parametrize("entry", sorted(SEEDED))
def test_every_entry_point_refuses_a_non_int_seed_by_name(entry, seed):
    with pytest.raises(TypeError, match="seed must be an int"):
        SEEDED[entry](seed=seed)


def test_numpy_integer_seeds_are_accepted_and_stored_as_int():
    config = lt.TrainConfig(seed=np.int64(3))
    assert config.seed == 3 and type(config.seed) is int
    a, b = lt.mlp([2, 3, 2], seed=np.int32(5)), lt.mlp([2, 3, 2], seed=5)
    assert all(torch.equal(x, y) for x, y in zip(a.parameters(), b.parameters(), strict=True))


@pytest.mark.parametrize("value", [-0.1, 1.0, float("nan"), True, "0.5", None])
def test_sparsity_outside_the_half_open_unit_interval_is_refused(value):
    with pytest.raises(ValueError, match=r"sparsity must be a number in \[0.0, 1.0\)"):
        check_fraction(value, "sparsity", open_high=True)
    with pytest.raises(ValueError, match="sparsity must be a number"):
        METHODS["snip"](NET, DATA, sparsity=value)


@pytest.mark.parametrize("value", [0.0, 0.25, 1, np.float32(0.5), np.int64(1)])
def test_fractions_in_the_closed_interval_come_back_as_floats(value):
    out = check_fraction(value, "rate")
    assert type(out) is float and out == float(value)


@pytest.mark.parametrize("value", [0, -1, 2.0, True, None])
def test_counts_must_be_positive_ints(value):
    with pytest.raises(ValueError, match="rounds must be an int >= 1"):
        check_positive_int(value, "rounds")
    with pytest.raises(ValueError, match="rounds must be an int >= 1"):
        lt.iterative_magnitude_pruning(NET, DATA, value)
    assert check_positive_int(np.int16(0), "warmup", allow_zero=True) == 0


def test_seed_none_only_where_allowed():
    assert check_seed(None, allow_none=True) is None
    with pytest.raises(TypeError, match="seed must be an int, got NoneType"):
        check_seed(None)
