"""Tropical geometry of ReLU networks: exact max-plus polynomials, Newton polytopes, zonotopes, regions.

Public names (see README): :class:`TropicalPolynomial`, :class:`TropicalRational`, :class:`Polytope`,
:func:`from_torch`, and the submodules ``tropical.metrics`` and ``tropical.plot``.

Names are imported on first use (PEP 562), so ``import tropical`` costs almost nothing and a script that only
computes linear regions never loads scipy.optimize, shapely, sympy or matplotlib.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

#: public name -> module that defines it
_WHERE = {
    "ComputationTooLargeError": "tropical.errors",
    "DegenerateGeometryError": "tropical.errors",
    "TropicalError": "tropical.errors",
    "UnsupportedLayerError": "tropical.errors",
    "Polytope": "tropical.polytope",
    "Regions": "tropical.regions",
    "TropicalCurve": "tropical.curve",
    "TropicalMap": "tropical.network",
    "TropicalPolynomial": "tropical.polynomial",
    "TropicalRational": "tropical.polynomial",
    "Zonotope": "tropical.zonotope",
    "ZonotopeHull": "tropical.zonotope",
    "DecisionWeights": "tropical.decision",
    "decision_hull": "tropical.decision",
    "decision_boundary": "tropical.regions",
    "decision_polytope": "tropical.decision",
    "decision_regions": "tropical.regions",
    "decision_subdivision": "tropical.decision",
    "decision_weights": "tropical.decision",
    "decision_zonotopes": "tropical.decision",
    "from_torch": "tropical.network",
    "Graph": "tropical.graph",
    "piecewise_linear_graph": "tropical.graph",
    "linear_regions": "tropical.regions",
    "region_count_bound": "tropical.network",
}
_SUBMODULES = ("metrics", "plot")

__all__ = [
    "ComputationTooLargeError",
    "DecisionWeights",
    "DegenerateGeometryError",
    "Graph",
    "Polytope",
    "Regions",
    "TropicalCurve",
    "TropicalError",
    "TropicalMap",
    "TropicalPolynomial",
    "TropicalRational",
    "UnsupportedLayerError",
    "Zonotope",
    "ZonotopeHull",
    "decision_boundary",
    "decision_hull",
    "decision_polytope",
    "decision_regions",
    "decision_subdivision",
    "decision_weights",
    "decision_zonotopes",
    "from_torch",
    "linear_regions",
    "metrics",
    "piecewise_linear_graph",
    "plot",
    "region_count_bound",
]


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"tropical.{name}")
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module 'tropical' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # static analysers and IDEs see the eager imports
    from tropical import metrics, plot
    from tropical.curve import TropicalCurve
    from tropical.decision import (
        DecisionWeights,
        decision_hull,
        decision_polytope,
        decision_subdivision,
        decision_weights,
        decision_zonotopes,
    )
    from tropical.errors import (
        ComputationTooLargeError,
        DegenerateGeometryError,
        TropicalError,
        UnsupportedLayerError,
    )
    from tropical.graph import Graph, piecewise_linear_graph
    from tropical.network import TropicalMap, from_torch, region_count_bound
    from tropical.polynomial import TropicalPolynomial, TropicalRational
    from tropical.polytope import Polytope
    from tropical.regions import Regions, decision_boundary, decision_regions, linear_regions
    from tropical.zonotope import Zonotope, ZonotopeHull
