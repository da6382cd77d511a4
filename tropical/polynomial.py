"""Max-plus polynomials with real exponents ("tropical signomials") and their quotients.

A tropical polynomial in ``d`` variables is ``f(x) = max_i (c_i + <a_i, x>)`` (docs/math.md §1), stored as an
``(m, d)`` array of exponents ``a_i`` and an ``(m,)`` array of coefficients ``c_i``. Tropical addition
⊕ is the maximum, tropical multiplication ⊙ the sum; ``f ⊙ g`` is the Minkowski sum of the lifted point
sets and ``f^{⊙t}`` scales every exponent and coefficient by ``t >= 0``.

Which monomials coincide, tie or are kept is decided relative to the scales of the exponents and of the
coefficients, as written in ``docs/tolerances.md`` (implemented in :mod:`tropical.hull`).

References
----------
Maclagan & Sturmfels, *Introduction to Tropical Geometry*, AMS 2015 (dual subdivisions, hypersurfaces).
Zhang, Naitzat & Lim, "Tropical Geometry of Deep Neural Networks", ICML 2018 (real exponents).
"""

from __future__ import annotations

from numbers import Real

import numpy as np

from tropical._validation import float_array, positional_deprecated
from tropical.errors import ComputationTooLargeError
from tropical.hull import RELATIVE_TOLERANCE, unique_rows, upper_faces, upper_hull_vertices
from tropical.polytope import Polytope

__all__ = ["TropicalPolynomial", "TropicalRational"]

#: Products with more candidate monomials than this raise instead of exhausting memory.
MAX_PRODUCT_MONOMIALS = 20_000_000
#: Evaluate in chunks of at most this many (point, monomial) pairs.
_EVALUATION_CHUNK = 4_000_000


