"""Figures (matplotlib, imported lazily): Newton polygons, dual subdivisions, tropical curves, regions.

Every function draws either a model or what was computed from it -- a ``Regions``, a ``DecisionSubdivision``,
a ``TropicalCurve``, zonotopes or polytopes -- so that nothing is computed twice. One-panel functions take
``ax=None`` as their second parameter (a new figure when omitted), several-panel ones ``axes=None``; none
calls ``plt.show()``. Every function returns a ``dict``: the artists it drew by name (``None`` for a part
that was not drawn), the computed object it drew under ``"result"`` where it has one, and ``"figure"`` and
``"axes"`` where it laid out several panels.

The modules are :mod:`tropical.plot.polynomial`, :mod:`tropical.plot.polytopes` and
:mod:`tropical.plot.linear_regions` (formerly ``tropical.plot.regions``, a name that also belonged to the
function :func:`regions`).
"""

import sys
import types
import warnings

from tropical.plot.linear_regions import regions, regions_comparison
from tropical.plot.polynomial import curve, newton_polygon, tropical_curve
from tropical.plot.polytopes import (
    classifier_geometry,
    decision_polygon,
    decision_polygon_grid,
    lifted_polytope,
    projected_newton_polygon_grid,
    projected_newton_polygons,
)

__all__ = [
    "classifier_geometry",
    "curve",
    "decision_polygon",
    "decision_polygon_grid",
    "lifted_polytope",
    "newton_polygon",
    "projected_newton_polygon_grid",
    "projected_newton_polygons",
    "regions",
    "regions_comparison",
    "tropical_curve",
]


def _renamed_module(old: str, new: str) -> types.ModuleType:
    """A stand-in for a renamed module: ``from old import name`` works, with a DeprecationWarning."""
    shim = types.ModuleType(old, f"Deprecated: renamed {new}.")

    def __getattr__(name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        warnings.warn(f"{old} is renamed {new}; import {name} from {new}", DeprecationWarning, stacklevel=2)
        return getattr(sys.modules[new], name)

    shim.__getattr__ = __getattr__
    return shim


# ``tropical.plot.regions`` stays the function; the old module path still imports its names
sys.modules.setdefault(
    "tropical.plot.regions", _renamed_module("tropical.plot.regions", "tropical.plot.linear_regions")
)
