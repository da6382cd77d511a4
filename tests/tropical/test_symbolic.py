"""sympy and LaTeX export."""

import numpy as np
import pytest
import sympy

from tropical import TropicalPolynomial


def test_sympy_expression_evaluates_like_the_polynomial():
    rng = np.random.default_rng(0)
    p = TropicalPolynomial(rng.normal(size=(6, 3)), rng.normal(size=6))
    expression = p.to_sympy()
    symbols = sympy.symbols("x0:3")
    function = sympy.lambdify(symbols, expression, "numpy")
    X = rng.normal(size=(20, 3))
    np.testing.assert_allclose([function(*x) for x in X], p(X))


def test_exact_rationals():
    p = TropicalPolynomial([[0.5, 0.0], [0.0, 0.1]], [0.25, -0.3])
    x, y = sympy.symbols("x y")
    expression = p.to_sympy([x, y], exact=True)
    assert expression == sympy.Max(sympy.Rational(1, 4) + x / 2, -sympy.Rational(3, 10) + y / 10)
    with pytest.raises(ValueError, match="one entry per variable"):
        p.to_sympy([x])


def test_latex_notations():
    p = TropicalPolynomial([[0.0, 0.0], [1.0, 0.0], [2.0, 1.5]], [0.0, 1.0, -2.0])
    tropical = p.to_latex()
    assert tropical == r"0 \oplus 1 \odot x_{1} \oplus -2 \odot x_{1}^{2} \odot x_{2}^{1.5}"
    assert p.to_latex(notation="max") == r"\max\left(0, 1 + x_{1}, -2 + 2 x_{1} + 1.5 x_{2}\right)"
    with pytest.raises(ValueError, match="notation"):
        p.to_latex(notation="plus")
