"""Figures (matplotlib, imported lazily): Newton polygons, dual subdivisions, tropical curves, regions.

Every function takes ``ax=None`` and returns the artists it drew; none calls ``plt.show()``.
"""

from tropical.plot.polynomial import newton_polygon, tropical_curve
from tropical.plot.polytopes import (
    classifier_geometry,
    decision_polygon,
    decision_polygon_grid,
    lifted_polytope,
    projected_newton_polygon_grid,
    projected_newton_polygons,
)
from tropical.plot.regions import regions, regions_comparison

__all__ = [
    "classifier_geometry",
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
