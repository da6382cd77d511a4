"""Tropical geometry of ReLU networks: exact max-plus polynomials, Newton polytopes, zonotopes, regions.

Public names (see README): :class:`TropicalPolynomial`, :class:`TropicalRational`, :class:`Polytope`,
:func:`from_torch`, and the submodules ``tropical.metrics`` and ``tropical.plot``.
"""

from tropical.errors import ComputationTooLargeError, DegenerateGeometryError, UnsupportedLayerError
from tropical.network import TropicalMap, from_torch, region_count_bound
from tropical.polynomial import TropicalPolynomial, TropicalRational
from tropical.polytope import Polytope
from tropical.regions import Regions, decision_boundary, decision_regions, linear_regions
from tropical.subdivision import TropicalCurve

__all__ = [
    "ComputationTooLargeError",
    "DegenerateGeometryError",
    "Polytope",
    "Regions",
    "TropicalCurve",
    "TropicalMap",
    "TropicalPolynomial",
    "TropicalRational",
    "UnsupportedLayerError",
    "decision_boundary",
    "decision_regions",
    "from_torch",
    "linear_regions",
    "region_count_bound",
]
