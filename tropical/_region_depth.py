"""The rest of a graph sweep depth-first, by chunks of regions (issue 11: a LeNet-5 on a whole digit plane).

After any node the regions evolve independently of each other: each is split by the lines of its own maps
only. When an affine node's maps on every region would take much of ``max_memory`` (a LeNet-5's second
convolution, 1,024 values on 1.7e5 regions: 4 GB), :func:`depth_first` cuts the regions into chunks
(compact on the domain, in a Morton order; the pieces of one region that a max node split stay together,
so that an affine node after it keeps sharing its maps) and sweeps each chunk through the rest of the graph
on a partition of its own (:func:`_sub_partition`), keeping only what the result needs: the polygons, the
output maps and the activation patterns. Only one chunk's values are held at a time. Two things cross the
chunks:

- a max node's tie tolerance is relative to a bound of its input over *every* region: those bounds are
  found first, from the affine nodes before the next split (:func:`_bound_sources`; a graph whose later
  max nodes would need other bounds is swept whole). When that is the convolution at the start
  (a LeNet-5's second pooling), :func:`_start_bound` finds it in single precision on every region and in
  double on the few regions that may hold the largest; otherwise chunk by chunk, one extra pass over the
  affine nodes;
- the partition must stay a cell complex: a line crossing an edge between regions of two chunks puts a
  vertex on it in each chunk. :func:`_stitched` merges the two (closer than the tolerance along the edge)
  and gives each side the vertices on the edge that only the other side has.

The regions, their patterns and their maps are those of the sweep of every region at once, up to rounding
(the lines of an activation are normalised by the largest coefficient of each unit over the chunk's maps
instead of all maps): the same count and patterns on the LeNet-5 benchmark (``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

import numpy as np

from tropical._progress import Progress
from tropical._region_graph import _LAZY, _apply, _bound, _GraphSweep, _rows_per_chunk, _Shared, _take
from tropical._region_split import Partition, _segment_ranges
from tropical.errors import ComputationTooLargeError
from tropical.graph import Convolution, Reshape, _torch

#: from an affine node whose maps on every region would take more than this share of ``max_memory`` on,
#: the regions go through the rest of the graph in chunks
_DEPTH_FIRST_SHARE = 0.125
#: a chunk is sized so that the widest node's maps on this many times its regions fit that share
_GROWTH = 8.0
#: corners looked at a time when stitching the chunks
_CHUNK_CORNERS = 200_000
#: a bound of the relative error of a convolution in single precision (its rounding: ~1e-5 for sums of a
#: few hundred products)
_SINGLE_ERROR = 1e-3
#: regions per chunk instead of the size from ``max_memory`` (tests)
_CHUNK_REGIONS: int | None = None


def depth_first_chunk(sweep: _GraphSweep, index: int) -> int | None:
    """Regions per chunk for going depth-first from node ``index`` on, or None to sweep every region."""
    graph = sweep.graph
    node = graph.nodes[index]
    n = sweep.n_regions
    if node.kind != "affine" or n < 2 or (len(node.ops) == 1 and isinstance(node.ops[0], Reshape)):
        return None
    splits = any(graph.nodes[i].kind in ("activation", "max") for i in range(index, graph.output + 1))
    if not splits or _bound_sources(graph, index) is None:
        return None
    budget = _DEPTH_FIRST_SHARE * sweep.max_memory
    if _CHUNK_REGIONS is not None:
        return _CHUNK_REGIONS
    if 24.0 * n * node.size <= budget:
        return None
    widest = max(graph.nodes[i].size for i in range(index, graph.output + 1))
    return max(1, int(budget / (24.0 * widest * _GROWTH)))


def _bound_sources(graph, start: int) -> dict[int, tuple[int, float, bool]] | None:
    """For every max node from ``start`` on: the node whose values bound its input (computed before any
    split after ``start``), the factor (an activation's largest absolute slope, at least 1) and whether an
    activation lies between; None if a max node's input bound depends on a split after ``start``."""
    nodes = graph.nodes
    prefix = set()
    i = start
    while i <= graph.output and nodes[i].kind == "affine":
        prefix.add(i)
        i += 1
    sources = {}
    for m in range(start, graph.output + 1):
        if nodes[m].kind != "max":
            continue
        v = nodes[m].inputs[0]
        if v in prefix:
            sources[m] = (v, 1.0, False)
        elif nodes[v].kind == "activation" and nodes[v].inputs[0] in prefix:
            slope = np.abs(np.asarray(nodes[v].slope, dtype=np.float64))
            sources[m] = (nodes[v].inputs[0], max(1.0, float(slope.max(initial=0.0))), True)
        else:
            return None
    return sources


def _input_bound(value, through_activation: bool) -> float:
    """The bound :meth:`_GraphSweep.max` takes of ``value`` (or of an activation of it, without the
    slope factor)."""
    if through_activation:
        if isinstance(value, _LAZY):
            value = _take(value, np.arange(value.shape[0]))
        return _bound(value)
    return value.bound() if isinstance(value, _LAZY) else _bound(value)


def _start_bound(sweep: _GraphSweep, node) -> float | None:
    """:func:`_bound` of the maps of ``node`` (one convolution of the live value before it) on every region,
    or None for other nodes. The convolution runs in single precision on every region (several times
    faster than in double) and in double only on the regions whose bound may be the largest given the
    single-precision error (at most ``_SINGLE_ERROR`` times ``|W| |x| + |bias| + |y|``, far above the
    rounding of a sum of products in single precision): the bound of the maps computed in double, as
    the chunks compute them, up to their rounding."""
    if len(node.ops) != 1 or not isinstance(node.ops[0], Convolution):
        return None
    op, value = node.ops[0], sweep.values[node.inputs[0]]
    torch = _torch()
    from torch.nn import functional

    convolve = getattr(functional, op.function)
    weight = torch.from_numpy(op.weight.astype(np.float32))
    size = weight.abs()
    bias = np.zeros(op.n_out) if node.bias is None else np.asarray(node.bias, dtype=np.float64).reshape(-1)
    bias32 = torch.from_numpy(bias.astype(np.float32))
    rows, step = value.shape[0], _rows_per_chunk(max(op.n_in, op.n_out))
    approximate, error = np.empty(rows), np.empty(rows)
    with torch.no_grad(), np.errstate(over="ignore"):  # an overflow to inf: every region in double below
        for lo in range(0, rows, step):
            maps = _take(value, np.arange(lo, min(rows, lo + step))).astype(np.float32)
            inputs = torch.from_numpy(maps.reshape(-1, *op.in_shape))
            if op.padding is not None:  # copies of entries: |padded| is the padded |entries|
                inputs = functional.pad(inputs, op.padding[1], mode=op.padding[0])
            out = convolve(inputs, weight, **op.options).reshape(len(maps), 3, -1)
            out[:, 2] += bias32
            approximate[lo : lo + step] = out.abs_().sum(dim=1).amax(dim=1).numpy()
            total = inputs.abs_().reshape(len(maps), 3, *inputs.shape[1:]).sum(dim=1)
            error[lo : lo + step] = convolve(total, size, **op.options).reshape(len(maps), -1).amax(dim=1)
    error += np.abs(bias).max(initial=0.0)
    error = _SINGLE_ERROR * (error + approximate)
    candidates = np.flatnonzero(approximate + error >= np.max(approximate - error))
    if not (np.isfinite(approximate).all() and np.isfinite(error).all()):  # beyond single precision's range
        candidates = np.arange(rows)
    bound = 0.0
    for lo in range(0, len(candidates), step):
        maps = _apply(op, _take(value, candidates[lo : lo + step]))
        maps[:, 2] += bias
        bound = max(bound, _bound(maps))
    return bound


def _spread(bits: np.ndarray) -> np.ndarray:
    """The 16 low bits of each value at the even bit positions (for a Morton code)."""
    bits = bits.astype(np.uint64) & np.uint64(0xFFFF)
    for shift, mask in ((8, 0x00FF00FF), (4, 0x0F0F0F0F), (2, 0x33333333), (1, 0x55555555)):
        bits = (bits | (bits << np.uint64(shift))) & np.uint64(mask)
    return bits


def _chunks(partition: Partition, groups: np.ndarray | None, size: int) -> list[np.ndarray]:
    """The regions in chunks of about ``size`` that are compact on the domain (in the Morton order of a
    corner of each region's group, so that few regions lie on a chunk's boundary), whole groups in one
    chunk; each chunk sorted."""
    corners, offsets = partition.corner_arrays()
    n = partition.nregions
    first_corner = corners[offsets[:-1]]
    cell = [
        np.clip((c + 1.0) * 32767.5, 0, 65535) for c in (partition.x[first_corner], partition.y[first_corner])
    ]
    morton = _spread(cell[0]) | (_spread(cell[1]) << np.uint64(1))
    if groups is None:
        groups = np.arange(n)
    _, first, groups = np.unique(groups, return_index=True, return_inverse=True)
    groups = groups.reshape(-1)
    order = np.lexsort((np.arange(n), groups, morton[first][groups]))
    key = groups[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])  # each cut moves to the start of its group
    cut = np.unique(starts[np.searchsorted(starts, np.arange(size, n, size), side="right") - 1])
    return [np.sort(part) for part in np.split(order, cut[cut > 0])]


