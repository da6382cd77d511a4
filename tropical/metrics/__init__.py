"""Metrics: polytope similarity, decision-boundary / linear-region comparisons, and decision_metrics."""

from tropical.metrics.boundary import (
    RegionStatistics,
    boundary_hausdorff,
    class_iou,
    region_agreement,
    region_statistics,
)
from tropical.metrics.decision import DECISION_METRICS, decision_metrics
from tropical.metrics.planes import (
    PlaneMetrics,
    boundary_pieces,
    local_complexity,
    plane_metrics,
    plane_triplets,
)
from tropical.metrics.polytope import (
    NORMALIZATIONS,
    Normalization,
    centroid_shift,
    compare_polytopes,
    generator_distance,
    hausdorff,
    iou,
    normalization,
    normalized,
    support_distance,
    vertex_count,
    volume_ratio,
)
from tropical.metrics.projection import (
    ProjectedPolygon,
    principal_plane,
    projected_hausdorff,
    projected_iou,
    projected_polygons,
)
from tropical.metrics.reference import Reference
from tropical.metrics.support import HausdorffBracket, convex_body, hausdorff_bracket

__all__ = [
    "DECISION_METRICS",
    "NORMALIZATIONS",
    "HausdorffBracket",
    "Normalization",
    "PlaneMetrics",
    "ProjectedPolygon",
    "Reference",
    "RegionStatistics",
    "boundary_hausdorff",
    "boundary_pieces",
    "centroid_shift",
    "class_iou",
    "compare_polytopes",
    "convex_body",
    "decision_metrics",
    "generator_distance",
    "hausdorff",
    "hausdorff_bracket",
    "iou",
    "local_complexity",
    "normalization",
    "normalized",
    "plane_metrics",
    "plane_triplets",
    "principal_plane",
    "projected_hausdorff",
    "projected_iou",
    "projected_polygons",
    "region_agreement",
    "region_statistics",
    "support_distance",
    "vertex_count",
    "volume_ratio",
]
