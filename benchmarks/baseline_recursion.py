"""The straightforward baseline for ``from_torch``: Zhang et al.'s recursion one monomial set at a time.

Every ⊙ of a layer is accumulated term by term (``acc = (acc ⊙ term).reduced()``): a pairwise Minkowski
sum of the lifted point sets followed by a Qhull reduction after every single addition. It is kept here,
outside the package, as the reference the benchmark measures ``tropical.from_torch`` against.
"""

from __future__ import annotations

from tropical.layers import affine_layers
from tropical.polynomial import TropicalPolynomial, TropicalRational


def _accumulate(factors, d):
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
        new_F, new_G = [], []
        for row, bias in zip(layer.weight, layer.bias, strict=True):
            h = [F[j] ** w for j, w in enumerate(row) if w > 0] + [
                G[j] ** -w for j, w in enumerate(row) if w < 0
            ]
            n = [G[j] ** w for j, w in enumerate(row) if w > 0] + [
                F[j] ** -w for j, w in enumerate(row) if w < 0
            ]
            H, N = _accumulate(h, d) * float(bias), _accumulate(n, d)
            if layer.slope is None:
                new_F.append(H)
            elif layer.slope == 0:
                new_F.append((H + N).reduced())
            else:
                leaky = ((H**layer.slope) * (N ** (1 - layer.slope))).reduced()
                new_F.append((H + leaky).reduced())
            new_G.append(N)
        F, G = new_F, new_G
    return [TropicalRational(f, g) for f, g in zip(F, G, strict=True)]