def _sub_partition(partition: Partition, regions: np.ndarray) -> tuple[Partition, np.ndarray]:
    """A partition of ``regions`` only (vertices renumbered), and the global id of each of its vertices
    (index 0: the sentinel)."""
    corners, offsets = partition.corner_arrays()
    positions, _, local_offsets = _segment_ranges(offsets[regions], np.diff(offsets)[regions])
    vertex_ids, local = np.unique(corners[positions], return_inverse=True)
    n, nv, k = len(regions), len(vertex_ids) + 1, len(positions)
    sub = Partition.__new__(Partition)
    sub.tolerance = partition.tolerance
    sub.nv = nv
    sub.xy = np.zeros((2, max(64, 2 * nv)))
    sub.xy[:, 1:nv] = partition.xy[:, vertex_ids]
    sub.home = np.zeros(max(64, 2 * nv), dtype=np.int64)
    sub.pool = np.zeros(max(64, 2 * k), dtype=np.int32)
    sub.pool[:k] = local.reshape(-1) + 1
    sub.npool = sub.live_corners = k
    capacity = max(16, 2 * n)
    sub.start, sub.length = np.zeros(capacity, dtype=np.int64), np.zeros(capacity, dtype=np.int64)
    sub.start[:n], sub.length[:n] = local_offsets[:-1], np.diff(local_offsets)
    sub.alive = np.zeros(capacity, dtype=bool)
    sub.alive[:n] = True
    sub.map_id = np.zeros(capacity, dtype=np.int64)
    sub.map_id[:n] = np.arange(n)
    sub.bits = np.zeros((capacity, 1), dtype=np.uint8)
    sub.nslots = sub.nregions = n
    sub.generation, sub.work = 0, partition.work
    return sub, np.concatenate([[0], vertex_ids])


