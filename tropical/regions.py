"""Exact linear regions and decision boundaries of ReLU networks on a 2-D domain.

A ReLU (or LeakyReLU) network is affine on each cell of a polyhedral partition of its input space. On a
2-D domain -- a box or convex polygon of a 2-D input space, or a polygon in a plane through three points of a
higher-dimensional input space -- the cells are convex polygons and can be listed exactly:

1. start with the domain as one region, with the first layer's (global) affine pre-activations;
2. for each neuron of the layer, its pre-activation is affine on each current region, so its zero set
   there is a line; one vectorised sign test over all vertices finds the regions that it crosses, and
   only those are split in two (children inherit their parent's affine maps);
3. after the last neuron of a layer each region has one activation pattern ``D``; the next layer's
   pre-activation maps are ``W (D * P) + b`` per region;
4. the output layer gives one affine map per region. Decision boundaries come from one more split per
   pair of classes (where the outputs tie) within each region.

The number of regions of a layer-wise refinement is bounded by Serra, Tjandraatmadja & Ramalingam,
"Bounding and counting linear regions of deep neural networks" (ICML 2018); the 1-hidden-layer count in
general position over a large enough box is ``1 + p + C(p, 2)`` (a line arrangement). The same layer-wise
splitting is the algorithm of regioncam (Twan van Laarhoven, https://github.com/twanvl/regioncam), which
the tests and ``benchmarks/bench_regions.py`` use as an independent reference; the implementation here is
our own (numpy, float64, regions as one flat vertex array). Step 3 propagates the maps from one reference
region per previous-layer region (regions of one previous region differ in a few activations). The numpy
path is the reference; the split of step 2 for all neurons of a layer, and the maps of step 3, also exist as
numba kernels (:mod:`tropical._region_kernel`, the same regions), loaded only once a sweep is large enough
to pay for loading them (``compiled=`` of :func:`linear_regions`).

These steps are for chains of dense layers (MLPs). Every other model that
:func:`tropical.graph.piecewise_linear_graph` reads (convolutions, pooling, residual connections, per-unit
slopes) goes through the graph sweep of :mod:`tropical._region_graph`: the same splits node by node, with
convolutions applied to the plane's frame and max pooling splitting regions into the cells of the largest
window entry (see ``docs/regions_graph.md``).

Coordinates
-----------
All 2-D results (polygons, affine maps, segments) are in *domain coordinates* ``(u, v)``:

- ``bounds=`` or ``polygon=`` on a 2-D input: the input coordinates themselves;
- ``plane=(x0, x1, x2)``: the orthonormal frame ``x = x0 + u e1 + v e2`` with ``e1 = (x1 - x0) / |x1 - x0|``
  and ``e2`` the unit component of ``x2 - x0`` orthogonal to ``e1`` (Gram-Schmidt). Lengths and areas on
  the plane are those of the input space; ``x0`` is at ``(0, 0)`` and ``x1`` at ``(|x1 - x0|, 0)``. Use
  :meth:`Regions.to_input` to map ``(u, v)`` back to the input space.

Tolerance
---------
Every line is evaluated once per vertex, as a signed distance in units of the domain's half-width (the
domain is translated to its centre and scaled to half-width 1 internally). A vertex within ``tolerance``
(default ``1e-9``) of a line counts as lying on it: the line then passes through that vertex instead of
cutting off a sliver, so no region thinner than about ``tolerance`` times the half-width is ever created
(rounding noise of float64 is ~1e-16 of the half-width for a well-scaled network, far below). Because the
decision is made per vertex, the two regions on either side of an edge always agree, and every interior
edge belongs to exactly two regions. The sign of a neuron on a region lying entirely within the tolerance
of its line is taken as inactive (the network's value there differs by at most the tolerance times the
neuron's slope). A neuron whose gradient on a region is below ``1e-12`` of its largest coefficient is
treated as constant there (dead or saturated neurons, zero rows of pruned networks). Signed distances are
never clipped: the crossing point on an edge is interpolated from the raw values at its two ends, which
stay exact however flat a neuron is on a neighbouring region (LeakyReLU slopes and weights down to 1e-12).

Ties
----
Outputs are compared with the tie tolerance ``tolerance * scale``, where ``scale`` is the largest absolute
output at a vertex of the partition (rounding noise in the per-region maps is relative to the outputs'
scale, like every tolerance of the package, see :mod:`tropical.hull`). Outputs within it of each other are
tied, and a tie goes to the lowest class index (a 1-output network predicts class 1 only where its output
exceeds it). Decision boundaries are reported only where the winning class changes: a region on which two
outputs coincide (duplicated rows, or every unit feeding them off) is never split between them.
"""

from __future__ import annotations

import math
import time
from functools import cached_property

import numpy as np

from tropical._progress import Progress
from tropical._region_split import Partition, distinct, one_blas_thread, one_thread_product
from tropical._region_split import compiled as compiled_kernel
from tropical._validation import box
from tropical.errors import ComputationTooLargeError
from tropical.graph import Composed, Convolution, Signed, TorchLinear, piecewise_linear_graph
from tropical.layers import AffineLayer

__all__ = ["Regions", "decision_boundary", "decision_regions", "linear_regions"]

_CHUNK_BYTES = 48_000_000
#: Products above this many multiply-adds (~0.2 s on one core) run under the one-thread limit of
#: threadpoolctl around the caller's whole loop. Smaller ones limit their threads themselves
#: (:func:`~tropical._region_split.one_thread_product`): in blocks of rows when the blocks have at least
#: ``_MIN_BLOCK_ROWS`` rows (as fast as one call), so that threadpoolctl (~5-9 ms to import and to find the
#: loaded libraries) is loaded only when thinner blocks would cost more than that (issue 13: 2-64-64-2
#: loaded it for a 25M product that blocks do as fast)
_SPLIT_PRODUCTS = 1_000_000_000
#: Map entries up to which the compiled normalisation is used (bit for bit the numpy one): it saves numpy's
#: dozen calls on small layers; on large ones numpy's blocked passes measured faster inside the sweep
_COMPILED_NORMALISATION = 100_000
_BLAS_WORK = 100_000_000  # regions x n x n_next up to which one matrix product beats the compiled tree