class TropicalPolynomial:
    """A max-plus polynomial ``f(x) = max_i (c_i + <a_i, x>)`` with real exponents.

    Parameters
    ----------
    exponents : array_like, shape (m, d)
        One exponent vector per monomial (any real numbers).
    coefficients : array_like, shape (m,)
        Coefficient of each monomial. ``-inf`` (the tropical zero) drops the monomial.

    Examples
    --------
    >>> p = TropicalPolynomial([[0.0], [1.0], [2.0]], [0.0, 1.0, -5.0])  # max(0, 1 + x, 2x - 5)
    >>> p([[0.0], [10.0]])
    array([ 1., 15.])
    >>> p.reduced().exponents.ravel()  # every monomial is the unique max somewhere
    array([0., 1., 2.])
    """

    __array_priority__ = 1000  # so that ``3.0 * p`` calls ``p.__rmul__``

    def __init__(self, exponents, coefficients):
        exponents = float_array(exponents, "exponents", finite=False)
        coefficients = float_array(coefficients, "coefficients", finite=False)
        if exponents.ndim != 2:
            raise ValueError(f"exponents must have shape (m, d), got {exponents.shape}")
        if coefficients.shape != (exponents.shape[0],):
            raise ValueError(
                f"coefficients must have shape ({exponents.shape[0]},) to match exponents "
                f"{exponents.shape}, got {coefficients.shape}"
            )
        if not np.all(np.isfinite(exponents)):
            raise ValueError("exponents must be finite")
        if np.isposinf(coefficients).any():
            raise ValueError("coefficients must not be +inf")
        keep = np.isfinite(coefficients)
        if not keep.any():
            raise ValueError("a tropical polynomial needs at least one monomial with a finite coefficient")
        self.exponents = exponents[keep]
        self.coefficients = coefficients[keep]
        self.exponents.setflags(write=False)
        self.coefficients.setflags(write=False)

    # ----------------------------------------------------------------------------------- constructors
    @classmethod
    def constant(cls, c: float, d: int) -> TropicalPolynomial:
        """The constant ``c`` in ``d`` variables (one monomial with exponent 0)."""
        return cls(np.zeros((1, d)), [c])

    @classmethod
    def monomial(cls, exponent, coefficient: float = 0.0) -> TropicalPolynomial:
        """The single monomial ``coefficient + <exponent, x>``."""
        return cls(np.atleast_2d(np.asarray(exponent, dtype=float)), [coefficient])

    @classmethod
    def variable(cls, k: int, d: int) -> TropicalPolynomial:
        """The coordinate function ``x_k`` in ``d`` variables."""
        if not 0 <= k < d:
            raise ValueError(f"variable index k={k} must be in [0, {d})")
        return cls(np.eye(d)[[k]], [0.0])

    # ---------------------------------------------------------------------------------- basic access
    @property
    def dimension(self) -> int:
        """Number of variables ``d``."""
        return self.exponents.shape[1]

    def __len__(self) -> int:
        return self.exponents.shape[0]

    @property
    def lifted(self) -> np.ndarray:
        """Lifted points ``(a_i, c_i)``, shape (m, d + 1)."""
        return np.column_stack([self.exponents, self.coefficients])

    def __repr__(self) -> str:
        return f"TropicalPolynomial(monomials={len(self)}, variables={self.dimension})"

    # ------------------------------------------------------------------------------------ evaluation
    def _points(self, X) -> tuple[np.ndarray, bool]:
        X = float_array(X, "X", finite=False)
        single = X.ndim == 1
        X = np.atleast_2d(X)
        if X.shape[1] != self.dimension:
            raise ValueError(f"X must have {self.dimension} columns (one per variable), got {X.shape}")
        return X, single

    def __call__(self, X) -> np.ndarray:
        """Evaluate at a batch of points.

        Parameters
        ----------
        X : array_like or torch.Tensor, shape (n, d) or (d,)

        Returns
        -------
        ndarray, shape (n,) (a float for a single point)
        """
        values, _ = self.evaluate_with_argmax(X)
        return values

    def evaluate_with_argmax(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Values and the index of a maximising monomial at each point, both shape (n,)."""
        X, single = self._points(X)
        values = np.empty(len(X))
        argmax = np.empty(len(X), dtype=np.int64)
        step = max(1, _EVALUATION_CHUNK // max(len(self), 1))
        for start in range(0, len(X), step):
            block = X[start : start + step] @ self.exponents.T + self.coefficients
            argmax[start : start + step] = block.argmax(axis=1)
            values[start : start + step] = block.max(axis=1)
        if single:
            return values[0], argmax[0]
        return values, argmax

    # ------------------------------------------------------------------------------------ arithmetic
    def _coerce(self, other) -> TropicalPolynomial:
        if isinstance(other, TropicalPolynomial):
            if other.dimension != self.dimension:
                raise ValueError(
                    f"cannot combine polynomials in {self.dimension} and {other.dimension} variables"
                )
            return other
        if isinstance(other, Real):
            return TropicalPolynomial.constant(float(other), self.dimension)
        return NotImplemented

    def __add__(self, other) -> TropicalPolynomial:
        """Tropical sum ⊕: the pointwise maximum (union of the monomials)."""
        other = self._coerce(other)
        if other is NotImplemented:
            return NotImplemented
        return TropicalPolynomial(
            np.vstack([self.exponents, other.exponents]),
            np.concatenate([self.coefficients, other.coefficients]),
        )

    __radd__ = __add__

    def __mul__(self, other) -> TropicalPolynomial:
        """Tropical product ⊙: the pointwise sum (all pairwise sums of monomials; not reduced)."""
        other = self._coerce(other)
        if other is NotImplemented:
            return NotImplemented
        size = len(self) * len(other)
        if size > MAX_PRODUCT_MONOMIALS:
            raise ComputationTooLargeError(
                f"the product has {len(self)} x {len(other)} = {size:,} candidate monomials "
                f"(limit {MAX_PRODUCT_MONOMIALS:,}); reduce the factors first with .reduced()",
                estimate=size,
                limit=MAX_PRODUCT_MONOMIALS,
            )
        exponents = (self.exponents[:, None, :] + other.exponents[None, :, :]).reshape(-1, self.dimension)
        coefficients = (self.coefficients[:, None] + other.coefficients[None, :]).ravel()
        return TropicalPolynomial(exponents, coefficients)

    __rmul__ = __mul__

    def __pow__(self, t: float) -> TropicalPolynomial:
        """Tropical power ``f^{⊙t} = t f`` for real ``t >= 0``."""
        if not isinstance(t, Real) or not np.isfinite(t) or t < 0:
            raise ValueError(f"the tropical power must be a finite real number >= 0, got {t!r}")
        if t == 0:
            return TropicalPolynomial.constant(0.0, self.dimension)
        return TropicalPolynomial(t * self.exponents, t * self.coefficients)

    # ------------------------------------------------------------------------------------- geometry
    def reduced(self, *, tolerance: float = RELATIVE_TOLERANCE) -> TropicalPolynomial:
        """The same function with only the vertices of the upper hull of the lifted points.

        A monomial is kept iff it is the unique maximum on some open set (docs/math.md §1): iff it beats every
        other monomial somewhere by more than ``tolerance`` relative to the size of the terms there
        (docs/tolerances.md, "Tie"). One decision per monomial, so ``p.reduced().reduced()`` equals
        ``p.reduced()``, and scaling exponents or coefficients does not change which monomials are kept.
        Duplicate exponents keep the largest coefficient; flat exponent sets, coplanar lifted points and
        ``d = 1`` are handled exactly (see :func:`tropical.hull.upper_hull_vertices`). Monomials are
        returned in lexicographic order of their exponents.
        """
        keep = upper_hull_vertices(self.lifted, tolerance)
        order = np.lexsort(self.exponents[keep].T[::-1]) if self.dimension else np.arange(len(keep))
        return TropicalPolynomial(self.exponents[keep[order]], self.coefficients[keep[order]])

    def newton_polytope(self) -> Polytope:
        """Newton polytope ``conv{a_i}`` (possibly lower-dimensional)."""
        return Polytope(self.exponents)

    def extended_newton_polytope(self) -> Polytope:
        """Convex hull of the lifted points ``(a_i, c_i)`` in ``R^{d+1}``."""
        return Polytope(self.lifted)

    def dual_subdivision(self, *, tolerance: float = RELATIVE_TOLERANCE) -> list[np.ndarray]:
        """Cells of the dual subdivision: projections of the upper faces of the lifted points.

        Coplanar Qhull facets are merged, so every cell is a true maximal face. Each cell is an array of
        indices into ``self.exponents`` (its vertices; counter-clockwise when ``d = 2``). The cells are in
        bijection with the vertices of the tropical hypersurface (the points where the monomials of a
        cell tie).
        """
        return [face.vertices for face in upper_faces(self.lifted, tolerance)]

    def hypersurface(self, *legacy, bounds=None, tolerance: float = RELATIVE_TOLERANCE):
        """The tropical curve of a polynomial in two variables, clipped to a box.

        ``bounds=(xmin, xmax, ymin, ymax)`` is keyword-only (positionally: deprecated). See
        :func:`tropical.curve.tropical_curve`.

        >>> p = TropicalPolynomial([[0, 0], [1, 0], [0, 1]], [0.0, 0.0, 0.0])
        >>> len(p.hypersurface(bounds=(-1, 1, -1, 1)).segments)  # three rays from the origin
        3
        """
        from tropical.curve import tropical_curve

        bounds = positional_deprecated("TropicalPolynomial.hypersurface", ("bounds",), legacy).get(
            "bounds", bounds
        )
        return tropical_curve(self, bounds=bounds, tolerance=tolerance)

    def same_function(self, other: TropicalPolynomial, *, tolerance: float = 1e-9) -> bool:
        """Whether both polynomials have the same reduced monomials (hence equal everywhere).

        Lifted points are matched within ``tolerance`` times the largest of 1 and their largest entry
        (docs/tolerances.md); monomials inside faces of the upper hull are no part of either reduction.
        """
        a, b = self.reduced(), other.reduced()
        if len(a) != len(b):
            return False
        lifted_a, lifted_b = a.lifted, b.lifted
        scale = tolerance * max(1.0, np.abs(lifted_a).max(), np.abs(lifted_b).max())
        distance = np.abs(lifted_a[:, None, :] - lifted_b[None, :, :]).max(axis=-1)
        return bool((distance.min(axis=1) <= scale).all() and (distance.min(axis=0) <= scale).all())

    def deduplicated(self) -> TropicalPolynomial:
        """Merge monomials with equal exponents, keeping the largest coefficient (cheap, not a reduction)."""
        _, groups = unique_rows(self.exponents)
        best = np.full(groups.max() + 1, -np.inf)
        np.maximum.at(best, groups, self.coefficients)
        first = np.unique(groups, return_index=True)[1]
        return TropicalPolynomial(self.exponents[first], best)

    # -------------------------------------------------------------------------------------- export
    def to_sympy(self, symbols=None, *, exact: bool = False):
        """A ``sympy.Max`` of affine forms; see :func:`tropical.symbolic.to_sympy`."""
        from tropical.symbolic import to_sympy

        return to_sympy(self, symbols, exact=exact)

    def to_latex(self, *, notation: str = "tropical", precision: int = 3) -> str:
        """LaTeX string; see :func:`tropical.symbolic.to_latex`."""
        from tropical.symbolic import to_latex

        return to_latex(self, notation=notation, precision=precision)


class TropicalRational:
    """A tropical rational function ``r = F ⊘ G``, i.e. ``r(x) = F(x) - G(x)``.

    Parameters
    ----------
    numerator, denominator : TropicalPolynomial
        ``F`` and ``G``, in the same number of variables.
    """

    def __init__(self, numerator: TropicalPolynomial, denominator: TropicalPolynomial):
        if not isinstance(numerator, TropicalPolynomial) or not isinstance(denominator, TropicalPolynomial):
            raise TypeError("numerator and denominator must be TropicalPolynomial instances")
        if numerator.dimension != denominator.dimension:
            raise ValueError(
                f"numerator has {numerator.dimension} variables but denominator has {denominator.dimension}"
            )
        self.numerator = numerator
        self.denominator = denominator

    @property
    def dimension(self) -> int:
        return self.numerator.dimension

    def __call__(self, X) -> np.ndarray:
        """``F(X) - G(X)``, shape (n,)."""
        return self.numerator(X) - self.denominator(X)

    def reduced(self) -> TropicalRational:
        return TropicalRational(self.numerator.reduced(), self.denominator.reduced())

    def __repr__(self) -> str:
        return (
            f"TropicalRational(numerator={len(self.numerator)} monomials, "
            f"denominator={len(self.denominator)} monomials, variables={self.dimension})"
        )
