"""Metrics: polytope similarity and decision-boundary / linear-region comparisons."""

from tropical.metrics.boundary import (
    RegionStatistics,
    boundary_hausdorff,
    class_iou,
    region_agreement,
    region_statistics,
)
from tropical.metrics.polytope import (
    NORMALIZATIONS,
    centroid_shift,
    compare_polytopes,
    generator_distance,
    hausdorff,
    iou,
    normalized,
    support_distance,
    vertex_count,
    volume_ratio,
)

__all__ = [
    "NORMALIZATIONS",
    "RegionStatistics",
    "boundary_hausdorff",
    "centroid_shift",
    "class_iou",
    "compare_polytopes",
    "generator_distance",
    "hausdorff",
    "iou",
    "normalized",
    "region_agreement",
    "region_statistics",
    "support_distance",
    "vertex_count",
    "volume_ratio",
]
