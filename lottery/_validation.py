"""Argument checks shared by :mod:`lottery` (private): one rule for each kind of scalar option.

Every error names the argument and what it must be: a seed is an int (``TypeError`` otherwise; numpy
integers accepted, booleans refused), a fraction a number in ``[low, high]`` (or ``[low, high)``), a count a
positive int (``ValueError``), a dataset anything with the train and validation tensors.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["check_data", "check_fraction", "check_positive_int", "check_seed"]


def check_seed(seed, name: str = "seed", *, allow_none: bool = False) -> int | None:
    """``seed`` as an int (``None`` too if ``allow_none``), else ``TypeError`` naming the argument.

    >>> check_seed(np.int64(3))
    3
    >>> check_seed(True)
    Traceback (most recent call last):
    ...
    TypeError: seed must be an int, got bool
    """
    if seed is None and allow_none:
        return None
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        what = "an int or None" if allow_none else "an int"
        raise TypeError(f"{name} must be {what}, got {type(seed).__name__}")
    return int(seed)


def check_fraction(
    value, name: str, *, low: float = 0.0, high: float = 1.0, open_high: bool = False
) -> float:
    """A number in ``[low, high]`` (``[low, high)`` if ``open_high``) as a float, else ``ValueError``.

    >>> check_fraction(1, "rate")
    1.0
    >>> check_fraction(1.0, "sparsity", open_high=True)
    Traceback (most recent call last):
    ...
    ValueError: sparsity must be a number in [0.0, 1.0), got 1.0
    """
    bracket = ")" if open_high else "]"
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"{name} must be a number in [{low}, {high}{bracket}, got {value!r}")
    value = float(value)
    if math.isnan(value) or value < low or value > high or (open_high and value == high):
        raise ValueError(f"{name} must be a number in [{low}, {high}{bracket}, got {value!r}")
    return value


def check_positive_int(value, name: str, *, allow_zero: bool = False) -> int:
    """An int ``>= 1`` (``>= 0`` if ``allow_zero``), numpy integers accepted, else ``ValueError``.

    >>> check_positive_int(0, "rounds")
    Traceback (most recent call last):
    ...
    ValueError: rounds must be an int >= 1, got 0
    """
    low = 0 if allow_zero else 1
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    return int(value)


def check_data(data, name: str = "data") -> None:
    """``TypeError`` unless ``data`` provides ``x_train, y_train, x_val, y_val`` (a lottery.data.Dataset)."""
    for attribute in ("x_train", "y_train", "x_val", "y_val"):
        if not hasattr(data, attribute):
            raise TypeError(
                f"{name} must provide x_train, y_train, x_val, y_val (a lottery.data.Dataset); no {attribute}"
            )
