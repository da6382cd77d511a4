"""Tropical geometry of ReLU networks: exact max-plus polynomials, Newton polytopes, zonotopes, regions.

Public names (see README): :class:`TropicalPolynomial`, :class:`TropicalRational`, :class:`Polytope`,
:func:`from_torch`, and the submodules ``tropical.metrics`` and ``tropical.plot``.
"""

from tropical import metrics, plot
from tropical.decision import decision_polytope, decision_subdivision, decision_zonotopes
from tropical.errors import (
    ComputationTooLargeError,
    DegenerateGeometryError,
    TropicalError,
    UnsupportedLayerError,
)
from tropical.network import TropicalMap, from_torch, region_count_bound
from tropical.polynomial import TropicalPolynomial, TropicalRational
from tropical.polytope import Polytope
from tropical.regions import Regions, decision_boundary, decision_regions, linear_regions
from tropical.subdivision import TropicalCurve
from tropical.zonotope import Zonotope

__all__ = [
    "ComputationTooLargeError",
    "DegenerateGeometryError",
    "Polytope",
    "Regions",
    "TropicalCurve",
    "TropicalError",
    "TropicalMap",
    "TropicalPolynomial",
    "TropicalRational",
    "UnsupportedLayerError",
    "Zonotope",
    "decision_boundary",
    "decision_polytope",
    "decision_regions",
    "decision_subdivision",
    "decision_zonotopes",
    "from_torch",
    "linear_regions",
    "metrics",
    "plot",
    "region_count_bound",
]
