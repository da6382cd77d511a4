"""Symbolic export of tropical polynomials: sympy expressions and LaTeX."""

from __future__ import annotations

import numpy as np

__all__ = ["to_latex", "to_sympy"]


def _number(value: float, exact: bool):
    import sympy

    if exact:
        # the shortest decimal that round-trips to this float, as an exact fraction (0.1 -> 1/10)
        return sympy.Rational(repr(float(value)))
    return sympy.Float(float(value))


def to_sympy(polynomial, symbols=None, *, exact: bool = False):
    """The polynomial as ``sympy.Max`` of affine forms ``c_i + sum_k a_ik x_k``.

    Parameters
    ----------
    polynomial : TropicalPolynomial
    symbols : sequence of sympy.Symbol, optional
        One per variable; default ``x0, x1, ...``.
    exact : bool
        Write every exponent and coefficient as an exact ``sympy.Rational`` (the shortest decimal that
        round-trips to the float), so that ``0.1`` becomes ``1/10``.

    Returns
    -------
    sympy.Expr
        ``sympy.Max(...)`` (or a single affine form for a one-monomial polynomial). Sympy may drop
        affine forms that are dominated symbolically.
    """
    import sympy

    d = polynomial.dimension
    if symbols is None:
        symbols = sympy.symbols(f"x0:{d}") if d > 1 else (sympy.Symbol("x0"),)
    symbols = tuple(symbols)
    if len(symbols) != d:
        raise ValueError(f"symbols must have one entry per variable ({d}), got {len(symbols)}")
    forms = [
        _number(c, exact)
        + sum(_number(a_k, exact) * x_k for a_k, x_k in zip(a, symbols, strict=True) if a_k != 0)
        for a, c in zip(polynomial.exponents, polynomial.coefficients, strict=True)
    ]
    return sympy.Max(*forms)


def _format(value: float, precision: int) -> str:
    text = f"{value:.{precision}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = rf"{mantissa} \cdot 10^{{{int(exponent)}}}"
    return text


def to_latex(polynomial, *, notation: str = "tropical", precision: int = 3, variable: str = "x") -> str:
    r"""LaTeX for a tropical polynomial.

    Parameters
    ----------
    polynomial : TropicalPolynomial
    notation : {"tropical", "max"}
        ``"tropical"``: ``c \odot x_1^{a_1} x_2^{a_2} \oplus \dots`` (tropical powers, exponent 0 omitted);
        ``"max"``: ``\max(c + a_1 x_1 + a_2 x_2, \dots)``.
    precision : int
        Significant digits of the numbers.
    variable : str
        Name of the variables, indexed from 1.

    Returns
    -------
    str
    """
    if notation not in ("tropical", "max"):
        raise ValueError(f"notation must be 'tropical' or 'max', got {notation!r}")
    terms = []
    for a, c in zip(polynomial.exponents, polynomial.coefficients, strict=True):
        nonzero = np.flatnonzero(a)
        if notation == "tropical":
            factors = [
                f"{variable}_{{{k + 1}}}" + ("" if a[k] == 1 else f"^{{{_format(a[k], precision)}}}")
                for k in nonzero
            ]
            if c != 0 or not factors:
                factors.insert(0, _format(c, precision))
            terms.append(r" \odot ".join(factors))
        else:
            parts = [_format(c, precision)] if c != 0 or len(nonzero) == 0 else []
            for k in nonzero:
                sign = "-" if a[k] < 0 else "+"
                factor = "" if abs(a[k]) == 1 else _format(abs(a[k]), precision) + " "
                parts.append(f"{sign} {factor}{variable}_{{{k + 1}}}")
            text = " ".join(parts)
            terms.append(text[2:] if text.startswith("+ ") else text)
    if notation == "tropical":
        return r" \oplus ".join(terms)
    return r"\max\left(" + ", ".join(terms) + r"\right)"