# ---------------------------------------------------------------------------------------------- domains
def _convex_polygon(polygon, name: str) -> np.ndarray:
    """Validate a convex polygon; return it counter-clockwise without repeated vertices."""
    try:
        points = np.asarray(polygon, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be a (k, 2) array of vertices") from error
    if points.ndim != 2 or points.shape[1] != 2 or len(points) < 3:
        raise ValueError(f"{name} must be a (k, 2) array of k >= 3 vertices, got shape {points.shape}")
    if not np.all(np.isfinite(points)):
        raise ValueError(f"{name} has NaN or infinite coordinates")
    keep = np.any(points != np.roll(points, 1, axis=0), axis=1)
    points = points[keep]
    if len(points) < 3:
        raise ValueError(f"{name} has fewer than 3 distinct vertices")
    x, y = points[:, 0], points[:, 1]
    area2 = np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y)
    extent = np.ptp(points, axis=0).max()
    if abs(area2) <= 1e-12 * extent**2:
        raise ValueError(f"{name} has zero area")
    if area2 < 0:
        points = points[::-1].copy()
    edges = np.roll(points, -1, axis=0) - points
    turns = edges[:, 0] * np.roll(edges[:, 1], -1) - edges[:, 1] * np.roll(edges[:, 0], -1)
    if np.any(turns < -1e-12 * extent**2):
        raise ValueError(f"{name} must be convex (its vertices in order around the boundary)")
    return points


def _box(bounds, name: str = "bounds") -> np.ndarray:
    """The corners of the box ``bounds`` (checked by :func:`tropical._validation.box`), shape (4, 2)."""
    xmin, xmax, ymin, ymax = box(bounds, name)
    return np.array([[xmin, ymin], [xmax, ymin], [xmax, ymax], [xmin, ymax]])


