"""The straightforward baseline for ``from_torch``: Zhang et al.'s recursion one monomial set at a time.

Every ⊙ of a layer is accumulated term by term (``acc = (acc ⊙ term).reduced()``): a pairwise Minkowski
sum of the lifted point sets followed by a Qhull reduction after every single addition. It is kept here,
outside the package, as the reference the benchmark measures ``tropical.from_torch`` against; the layer
step itself is the package's (``tropical.network._recursion_layer``) with this product plugged in.
"""

from __future__ import annotations

from tropical.layers import affine_layers
from tropical.network import _recursion_layer
from tropical.polynomial import TropicalPolynomial, TropicalRational


def accumulate(factors, d):
    """⊙ of the factors, adding one at a time and reducing after every addition."""
    result = TropicalPolynomial.constant(0.0, d)
    for factor in factors:
        result = (result * factor).reduced()
    return result


def baseline_from_torch(model) -> list[TropicalRational]:
    """One reduced ``F_k ⊘ G_k`` per output, by the term-by-term recursion."""
    layers = affine_layers(model)
    d = layers[0].n_in
    F = [TropicalPolynomial.variable(k, d) for k in range(d)]
    G = [TropicalPolynomial.constant(0.0, d) for _ in range(d)]
    for layer in layers:
        F, G = _recursion_layer(F, G, layer, d, product=accumulate)
    return [TropicalRational(f, g) for f, g in zip(F, G, strict=True)]
