"""Metrics: polytope similarity and decision-boundary / linear-region comparisons."""

from tropical.metrics.boundary import (
    RegionStatistics,
    boundary_hausdorff,
    class_iou,
    region_agreement,
    region_statistics,
)

__all__ = [
    "RegionStatistics",
    "boundary_hausdorff",
    "class_iou",
    "region_agreement",
    "region_statistics",
]
