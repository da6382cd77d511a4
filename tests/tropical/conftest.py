"""Shared independent oracles for the tropical tests."""

import numpy as np
import pytest
from scipy.optimize import linprog


def unique_max_somewhere(exponents, coefficients, margin=1e-7):
    """Brute force by linear programming: monomial i is kept iff it beats all others by a margin somewhere.

    Maximise t subject to c_j + <a_j, x> + t <= c_i + <a_i, x> for all j != i and t <= 1.
    """
    exponents, coefficients = np.asarray(exponents, float), np.asarray(coefficients, float)
    m, d = exponents.shape
    kept = []
    for i in range(m):
        others = [j for j in range(m) if j != i]
        if not others:
            kept.append(i)
            continue
        a_ub = np.hstack([exponents[others] - exponents[i], np.ones((len(others), 1))])
        b_ub = coefficients[i] - coefficients[others]
        c = np.zeros(d + 1)
        c[-1] = -1
        result = linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=[(None, None)] * d + [(None, 1)], method="highs")
        if result.status == 0 and -result.fun > margin:
            kept.append(i)
    return kept


@pytest.fixture
def unique_max_oracle():
    return unique_max_somewhere