def _restricted(value, regions: np.ndarray, n_regions: int):
    """A live value of the sweep on ``regions`` only."""
    if isinstance(value, (*_LAZY, _Shared)):
        out = value.gathered(regions)
        groups = getattr(value, "groups", None)
        if groups is not None:
            out.groups = np.unique(groups[regions], return_inverse=True)[1].reshape(-1)
        return out
    if value.shape[0] == n_regions and n_regions > 1:
        return value[regions]
    return value


def _chunk_sweep(sweep: _GraphSweep, regions: np.ndarray) -> tuple[_GraphSweep, np.ndarray]:
    partition, vertex_ids = _sub_partition(sweep.partition, regions)
    sub = _GraphSweep(
        sweep.graph, partition, sweep.tolerance, sweep.max_regions, sweep.max_memory, sweep.use_compiled
    )
    sub.values = {i: _restricted(v, regions, sweep.n_regions) for i, v in sweep.values.items()}
    sub.matrices = sweep.matrices
    return sub, vertex_ids


def _nbytes(patterns) -> int:
    return sum(values.nbytes + parent.nbytes for values, parent, *_ in patterns)


def depth_first(sweep: _GraphSweep, start: int, size: int, progress=(False, None)):
    """The rest of the sweep from node ``start`` on, by chunks of ``size`` regions; returns the partition
    (stitched), the output maps (R, n_out, 3) and the patterns, as :func:`graph_sweep` (which passes its
    ``progress``: one line per chunk)."""
    graph, partition = sweep.graph, sweep.partition
    partition.compact()
    n = partition.nregions
    groups = None
    for value in sweep.values.values():
        if getattr(value, "groups", None) is not None:
            groups = value.groups
    chunks = _chunks(partition, groups, size)
    scales = {}
    sources = _bound_sources(graph, start)
    held = sweep._live_bytes(n) + _nbytes(sweep.patterns) + 8.0 * (partition.nv * 3 + partition.npool)
    if sources and all(source == start for source, _, _ in sources.values()):
        bound = _start_bound(sweep, graph.nodes[start])
        if bound is not None:
            scales = {m: bound * factor for m, (_, factor, _) in sources.items()}
    if sources and not scales:  # the max nodes' bounds over every region, chunk by chunk
        last = max(source for source, _, _ in sources.values())
        bounds = dict.fromkeys(sources, 0.0)
        for regions in chunks:
            sub, _ = _chunk_sweep(sweep, regions)
            sub.held = held
            for index in range(start, last + 1):
                sub.step(index)
                for m, (source, _, through) in sources.items():
                    if source == index:
                        bounds[m] = max(bounds[m], _input_bound(sub.values[index], through))
        scales = {m: bounds[m] * factor for m, (_, factor, _) in sources.items()}
    maps, patterns, corners, lengths, ancestors, xs, ys = [], [], [], [], [], [], []
    nv, total = partition.nv, 0
    bar = Progress(len(chunks), progress[0], unit="chunks", name="linear_regions", started=progress[1])
    for k, regions in enumerate(chunks):
        sub, vertex_ids = _chunk_sweep(sweep, regions)
        sub.scales, sub.held = scales, held
        for index in range(start, graph.output + 1):
            sub.step(index)
        out = sub.output_maps()
        local, offsets = sub.partition.corner_arrays()
        to_global = np.concatenate([vertex_ids, nv + np.arange(sub.partition.nv - len(vertex_ids))])
        xs.append(sub.partition.x[len(vertex_ids) : sub.partition.nv].copy())
        ys.append(sub.partition.y[len(vertex_ids) : sub.partition.nv].copy())
        nv += len(xs[-1])
        corners.append(to_global[local])
        lengths.append(np.diff(offsets))
        ancestor = np.arange(len(out))
        for _, parent, *_ in reversed(sub.patterns):
            ancestor = parent[ancestor]
        ancestors.append(regions[ancestor])
        maps.append(out)
        patterns.append(sub.patterns)
        total += len(out)
        if total > sweep.max_regions:
            raise ComputationTooLargeError(
                f"more than max_regions={sweep.max_regions} linear regions after node {start} on",
                estimate=float(total),
                limit=float(sweep.max_regions),
            )
        held += out.nbytes + _nbytes(sub.patterns) + 8.0 * (len(local) + 2 * len(xs[-1]) + len(out))
        bar.update(f"chunk {k + 1}", total, "regions so far")
    bar.close()
    merged = list(sweep.patterns)
    sizes = [[len(values) for values, *_ in chunk] for chunk in patterns]
    for level in range(len(patterns[0])):
        shift, parents = 0, []
        for chunk, counts, regions in zip(patterns, sizes, chunks, strict=True):
            parent = chunk[level][1]
            if level == 0:
                parents.append(regions[parent])
            else:
                parents.append(parent + shift)
                shift += counts[level - 1]
        values = np.concatenate([chunk[level][0] for chunk in patterns])
        _, _, width, kind = patterns[0][level]
        merged.append((values, np.concatenate(parents), width, kind))
        for chunk in patterns:  # the chunks' copies are no longer needed
            chunk[level] = None
    out = np.empty((total, *maps[0].shape[1:]))
    done = 0
    for k, chunk in enumerate(maps):  # into one array, each chunk's freed once copied
        out[done : done + len(chunk)] = chunk
        done += len(chunk)
        maps[k] = None
    sweep.values.clear()
    x = np.concatenate([partition.x[: partition.nv], *xs])
    y = np.concatenate([partition.y[: partition.nv], *ys])
    chunk_of = np.empty(n, dtype=np.int64)
    for k, regions in enumerate(chunks):
        chunk_of[regions] = k
    stitched = _stitched(
        partition, chunk_of, x, y, np.concatenate(corners), np.concatenate(lengths), np.concatenate(ancestors)
    )
    return stitched, out, merged


