"""Argument checks shared by :mod:`lottery` (private): one rule for each kind of scalar option.

The scalar checks are :mod:`tropical._validation`'s (one implementation for both packages); the dataset
check is lottery's own.

Every error names the argument and what it must be: a seed is an int (``TypeError`` otherwise; numpy
integers accepted, booleans refused), a fraction a number in ``[low, high]`` (or ``[low, high)``), a count a
positive int (``ValueError``), a dataset anything with the train and validation tensors.
"""

from __future__ import annotations

from tropical._validation import check_fraction, check_positive_int, check_seed

__all__ = ["check_data", "check_fraction", "check_positive_int", "check_seed"]


def check_data(data, name: str = "data") -> None:
    """``TypeError`` unless ``data`` provides ``x_train, y_train, x_val, y_val`` (a lottery.data.Dataset)."""
    for attribute in ("x_train", "y_train", "x_val", "y_val"):
        if not hasattr(data, attribute):
            raise TypeError(
                f"{name} must provide x_train, y_train, x_val, y_val (a lottery.data.Dataset); no {attribute}"
            )
