"""Tropical geometry of ReLU networks: exact max-plus polynomials, Newton polytopes, zonotopes, regions.

Public names (see README): :class:`TropicalPolynomial`, :class:`TropicalRational`, :class:`Polytope`,
:func:`from_torch`, and the submodules ``tropical.metrics`` and ``tropical.plot``.
"""

from tropical.errors import ComputationTooLargeError, DegenerateGeometryError, UnsupportedLayerError
from tropical.polytope import Polytope

__all__ = [
    "ComputationTooLargeError",
    "DegenerateGeometryError",
    "Polytope",
    "UnsupportedLayerError",
]