def _on_edges(x, y, a, b, edge, corners, first, counts, corner_anc, lo: int, tolerance: float):
    """For corners ``lo : lo + _CHUNK_CORNERS``: the pairs (edge, corner position, vertex, position along
    the edge in [0, 1], edge length) where the corner lies on an edge ``(a, b)`` between two chunks of its
    region's ancestor (within a thousandth of the tolerance)."""
    hi = min(len(corners), lo + _CHUNK_CORNERS)
    where, position, _ = _segment_ranges(first[corner_anc[lo:hi]], counts[corner_anc[lo:hi]])
    position += lo
    e = edge[where]
    v = corners[position]
    ax, ay = x[a[e]], y[a[e]]
    dx, dy = x[b[e]] - ax, y[b[e]] - ay
    length = np.hypot(dx, dy)
    t = (dx * (x[v] - ax) + dy * (y[v] - ay)) / (length * length)
    across = np.abs(dx * (y[v] - ay) - dy * (x[v] - ax)) / length
    slack = 1e-3 * tolerance
    on = (across <= slack) & (t >= -slack) & (t <= 1 + slack)
    return e[on], position[on], v[on], t[on], length[on]


def _stitched(partition, chunk_of, x, y, corners, lengths, ancestor) -> Partition:
    """One partition of the chunks' regions (``corners`` in global vertex ids, ``lengths`` per region,
    ``ancestor``: the region of ``partition`` each lies in), a cell complex again: on every edge of
    ``partition`` between two chunks, a vertex of one side closer than the tolerance (along the edge) to
    one of the other side is replaced by it, and each side's polygons get the other side's vertices."""
    old = partition.nv
    a, b, left, right = partition.shared_edges()
    across = chunk_of[left] != chunk_of[right]
    a, b, left, right = a[across], b[across], left[across], right[across]
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    if len(a):
        n_edges = len(a)
        owner = np.concatenate([left, right])
        edge = np.concatenate([np.arange(n_edges), np.arange(n_edges)])
        order = np.argsort(owner, kind="stable")
        owner, edge = owner[order], edge[order]
        counts = np.bincount(owner, minlength=len(chunk_of))
        first = np.concatenate([[0], np.cumsum(counts)])
        region = np.repeat(np.arange(len(lengths)), lengths)
        corner_anc = ancestor[region]
        # every (corner, edge of its region's ancestor between two chunks): the corners on that edge, in
        # chunks of corners (a few edges each)
        found = [_on_edges(x, y, a, b, edge, corners, first, counts, corner_anc, lo, partition.tolerance)
                 for lo in range(0, len(corners), _CHUNK_CORNERS)]  # fmt: skip
        e, position, v, t, length = (np.concatenate(parts) for parts in zip(*found, strict=True))
        side = (chunk_of[corner_anc[position]] != chunk_of[left[e]]).astype(np.int8)
        # merge a new vertex of one side into the next one along the edge of the other side when closer
        # than the tolerance
        order = np.lexsort((v, t, e))
        e_s, v_s, t_s, side_s, len_s = e[order], v[order], t[order], side[order], length[order]
        keep = np.r_[True, (e_s[1:] != e_s[:-1]) | (v_s[1:] != v_s[:-1])]
        e_s, v_s, t_s, side_s, len_s = e_s[keep], v_s[keep], t_s[keep], side_s[keep], len_s[keep]
        close = (
            (e_s[1:] == e_s[:-1])
            & (side_s[1:] != side_s[:-1])
            & ((t_s[1:] - t_s[:-1]) * len_s[1:] <= partition.tolerance)
            & (v_s[1:] >= old)
            & (v_s[:-1] >= old)
        )
        close &= ~np.r_[False, close[:-1]]  # one merge per vertex
        remap = np.arange(len(x))
        remap[v_s[1:][close]] = v_s[:-1][close]
        corners = remap[corners]
        v = remap[v]
        # the vertices on each edge once, in order along it; each half-edge along an edge gets those
        # between its ends
        key = e * len(x) + v
        by_t = np.argsort(t, kind="stable")
        pair_key, first_index = np.unique(key[by_t], return_index=True)
        pair_e, pair_v, pair_t = e[by_t][first_index], v[by_t][first_index], t[by_t][first_index]
        line = np.lexsort((pair_v, pair_t, pair_e))
        line_e, line_v = pair_e[line], pair_v[line]
        place = np.empty(len(line), dtype=np.int64)
        place[line] = np.arange(len(line))
        line_start = np.searchsorted(line_e, np.arange(n_edges + 1))
        rank_of = place[np.searchsorted(pair_key, key)] - line_start[e]  # along the edge
        following = np.arange(1, len(corners) + 1)
        following[offsets[1:] - 1] = offsets[:-1]
        n_corners = len(corners)
        key = e * n_corners + position
        key_order = np.argsort(key)
        wanted = e * n_corners + following[position]
        found = np.searchsorted(key[key_order], wanted)
        found = np.minimum(found, len(key) - 1)
        along = key[key_order][found] == wanted
        here, there = rank_of[along], rank_of[key_order[found[along]]]
        gap = np.abs(there - here) - 1
        inserted_after = position[along][gap > 0]
        step = np.where(there > here, 1, -1)[gap > 0]
        base = (line_start[e[along]] + here)[gap > 0]
        gap = gap[gap > 0]
        k, owner, _ = _segment_ranges(np.zeros(len(gap), dtype=np.int64), gap)
        new = line_v[base[owner] + step[owner] * (k + 1)]
        after = inserted_after[owner]
        all_corners = np.concatenate([corners, new])
        sort = np.lexsort((np.r_[np.zeros(n_corners), k + 1], np.r_[np.arange(n_corners), after]))
        corners = all_corners[sort]
        lengths = lengths + np.bincount(region[after], minlength=len(lengths))
        offsets = np.concatenate([[0], np.cumsum(lengths)])
    stitched = Partition.__new__(Partition)
    n, k = len(lengths), len(corners)
    stitched.tolerance = partition.tolerance
    stitched.nv = len(x)
    stitched.xy = np.stack([x, y])
    stitched.home = np.zeros(len(x), dtype=np.int64)
    stitched.pool = corners.astype(np.int32)
    stitched.npool = stitched.live_corners = k
    stitched.start, stitched.length = offsets[:-1].copy(), np.asarray(lengths, dtype=np.int64)
    stitched.alive = np.ones(n, dtype=bool)
    stitched.map_id = np.arange(n)
    stitched.bits = np.zeros((n, 1), dtype=np.uint8)
    stitched.nslots = stitched.nregions = n
    stitched.generation, stitched.work = partition.generation + 1, partition.work
    return stitched