def _plane_frame(plane, n_in: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Origin (d,), orthonormal frame (2, d) and the plane coordinates (3, 2) of the three points."""
    try:
        points = np.asarray(plane, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError("plane must be three points (x0, x1, x2) of the input space") from error
    if points.ndim == 2 and points.shape[0] == 3 and points.shape[1] != n_in:
        raise ValueError(f"plane points have {points.shape[1]} coordinates but the model takes {n_in} inputs")
    if points.shape != (3, n_in):
        raise ValueError(f"plane must be three points of dimension {n_in}, got shape {points.shape}")
    if not np.all(np.isfinite(points)):
        raise ValueError("plane has NaN or infinite coordinates")
    origin = points[0]
    d1, d2 = points[1] - origin, points[2] - origin
    n1 = np.linalg.norm(d1)
    e1 = d1 / n1 if n1 > 0 else d1
    d2_perp = d2 - (d2 @ e1) * e1
    n2 = np.linalg.norm(d2_perp)
    if n1 == 0 or n2 <= 1e-12 * max(n1, np.linalg.norm(d2)):
        raise ValueError("plane points are collinear; they span no plane")
    frame = np.stack([e1, d2_perp / n2])
    return origin, frame, (points - origin) @ frame.T


def _domain(n_in: int, bounds, plane, polygon):
    """Domain polygon (CCW, domain coordinates), plane origin (d,) and frame (2, d)."""
    if bounds is not None and polygon is not None:
        raise ValueError("give either bounds= or polygon=, not both")
    if plane is None:
        if n_in != 2:
            raise ValueError(
                f"the model takes {n_in} inputs; pass plane=(x0, x1, x2) to study a 2-D slice of its "
                "input space"
            )
        if bounds is None and polygon is None:
            raise ValueError("give the domain: bounds=(xmin, xmax, ymin, ymax), polygon= or plane=")
        origin, frame = np.zeros(2), np.eye(2)
    else:
        origin, frame, projected = _plane_frame(plane, n_in)
        if bounds is None and polygon is None:
            low, high = projected.min(axis=0), projected.max(axis=0)
            pad = 0.5 * np.max(high - low)
            bounds = (low[0] - pad, high[0] + pad, low[1] - pad, high[1] + pad)
    domain = _box(bounds) if bounds is not None else _convex_polygon(polygon, "polygon")
    return domain, origin, frame


# ---------------------------------------------------------------------------------------------- the sweep
def _activation_factors(bits: np.ndarray, n: int, slope: float) -> np.ndarray:
    """(c, n) float multipliers of the activation: 1 on the active side, ``slope`` on the other."""
    active = np.unpackbits(bits, axis=1, count=n, bitorder="little").astype(np.float64)
    if slope:
        active *= 1.0 - slope
        active += slope
    return active


def _direct_maps(maps, map_id, bits, slope, weight, bias) -> np.ndarray:
    """Per region ``weight @ (D * maps[map_id]) + bias`` as (R, n_next, 3), chunked matrix products.

    ``weight=None`` returns the activations ``D * maps[map_id]`` themselves.
    """
    n = maps.shape[1]
    n_regions = len(map_id)
    n_next = n if weight is None else weight.shape[0]
    out = np.empty((n_regions, n_next, 3))
    chunk = max(64, _CHUNK_BYTES // (24 * max(n, n_next)))
    if maps.shape[0] == 1 and weight is not None:
        # one map for all regions (after the first hidden layer): D @ K with K[j] = weight[:, j] (x) maps[j]
        kernel = (weight.T[:, :, None] * maps[0][:, None, :]).reshape(n, n_next * 3)
        flat = out.reshape(n_regions, n_next * 3)
        with one_blas_thread(n_regions * kernel.size if n_regions * kernel.size > _SPLIT_PRODUCTS else 0):
            for lo in range(0, n_regions, chunk):
                factors = _activation_factors(bits[lo : lo + chunk], n, slope)
                one_thread_product(factors, kernel, flat[lo : lo + chunk])
        out[:, :, 2] += bias
        return out
    work = 0 if weight is None else 3 * n_regions * n * n_next
    with one_blas_thread(work if work > _SPLIT_PRODUCTS else 0):
        for lo in range(0, n_regions, chunk):
            factors = _activation_factors(bits[lo : lo + chunk], n, slope)
            hidden = maps[map_id[lo : lo + chunk]] * factors[:, :, None]  # (c, n, 3)
            if weight is None:
                out[lo : lo + chunk] = hidden
            else:
                product = np.empty((3 * len(hidden), n_next))
                one_thread_product(hidden.transpose(0, 2, 1).reshape(-1, n), weight.T, product)
                out[lo : lo + chunk] = product.reshape(-1, 3, n_next).transpose(0, 2, 1)
                out[lo : lo + chunk, :, 2] += bias
    return out


def _tree_depths(predecessor: np.ndarray, root: int) -> np.ndarray:
    """Depth of every node of a tree given by predecessors (the root is its own predecessor)."""
    pointer = predecessor.copy()
    pointer[root] = root
    depth = np.ones(len(pointer), dtype=np.int64)
    depth[root] = 0
    while True:  # pointer jumping: O(log depth) passes
        done = pointer == root
        if done.all():
            return depth
        depth = depth + np.where(done, 0, depth[pointer])
        pointer = np.where(done, pointer, pointer[pointer])


def _next_maps(partition, maps, map_id, bits, slope, weight, bias, max_memory, use_compiled=None):
    """The next layer's pre-activation map on every region, as (R, n_next, 3).

    Two regions of the same previous-layer region differ in the activation of the neurons whose lines
    separate them, so their next-layer maps differ by ``+-(1 - slope) weight[:, j] (x) maps[j]`` for each such
    neuron ``j``. The maps are computed in full on one root region per previous-layer region and propagated
    along a forest (:func:`_reference_forest`, or for the compiled kernel :func:`_spanning_forest` when one
    map covers the whole domain): O(R n_next k) work for ``k`` differing neurons per region (a few), instead
    of the O(R n n_next) of a matrix product per region. With numpy, one map for the whole domain (after the
    first layer) takes one BLAS product (a level-by-level spanning tree is slower in numpy).
    """
    n = maps.shape[1]
    n_regions = len(map_id)
    n_next = n if weight is None else weight.shape[0]
    estimate = 3 * 24.0 * n_next * n_regions
    if estimate > max_memory:
        raise ComputationTooLargeError(
            f"the per-region affine maps of {n_regions} regions x {n_next} units need about "
            f"{estimate / 1e9:.1f} GB (limit max_memory={max_memory:.3g} bytes)",
            estimate=estimate,
            limit=max_memory,
        )
    kernel = None if use_compiled is False else compiled_kernel(load=bool(use_compiled))
    if weight is None or (maps.shape[0] == 1 and (kernel is None or n_regions * n * n_next <= _BLAS_WORK)):
        return _direct_maps(maps, map_id, bits, slope, weight, bias)
    if kernel is None:
        return _forest_maps(maps, map_id, bits, slope, weight, bias, _reference_forest(map_id))
    weight_t = np.ascontiguousarray(weight.T, dtype=np.float64)
    bias = np.ascontiguousarray(bias, dtype=np.float64)
    maps = np.ascontiguousarray(maps)
    if maps.shape[0] > 1:  # the reference forest, found by the kernel
        order = predecessor = np.empty(0, dtype=np.int64)
    else:
        order, predecessor = _spanning_forest(partition, n_regions)
    return kernel.tree_maps(maps, map_id, bits, float(slope), weight_t, bias, order, predecessor)


def _reference_forest(map_id: np.ndarray) -> np.ndarray:
    """Each region's parent is the first region of its previous-layer region (the roots).

    Returns ``predecessor`` (R + 1,): a root's predecessor is the virtual node ``R``, which is its own
    predecessor. (The compiled :func:`~tropical._region_kernel.tree_maps` finds the same forest itself.)
    """
    n_regions = len(map_id)
    _, roots = np.unique(map_id, return_index=True)
    root_of = np.empty(int(map_id.max()) + 1, dtype=np.int64)
    root_of[map_id[roots]] = roots
    predecessor = np.append(root_of[map_id], n_regions)
    predecessor[roots] = n_regions
    return predecessor


def _spanning_forest(partition, n_regions: int) -> tuple[np.ndarray, np.ndarray]:
    """A breadth-first spanning forest of the region adjacency (neighbours differ in one neuron), for a layer
    whose regions all share one previous map: ``order`` (roots first) and ``predecessor`` in the convention
    of :func:`_reference_forest`."""
    from scipy.sparse import coo_array  # ~0.3 s to import: only for first layers of 10^4+ regions
    from scipy.sparse.csgraph import breadth_first_order, connected_components

    _, _, left, right = partition.shared_edges()
    graph = coo_array((np.ones(len(left)), (left, right)), shape=(n_regions, n_regions)).tocsr()
    _, labels = connected_components(graph, directed=False)
    _, roots = np.unique(labels, return_index=True)
    virtual = n_regions
    rows = np.concatenate([left, np.full(len(roots), virtual)])
    cols = np.concatenate([right, roots])
    graph = coo_array((np.ones(len(rows)), (rows, cols)), shape=(n_regions + 1, n_regions + 1)).tocsr()
    order, predecessor = breadth_first_order(graph, virtual, directed=False, return_predecessors=True)
    predecessor[virtual] = virtual
    return order, predecessor


def _forest_maps(maps, map_id, bits, slope, weight, bias, predecessor) -> np.ndarray:
    """numpy propagation of the maps along a forest (see :func:`_next_maps`), level by level."""
    n_regions = len(map_id)
    n_next = weight.shape[0]
    virtual = n_regions
    depth = _tree_depths(predecessor, virtual)[:n_regions]
    roots = np.flatnonzero(depth == 1)
    result = np.empty((n_regions, n_next * 3))
    result[roots] = _direct_maps(maps, map_id[roots], bits[roots], slope, weight, bias).reshape(
        len(roots), -1
    )
    # the neurons whose activation differs between each region and its parent
    child = np.flatnonzero(depth >= 2)
    parent = predecessor[child]
    flipped = bits[child] ^ bits[parent]
    which, byte = np.nonzero(flipped)
    unpacked = np.unpackbits(flipped[which, byte][:, None], axis=1, bitorder="little")
    entry, bit = np.nonzero(unpacked)
    region = child[which[entry]]
    neuron = byte[entry] * 8 + bit
    now_active = (bits[region, neuron // 8] >> (neuron % 8).astype(np.uint8)) & 1
    gain = np.where(now_active == 1, 1.0 - slope, slope - 1.0)
    entry_depth = depth[region]
    order = np.lexsort((region, entry_depth))  # by depth, then region
    region, neuron, gain, entry_depth = region[order], neuron[order], gain[order], entry_depth[order]
    entry_bounds = np.searchsorted(entry_depth, np.arange(depth.max() + 2))
    by_depth = np.argsort(depth, kind="stable")
    node_bounds = np.searchsorted(depth[by_depth], np.arange(depth.max() + 2))
    weight_t = np.ascontiguousarray(weight.T)
    step = max(1, _CHUNK_BYTES // (24 * n_next))
    for level in range(2, int(depth.max()) + 1):
        nodes = by_depth[node_bounds[level] : node_bounds[level + 1]]
        result[nodes] = result[predecessor[nodes]]
        for lo in range(entry_bounds[level], entry_bounds[level + 1], step):
            hi = min(lo + step, entry_bounds[level + 1])
            r, j = region[lo:hi], neuron[lo:hi]
            delta = (gain[lo:hi, None] * weight_t[j])[:, :, None] * maps[map_id[r], j, None, :]
            starts = np.flatnonzero(np.r_[True, r[1:] != r[:-1]])  # entries of one region are adjacent
            result[r[starts]] += np.add.reduceat(delta.reshape(hi - lo, -1), starts, axis=0)
    return result.reshape(n_regions, n_next, 3)


class _DepthFirst(Exception):
    """Raised by :func:`_sweep` when a hidden layer's maps on every region would take much of ``max_memory``:
    :func:`linear_regions` then takes the graph sweep, which goes on depth-first by chunks of regions
    (:mod:`tropical._region_depth`)."""


def _depth_first_budget(max_memory: float) -> float:
    from tropical._region_depth import _DEPTH_FIRST_SHARE

    return _DEPTH_FIRST_SHARE * max_memory


def _sweep(
    layers: list[AffineLayer],
    domain,
    origin,
    frame,
    tolerance,
    max_regions,
    max_memory,
    use_compiled,
    progress=(False, None),
):
    low, high = domain.min(axis=0), domain.max(axis=0)
    center = 0.5 * (low + high)
    scale = 0.5 * float(np.max(high - low))
    partition = Partition((domain - center) / scale, tolerance)
    first = layers[0]
    linear = first.weight @ frame.T * scale
    offset = first.bias + first.weight @ (origin + frame.T @ center)
    maps = np.concatenate([linear, offset[:, None]], axis=1)[None]  # (n_maps=1, n, 3)
    patterns: list[tuple[np.ndarray, np.ndarray, int, str]] = []
    hidden = sum(layer.slope is not None for layer in layers)
    bar = Progress(hidden, progress[0], unit="layers", name="linear_regions", started=progress[1])
    for index, layer in enumerate(layers):
        if layer.slope is None:
            break
        n = layer.n_out
        partition.reset_bits(n)
        kernel = None if use_compiled is False else compiled_kernel(load=bool(use_compiled))
        if kernel is not None and maps.size <= _COMPILED_NORMALISATION:
            lines = kernel.normalised(np.ascontiguousarray(maps))
        else:
            lines = Partition.normalised(maps)
        neuron = partition.split_layer(lines, max_regions, use_compiled=use_compiled)
        if neuron is not None:
            remaining = sum(lay.n_out for lay in layers[index:] if lay.slope is not None) - neuron - 1
            raise ComputationTooLargeError(
                f"more than max_regions={max_regions} linear regions after {neuron + 1} neurons of the "
                f"layer at position {layer.source} ({remaining} neurons left)",
                estimate=float(partition.nregions),
                limit=float(max_regions),
            )
        partition.compact()
        n_regions = partition.nregions
        bits = partition.bits[:n_regions].copy()
        map_id = partition.map_id[:n_regions].copy()
        patterns.append((bits, map_id, n, "sign"))
        bar.update(f"layer {layer.source}", n_regions, "regions")
        nxt = layers[index + 1] if index + 1 < len(layers) else None
        if (
            nxt is not None
            and nxt.slope is not None
            and 24.0 * nxt.n_out * n_regions > _depth_first_budget(max_memory)
        ):
            bar.close()
            raise _DepthFirst  # the next layer's maps on every region: much of max_memory
        weight = None if nxt is None else nxt.weight
        bias = None if nxt is None else nxt.bias
        if use_compiled is None and compiled_kernel(load=False) is not None:
            use_compiled = True  # loaded during this layer: the maps too
        maps = _next_maps(partition, maps, map_id, bits, layer.slope, weight, bias, max_memory, use_compiled)
        partition.own_maps(use_compiled=use_compiled)
    bar.close()
    partition.compact()
    if len(maps) != partition.nregions:  # no hidden layer: one map for the whole domain
        maps = np.repeat(maps, partition.nregions, axis=0)
    return partition, maps, patterns, center, scale


# ---------------------------------------------------------------------------------------------- results
def _shapely_polygons(corners: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Shapely polygons from flat (n_corners, 2) vertices and region offsets, as an object array."""
    import shapely

    lengths = np.diff(offsets)
    owner = np.repeat(np.arange(len(lengths)), lengths)
    # close every ring explicitly: append each region's first vertex after its last
    closed = np.insert(corners, offsets[1:], corners[offsets[:-1]], axis=0)
    closed_owner = np.insert(owner, offsets[1:], np.arange(len(lengths)))
    rings = shapely.linearrings(closed, indices=closed_owner)
    return shapely.polygons(rings)


def _domain_points(points) -> np.ndarray:
    """Points in domain coordinates as an ``(n, 2)`` float array (one point ``(2,)`` gives ``(1, 2)``)."""
    points = np.asarray(points, dtype=np.float64)
    if points.shape == (2,):
        return points.reshape(1, 2)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(
            f"points must have shape (n, 2) in domain coordinates, got {points.shape}; for input-space "
            "points of a plane, evaluate the network itself"
        )
    return points


class Regions:
    """The linear regions of a network on a 2-D domain, with the exact affine map on each.

    Built by :func:`linear_regions`; all coordinates are domain coordinates (see the module docstring).

    Attributes
    ----------
    domain : ndarray, shape (k, 2)
        The domain polygon, counter-clockwise.
    origin : ndarray, shape (d,)
        Input-space point of domain coordinate ``(0, 0)``.
    frame : ndarray, shape (2, d)
        Orthonormal directions of the ``u`` and ``v`` axes in the input space (identity for 2-D inputs).
    vertices : ndarray, shape (n_vertices, 2)
        Every vertex of the partition once (row 0 is an unused sentinel).
    region_vertices : ndarray of int, shape (n_corners,)
        Vertex indices of all regions concatenated, each region counter-clockwise.
    offsets : ndarray of int, shape (n_regions + 1,)
        Region ``r`` is ``vertices[region_vertices[offsets[r]:offsets[r + 1]]]``.
    n_outputs : int
        Number of network outputs.
    tolerance : float
        The tolerance the regions were computed with (see the module docstring).
    max_memory : float
        ``max_memory`` of :func:`linear_regions`: read-outs that would allocate more refuse.
    """

    def __init__(
        self,
        partition: Partition,
        maps,
        patterns,
        center,
        scale,
        domain,
        origin,
        frame,
        n_outputs,
        max_memory=4e9,
    ):
        self._partition = partition
        self.max_memory = float(max_memory)  # for read-outs that allocate per region and unit
        self._maps = maps  # (R, n_out, 3), internal coordinates
        self._patterns = patterns
        self._center = center
        self._scale = scale
        self.domain = domain
        self.origin = origin
        self.frame = frame
        self.n_outputs = n_outputs
        self.tolerance = partition.tolerance
        self.region_vertices, self.offsets = partition.corner_arrays()

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __repr__(self) -> str:
        return f"Regions({len(self)} regions, {self.n_outputs} outputs)"

    # ----------------------------------------------------------------- geometry
    @cached_property
    def vertices(self) -> np.ndarray:
        """ndarray, shape (n_vertices, 2): every vertex of the partition once (row 0: an unused sentinel)."""
        partition = self._partition
        nv = partition.nv
        return np.stack([partition.x[:nv], partition.y[:nv]], axis=1) * self._scale + self._center

    @cached_property
    def polygons(self) -> list[np.ndarray]:
        """list of ndarray, each (k, 2): the vertices of each region, counter-clockwise."""
        return np.split(self.vertices[self.region_vertices], self.offsets[1:-1])

    @cached_property
    def areas(self) -> np.ndarray:
        """ndarray, shape (n_regions,): the area of each region (shoelace formula, domain units squared)."""
        xt, yt, xh, yh, _ = self._edges_from_first_vertex()
        return 0.5 * np.add.reduceat(xt * yh - xh * yt, self.offsets[:-1]) * self._scale**2

    @cached_property
    def centroids(self) -> np.ndarray:
        """ndarray, shape (n_regions, 2): the centroid (centre of mass) of each region."""
        xt, yt, xh, yh, first = self._edges_from_first_vertex()
        cross = xt * yh - xh * yt
        area6 = 3.0 * np.add.reduceat(cross, self.offsets[:-1])
        cx = np.add.reduceat((xt + xh) * cross, self.offsets[:-1]) / area6
        cy = np.add.reduceat((yt + yh) * cross, self.offsets[:-1]) / area6
        return (np.stack([cx, cy], axis=1) + first) * self._scale + self._center

    def _edges_from_first_vertex(self):
        """Each region's edges (tail x, tail y, head x, head y; shape (n_half_edges,) each) relative to the
        region's first vertex ``first`` (shape (n_regions, 2)), in the partition's units.

        The shoelace sums cancel in absolute coordinates for a small region far from the origin (a 1e-8
        triangle's area 45 % off); relative to one of its own vertices they keep full precision.
        """
        partition = self._partition
        tail, head, _ = partition.half_edges()
        starts = self.offsets[:-1]
        owner = np.repeat(np.arange(len(starts)), np.diff(self.offsets))
        first = np.stack([partition.x[tail[starts]], partition.y[tail[starts]]], axis=1)
        x0, y0 = first[owner, 0], first[owner, 1]
        xt, yt = partition.x[tail] - x0, partition.y[tail] - y0
        xh, yh = partition.x[head] - x0, partition.y[head] - y0
        return xt, yt, xh, yh, first

    @cached_property
    def interior_points(self) -> np.ndarray:
        """ndarray, shape (n_regions, 2): the mean of each region's vertices (inside the region)."""
        counts = np.diff(self.offsets)
        summed = np.add.reduceat(self.vertices[self.region_vertices], self.offsets[:-1], axis=0)
        return summed / counts[:, None]

    @cached_property
    def adjacency(self) -> np.ndarray:
        """ndarray of int, shape (n_pairs, 2): pairs ``i < j`` of regions sharing an edge, sorted."""
        _, _, left, right = self._partition.shared_edges()
        n = len(self)
        key = distinct(np.minimum(left, right) * n + np.maximum(left, right))
        return np.stack([key // n, key % n], axis=1)

    def edges(self) -> np.ndarray:
        """Every edge of the partition once, as segments of shape (n_edges, 2, 2)."""
        tail, head, _ = self._partition.half_edges()
        nv = self._partition.nv
        key = distinct(np.minimum(tail, head) * nv + np.maximum(tail, head))
        return np.stack([self.vertices[key // nv], self.vertices[key % nv]], 1)

    # ----------------------------------------------------------------- network read-out
    @cached_property
    def affine_maps(self) -> tuple[np.ndarray, np.ndarray]:
        """The exact output on each region: ``output = J[r] @ p + b[r]`` for ``p`` in region ``r``.

        Returns
        -------
        J : ndarray, shape (n_regions, n_outputs, 2)
            Jacobian with respect to the domain coordinates ``(u, v)``.
        b : ndarray, shape (n_regions, n_outputs)
            Offset (the output the region's map gives at ``(u, v) = (0, 0)``).
        """
        jacobian = self._maps[:, :, :2] / self._scale
        offset = self._maps[:, :, 2] - jacobian @ self._center
        return jacobian, offset

    @cached_property
    def activation_patterns(self) -> np.ndarray:
        """ndarray, shape (n_regions, n_hidden): the activation pattern of each region.

        Units are ordered node by node as in the network (layer by layer for an MLP). For networks without
        max nodes (max pooling, ``torch.max``) the array is bool: ``True`` means a nonnegative input on the
        identity branch of the activation (positive beyond the tolerance). With max nodes it is int64:
        activation units give 0/1 and each max output the window position of its largest entry (the lowest
        position on ties). Networks without hidden units give shape (n_regions, 0). Refused with
        :class:`~tropical.errors.ComputationTooLargeError` when the array would exceed ``max_memory`` (of
        :func:`linear_regions`; a LeNet-5 on a whole digit plane: 446k regions x 5,804 units, 21 GB).
        """
        n_units = sum(n for _, _, n, _ in self._patterns)
        itemsize = 1 if all(kind == "sign" for *_, kind in self._patterns) else 8
        estimate = 2.0 * len(self) * n_units * itemsize  # the blocks and their concatenation
        if estimate > self.max_memory:
            raise ComputationTooLargeError(
                f"the activation patterns of {len(self)} regions x {n_units} units need about "
                f"{estimate / 1e9:.2f} GB (limit max_memory={self.max_memory:.3g} bytes of linear_regions); "
                "use a smaller domain (bounds= or polygon=) with fewer regions, or raise max_memory",
                estimate=estimate,
                limit=self.max_memory,
            )
        index = np.arange(len(self))
        blocks = []
        for values, parent, n, kind in reversed(self._patterns):
            if kind == "sign":
                blocks.append(np.unpackbits(values[index], axis=1, count=n, bitorder="little").astype(bool))
            elif kind == "argmax2":  # window positions, 2 bits each
                from tropical._region_graph import unpacked_positions

                blocks.append(unpacked_positions(values[index], n).astype(np.int64))
            else:
                blocks.append(values[index].astype(np.int64))
            index = parent[index]
        if not blocks:
            return np.zeros((len(self), 0), dtype=bool)
        dtype = bool if all(kind == "sign" for *_, kind in self._patterns) else np.int64
        return np.concatenate([block.astype(dtype) for block in blocks[::-1]], axis=1)

    def outputs(self, points, regions=None) -> np.ndarray:
        """The network output at ``points`` (n, 2) in domain coordinates, from the maps: (n, n_outputs)."""
        points = _domain_points(points)
        regions = self.at(points) if regions is None else np.asarray(regions)
        jacobian, offset = self.affine_maps
        return np.einsum("nij,nj->ni", jacobian[regions], points) + offset[regions]

    def to_input(self, points) -> np.ndarray:
        """Map domain coordinates ``(n, 2)`` to input-space points ``(n, d)``."""
        return self.origin + _domain_points(points) @ self.frame

    @cached_property
    def _tree(self):
        import shapely

        return shapely.STRtree(_shapely_polygons(self.vertices[self.region_vertices], self.offsets))

    def at(self, points) -> np.ndarray:
        """The region containing each point.

        Parameters
        ----------
        points : array_like, shape (n, 2)
            Points in domain coordinates.

        Returns
        -------
        ndarray of int, shape (n,)
            Region index per point; ``-1`` outside the domain. A point on an edge gets the lowest index
            of the regions it touches.
        """
        import shapely

        points = np.asarray(points, dtype=np.float64)
        if points.ndim != 2 or points.shape[1] != 2:
            raise ValueError(f"points must have shape (n, 2), got {points.shape}")
        result = np.full(len(points), -1, dtype=np.int64)
        if len(points) == 0:
            return result
        hits = self._tree.query(shapely.points(points), predicate="intersects")
        order = np.lexsort((hits[1], hits[0]))
        point_idx, region_idx = hits[0][order], hits[1][order]
        first = np.ones(len(point_idx), dtype=bool)
        first[1:] = point_idx[1:] != point_idx[:-1]
        result[point_idx[first]] = region_idx[first]
        return result

    # ----------------------------------------------------------------- decisions
    @cached_property
    def _decision(self):
        return _decision_pieces(self)

    @property
    def n_classes(self) -> int:
        """Number of classes: ``n_outputs`` (argmax), or 2 for a 1-output network (sign)."""
        return 2 if self.n_outputs == 1 else self.n_outputs

    def decision_boundary(self) -> np.ndarray:
        """Exact decision-boundary segments, shape (n_segments, 2, 2); see :func:`decision_boundary`."""
        partition, classes = self._decision
        a, b, left, right = partition.shared_edges()
        differ = classes[left] != classes[right]
        vertices = np.stack([partition.x[: partition.nv], partition.y[: partition.nv]], 1)
        vertices = vertices * self._scale + self._center
        return np.stack([vertices[a[differ]], vertices[b[differ]]], axis=1)

    def decision_regions(self) -> list:
        """One shapely (Multi)Polygon per class; see :func:`decision_regions`."""
        import shapely

        partition, classes = self._decision
        corners, offsets = partition.corner_arrays()
        vertices = np.stack([partition.x[: partition.nv], partition.y[: partition.nv]], 1)
        vertices = vertices * self._scale + self._center
        polygons = _shapely_polygons(vertices[corners], offsets)
        result = []
        for label in range(self.n_classes):
            pieces = polygons[classes == label]
            if len(pieces) == 0:
                result.append(shapely.Polygon())
                continue
            try:
                merged = shapely.coverage_union_all(pieces)
            except shapely.errors.GEOSException:
                merged = shapely.union_all(pieces)
            result.append(merged)
        return result


def _decision_pieces(regions: Regions) -> tuple[Partition, np.ndarray]:
    """Refine the linear regions so that the predicted class is constant on each piece.

    Outputs are compared with the tie tolerance ``tolerance * scale``, ``scale`` the largest absolute
    output at a vertex of the domain's partition (see "Ties" in the module docstring): two outputs within
    it are tied, a region is split only along a line where the difference of two candidate outputs
    changes sign beyond it, and the class of each piece is the lowest index whose output is within it of
    the largest (for one output: class 1 where the output exceeds it).
    """
    partition = regions._partition.copy()
    n_regions = len(regions)
    partition.map_id[:n_regions] = np.arange(n_regions)
    corners, offsets = partition.corner_arrays()
    owner = np.repeat(np.arange(n_regions), np.diff(offsets))
    partition.home[corners] = owner
    maps = regions._maps  # (R, n_out, 3)
    k = maps.shape[1]
    xy1 = np.stack([partition.x[corners], partition.y[corners], np.ones(len(corners))], axis=1)
    outputs = np.einsum("nkj,nj->nk", maps[owner], xy1)  # (corners, k)
    scale = float(np.abs(outputs).max(initial=0.0))
    tie = partition.tolerance * scale
    if scale > 0 and k == 1:
        partition.split(partition.vertex_values(maps[:, 0], scale=scale))
    elif scale > 0 and k == 2:
        partition.split(partition.vertex_values(maps[:, 0] - maps[:, 1], scale=scale))
    elif scale > 0:
        # a class is a candidate on a region unless another class beats it by more than the tie at
        # every vertex
        candidate = np.empty((n_regions, k), dtype=bool)
        for c in range(k):
            best = np.maximum.reduceat(outputs[:, c : c + 1] - outputs, offsets[:-1], axis=0)
            candidate[:, c] = np.all(best >= -tie, axis=1)
        for c in range(k):
            for j in range(c + 1, k):
                eligible = candidate[:, c] & candidate[:, j]
                if eligible.any():
                    values = partition.vertex_values(maps[:, c] - maps[:, j], scale=scale)
                    partition.split(values, eligible=eligible)
    corners, offsets = partition.corner_arrays()
    counts = np.diff(offsets)
    inside = np.stack(
        [
            np.add.reduceat(partition.x[corners], offsets[:-1]) / counts,
            np.add.reduceat(partition.y[corners], offsets[:-1]) / counts,
            np.ones(len(counts)),
        ],
        axis=1,
    )
    piece_maps = maps[partition.map_id[: partition.nregions]]
    return partition, _classes(np.einsum("nkj,nj->nk", piece_maps, inside), tie)


def _classes(outputs: np.ndarray, tie: float) -> np.ndarray:
    """The predicted class of each row of ``outputs`` (n, k) with ties within ``tie`` to the lowest index
    (one output: class 1 where it exceeds ``tie``)."""
    if outputs.shape[1] == 1:
        return (outputs[:, 0] > tie).astype(np.int64)
    return np.argmax(outputs >= outputs.max(axis=1, keepdims=True) - tie, axis=1)


# ---------------------------------------------------------------------------------------------- public API
def linear_regions(
    model,
    *,
    bounds=None,
    plane=None,
    polygon=None,
    input_shape=None,
    tolerance: float = 1e-9,
    max_regions: int = 20_000_000,
    max_memory: float = 4e9,
    compiled: bool | None = None,
    progress: bool | None = None,
) -> Regions:
    """The exact linear regions of a ReLU network on a 2-D domain.

    Parameters
    ----------
    model : torch.nn.Module
        Any piecewise-linear model, read by :func:`tropical.graph.piecewise_linear_graph` (custom modules,
        convolutions, pooling, residual connections, every piecewise-linear activation; pruned weights are
        honoured). Chains of dense layers (MLPs) take the layer sweep of the module docstring; every other
        graph the graph sweep of :mod:`tropical._region_graph` (max pooling splits regions into the cells of
        the largest window entry), which applies each convolution to the plane's frame and never builds
        its matrix.
    bounds : (xmin, xmax, ymin, ymax), optional
        A box domain (in plane coordinates when ``plane`` is given).
    plane : (x0, x1, x2), optional
        Three points of the input space: an array of shape ``(3, n_in)`` or ``(3, *input_shape)`` (image
        tensors ``(3, C, H, W)`` included; a torch tensor works). The domain lies in the plane through
        them, in the orthonormal coordinates of the module docstring. Without ``bounds`` or ``polygon`` the
        domain is the bounding box of the three points padded by half its largest side.
    polygon : array_like, shape (k, 2), optional
        A convex polygon domain (vertices in order, either orientation).
    input_shape : tuple of int, optional
        Per-sample input shape for models that start with a convolution, e.g. ``(1, 28, 28)``; inferred
        from ``plane`` points of shape ``(3, *input_shape)``, or from a first ``Linear`` layer.
    tolerance : float
        Distance, relative to the domain's half-width, under which a vertex counts as lying on a neuron's
        line (see the module docstring). Must be in (0, 1e-3].
    max_regions : int
        Raise :class:`~tropical.errors.ComputationTooLargeError` once the count exceeds this.
    max_memory : float
        Bytes allowed for the per-region affine maps (24 bytes per region and unit: of one layer for the
        layer sweep, of every value still needed by a later node for the graph sweep). When a hidden
        layer's maps on every region would take more than an eighth of it, the rest of the network is swept
        depth-first by chunks of regions (the same regions; see :mod:`tropical._region_depth`), so that
        the peak memory follows ``max_memory`` rather than the number of regions.
    compiled : bool or None
        Whether the splits run in the numba kernels of :mod:`tropical._region_kernel` (same regions, vertex
        for vertex; next-layer maps agree to rounding). ``None`` (default): numpy answers small networks
        without loading numba (~0.5 s), and the kernels are loaded once a sweep has scanned ~2e7 vertex and
        corner entries (a few hundred milliseconds of numpy) with half as many again left in the layer, then
        used for the rest of the process. The
        first load after installing compiles them (~10 s, announced on stderr). ``True`` loads them now
        (for many calls in one session); ``False`` stays with numpy.
    progress : bool or None
        Progress on stderr: one step per hidden layer (per graph node; per chunk of regions once the sweep
        goes depth-first, see ``docs/depth_first_regions.md``) with the regions so far, as a bar on a
        terminal and as plain lines elsewhere (logs, CI, a notebook's stderr) at most every 5 s. ``None``
        (default): only once the call has run 2 s (terminal) or 10 s (elsewhere); ``True`` from the start;
        ``False`` never.

    Returns
    -------
    Regions
        ``len(regions)``, ``polygons``, ``areas``, ``activation_patterns``, ``affine_maps``,
        ``adjacency``, ``at(points)``, ``decision_boundary()``, ``decision_regions()``.

    Raises
    ------
    UnsupportedLayerError
        For a layer without an exact piecewise-linear form (named with its position).
    ValueError
        For a bad domain (the message names the argument) or an input size that needs ``plane``.
    ComputationTooLargeError
        When the regions or their affine maps exceed ``max_regions`` or ``max_memory``.

    References
    ----------
    Serra, Tjandraatmadja & Ramalingam, "Bounding and counting linear regions of deep neural networks",
    ICML 2018. T. van Laarhoven, regioncam, https://github.com/twanvl/regioncam (the reference in tests).

    Examples
    --------
    >>> import torch
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    >>> regions = linear_regions(net, bounds=(-100, 100, -100, 100))
    >>> len(regions)  # 3 lines in general position: 1 + 3 + 3
    7
    >>> float(regions.areas.sum())
    40000.0
    """
    tolerance = float(tolerance)
    if not 0.0 < tolerance <= 1e-3:
        raise ValueError(f"tolerance must be in (0, 1e-3], got {tolerance}")
    if int(max_regions) < 1:
        raise ValueError(f"max_regions must be positive, got {max_regions}")
    if compiled not in (None, True, False):
        raise ValueError(f"compiled must be True, False or None (auto), got {compiled!r}")
    if progress not in (None, True, False):
        raise ValueError(f"progress must be True, False or None (auto), got {progress!r}")
    report = (progress, time.perf_counter())  # the flag and the start of the whole call
    if compiled and compiled_kernel() is None:
        raise ImportError(
            "compiled=True needs numba (pip install numba); compiled=None runs numpy without it"
        )
    plane, input_shape = _plane_points(plane, input_shape)
    graph = piecewise_linear_graph(model, input_shape=input_shape)
    domain, origin, frame = _domain(graph.n_in, bounds, plane, polygon)
    layers = _dense_chain(graph)
    sweep = None
    if layers is not None:
        try:
            limits = (tolerance, int(max_regions), float(max_memory), compiled)
            sweep = _sweep(layers, domain, origin, frame, *limits, report)
        except _DepthFirst:
            pass
    if sweep is None:
        from tropical._region_graph import blas_work, graph_sweep

        limits = (tolerance, int(max_regions), float(max_memory), compiled)
        import torch

        from tropical._graph_reader import one_torch_thread

        with one_blas_thread(blas_work(graph)), one_torch_thread(torch):  # convolutions of every size
            sweep = graph_sweep(graph, domain, origin, frame, *limits, report)
    partition, maps, patterns, center, scale = sweep
    n_outputs = math.prod(graph.output_shape)
    return Regions(
        partition,
        maps,
        patterns,
        center,
        scale,
        domain,
        origin,
        frame,
        n_outputs,
        max_memory=float(max_memory),
    )


def _plane_points(plane, input_shape):
    """The plane's three points as (3, n_in) and the input shape (from the points when not given)."""
    if plane is None:
        return None, input_shape
    if hasattr(plane, "detach"):
        plane = plane.detach().cpu()
    try:
        points = np.asarray(plane, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError("plane must be three points (x0, x1, x2) of the input space") from error
    if points.ndim < 2 or points.shape[0] != 3:
        raise ValueError(
            f"plane must be three points (x0, x1, x2) of the input space, got shape {points.shape}"
        )
    shape = points.shape[1:]  # the points are given as the model takes its inputs (flat or image-shaped)
    if input_shape is None:
        input_shape = shape
    elif math.prod(np.atleast_1d(input_shape)) != math.prod(shape):
        raise ValueError(f"plane points have shape {shape} but input_shape={input_shape!r}")
    return points.reshape(3, -1), input_shape


def _has_convolution(op) -> bool:
    """Whether a linear op would be densified by :meth:`Graph.chain` although it is not a matrix."""
    if isinstance(op, Composed):
        return any(_has_convolution(inner) for inner in op.ops)
    if isinstance(op, Signed):
        return _has_convolution(op.positive) or _has_convolution(op.negative)
    return isinstance(op, Convolution | TorchLinear)


def _dense_chain(graph) -> list[AffineLayer] | None:
    """The layers of the chain sweep (MLPs: dense layers, scalar slopes), or None for the graph sweep."""
    if not graph.is_chain or any(
        _has_convolution(op) for node in graph.nodes if node.kind == "affine" for op in node.ops
    ):
        return None
    try:
        layers = graph.chain()
    except ComputationTooLargeError:
        return None
    if any(np.ndim(layer.slope) > 0 for layer in layers):
        return None
    return layers


def decision_boundary(
    model, *, bounds=None, plane=None, polygon=None, input_shape=None, tolerance: float = 1e-9
) -> np.ndarray:
    """The exact decision boundary of a classifier on a 2-D domain.

    The predicted class is the argmax of the outputs (a 1-output network: ``output > 0``); the boundary
    is where it changes. On every linear region the outputs are affine, so the boundary is a union of
    straight segments: it is found by splitting the regions along the lines where two outputs tie.

    Parameters
    ----------
    model, bounds, plane, polygon, input_shape, tolerance
        As for :func:`linear_regions`.

    Returns
    -------
    ndarray, shape (n_segments, 2, 2)
        Segments ``[[u0, v0], [u1, v1]]`` in domain coordinates; a straight stretch of boundary is split
        at the edges of the linear regions it crosses. Empty (shape (0, 2, 2)) if the class is constant.
    """
    regions = linear_regions(
        model, bounds=bounds, plane=plane, polygon=polygon, input_shape=input_shape, tolerance=tolerance
    )
    return regions.decision_boundary()


def decision_regions(
    model, *, bounds=None, plane=None, polygon=None, input_shape=None, tolerance: float = 1e-9
) -> list:
    """The exact region of each predicted class on a 2-D domain.

    Parameters
    ----------
    model, bounds, plane, polygon, input_shape, tolerance
        As for :func:`linear_regions`.

    Returns
    -------
    list of shapely.Polygon or shapely.MultiPolygon
        One geometry per class, in domain coordinates (empty polygon for a class never predicted). For a
        1-output network: ``[output <= 0, output > 0]``; otherwise class ``c`` is where output ``c`` is the
        largest (ties, within the tolerance of "Ties" in the module docstring, go to the lowest index).
    """
    regions = linear_regions(
        model, bounds=bounds, plane=plane, polygon=polygon, input_shape=input_shape, tolerance=tolerance
    )
    return regions.decision_regions()
