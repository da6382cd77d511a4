"""Compiled split step of the linear-regions sweep (numba), an optional accelerator of the numpy reference.

:meth:`tropical._region_split.Partition.split` (the reference) costs about 60 numpy calls per neuron and scans
every vertex and corner; from ~10^4 regions the compiled loop pays for loading numba (~0.5 s), and the sweep
loads it then (:meth:`~tropical._region_split.Partition.split_layer`). The kernel here runs the same split for
all neurons of a layer in one compiled loop, on the partition's own arrays, with the same decisions in the
same order, so that from the same maps it gives the numpy path's result
(the same vertices bit for bit, the same vertex numbering and region order):

- per neuron, the line's signed distance at every vertex (its ``home`` map's normalised coefficients) and
  a code per vertex: 2 above ``tolerance``, 1 below ``-tolerance``, 0 on the line;
- a live region is positive when some corner has code 2 and crossed when the OR of its corner codes is 3;
- one new vertex per crossed edge (keyed by its two end vertices, numbered in key order), interpolated
  from the raw values; the positive children of the crossed regions are appended in order, then the
  negative children; the parents die and their corners become the sentinel.

The kernel compacts the slots and the pool in place (:func:`_compact`, the order of
:meth:`~tropical._region_split.Partition.compact`) when more than half of the pool is garbage and at the end
of the layer. It returns to Python when the arrays need to grow or when the number of regions passes
``max_regions``; Python then grows or raises and calls it again.

The next layer's maps (:func:`tree_maps`) are the sums of :func:`tropical.regions._forest_maps` along the
same forest in another order, so they agree to rounding (~1e-16 relative); the
regions then agree vertex for vertex up to that rounding (``test_compiled_sweep_equals_the_numpy_sweep``).
A max node of the graph sweep (:mod:`tropical._region_graph`) has three loops here with the numpy path's
float operations in its order (the same decisions): which windows need a split on which regions
(:func:`unsettled_windows`), each region's window positions after an activation (:func:`masked_argmax`),
and a pooling's maps read from those positions (:func:`pooled_maps`).

Compiled functions are cached on disk (``cache=True``): the first call on a machine compiles for about
ten seconds (:func:`announce_compilation` says so on stderr beforehand), later processes load them.
"""

from __future__ import annotations

import os
import sys

import numba as nb
import numpy as np

DONE, GROW, TOO_MANY = 0, 1, 2


@nb.njit(cache=True, nogil=True)
def normalised(maps):
    """:meth:`tropical._region_split.Partition.normalised` compiled: the same values bit for bit (the same
    float64 operations in the same order, no fused multiply-add), in one pass instead of a dozen.

    ``maps`` (n_maps, n, 3) float64; returns ``a, b, c, gradient``, each (n, n_maps).
    """
    n_maps, n = maps.shape[0], maps.shape[1]
    reference = np.zeros(n)
    for m in range(n_maps):
        for j in range(n):
            for k in range(3):
                reference[j] = max(reference[j], abs(maps[m, j, k]))
    for j in range(n):
        if reference[j] == 0.0:
            reference[j] = 1.0
    a, b, c, gradient = (
        np.empty((n, n_maps)),
        np.empty((n, n_maps)),
        np.empty((n, n_maps)),
        np.empty((n, n_maps)),
    )
    for lo in range(0, n_maps, 256):  # blocks of maps: rows written in runs, the block's maps stay in cache
        for j in range(n):
            for m in range(lo, min(lo + 256, n_maps)):
                x, y = maps[m, j, 0] / reference[j], maps[m, j, 1] / reference[j]
                z = maps[m, j, 2] / reference[j]
                norm = np.sqrt(x * x + y * y)
                if norm <= 1e-12:  # constant on this map
                    a[j, m], b[j, m], c[j, m], gradient[j, m] = 0.0, 0.0, z, reference[j]
                else:
                    a[j, m], b[j, m], c[j, m] = x / norm, y / norm, z / norm
                    gradient[j, m] = norm * reference[j]
    return a, b, c, gradient


@nb.njit(cache=True, nogil=True)
def own_maps(pool, start, length, nregions, home, map_id):
    """:meth:`tropical._region_split.Partition.own_maps` compiled (a compact partition): region ``r`` gets
    map ``r``, and every vertex the last region in order that has it as a corner."""
    for r in range(nregions):
        map_id[r] = r
        for k in range(start[r], start[r] + length[r]):
            home[pool[k]] = r


@nb.njit(cache=True, nogil=True)
def _vertex_codes(a, b, c, j, tolerance, x, y, home, nv, values, code):
    """Phase 1: the line of neuron ``j`` at every vertex.

    ``a, b, c`` (n_neurons, n_maps) are the normalised line coefficients per map; ``x, y, home`` (>= nv,)
    the vertices. Writes ``values[:nv]`` (float64, the signed distance under the vertex's ``home`` map, or
    map 0 when there is one map) and ``code[:nv]`` (uint8: 2 above ``tolerance``, 1 below ``-tolerance``,
    0 on the line; the sentinel vertex 0 gets 0).
    """
    single = a.shape[1] == 1
    for v in range(nv):
        m = 0 if single else home[v]
        value = a[j, m] * x[v] + b[j, m] * y[v] + c[j, m]
        values[v] = value
        code[v] = 2 if value > tolerance else (1 if value < -tolerance else 0)
    code[0] = 0


@nb.njit(cache=True, nogil=True)
def _crossed_regions(code, pool, start, length, alive, bits, nslots, byte, mask, crossed):
    """Phase 2: side of every live region; sets bit ``mask`` of ``bits[:, byte]`` in the positive ones.

    ``code`` (>= nv,) uint8 from :func:`_vertex_codes`; ``pool`` the corner ids and ``start, length,
    alive`` (>= nslots,) the slots; ``bits`` (>= nslots, n_bytes) uint8. Writes the crossed slots in slot
    order to ``crossed[:n_crossed]`` (int64, >= nslots). Returns ``(n_crossed, n_corners)``, ``n_corners``
    being the total number of corners of the crossed regions.
    """
    n_crossed = 0
    n_corners = 0
    for s in range(nslots):
        if not alive[s]:
            continue
        side = 0
        first = start[s]
        for k in range(first, first + length[s]):
            side |= code[pool[k]]
        if side >= 2:
            bits[s, byte] |= mask
        if side == 3:
            crossed[n_crossed] = s
            n_crossed += 1
            n_corners += length[s]
    return n_crossed, n_corners


@nb.njit(cache=True, nogil=True)
def _crossing_vertices(j, single, gradient, crossed, n_crossed, n_corners, code, values, pool, start, length,
                       map_id, x, y, home, nv):  # fmt: skip
    """Phase 3: one new vertex per crossed edge of the crossed regions.

    Crossed edges are listed in (region, corner) order (at most ``n_corners``) and keyed by their two end
    vertices ``min * nv + max``; the distinct keys, in increasing order, become vertices ``nv, nv + 1, ...``
    of ``x, y, home`` (interpolated from the raw values: ``values`` times ``gradient[j, home]`` (n_neurons,
    n_maps) unless ``single``, one map). A vertex shared by two regions takes the ``map_id`` of the later one.
    Returns ``(vertex_of, n_new)``: ``vertex_of`` (n_edges,) int64 is the new vertex of each crossed edge
    in (region, corner) order.
    """
    keys = np.empty(n_corners, dtype=np.int64)
    owner = np.empty(n_corners, dtype=np.int64)
    n_edges = 0
    for i in range(n_crossed):
        s = crossed[i]
        first, count = start[s], length[s]
        for k in range(count):
            p = pool[first + k]
            q = pool[first + (k + 1) % count]
            if (code[p] | code[q]) == 3:
                keys[n_edges] = min(p, q) * nv + max(p, q)
                owner[n_edges] = s
                n_edges += 1
    keys = keys[:n_edges]
    order = np.argsort(keys)
    vertex_of = np.empty(n_edges, dtype=np.int64)
    n_new = 0
    previous = -1
    for e in range(n_edges):
        key = keys[order[e]]
        if key != previous:
            u_low, u_high = key // nv, key % nv
            if single:
                v_low, v_high = values[u_low], values[u_high]
            else:
                v_low = values[u_low] * gradient[j, home[u_low]]
                v_high = values[u_high] * gradient[j, home[u_high]]
            t = v_low / (v_low - v_high)
            w = nv + n_new
            x[w] = x[u_low] + t * (x[u_high] - x[u_low])
            y[w] = y[u_low] + t * (y[u_high] - y[u_low])
            n_new += 1
            previous = key
        vertex_of[order[e]] = nv + n_new - 1
    for e in range(n_edges):
        home[vertex_of[e]] = map_id[owner[e]]
    return vertex_of, n_new


@nb.njit(cache=True, nogil=True)
def _append_children(crossed, n_crossed, code, vertex_of, pool, npool, start, length, alive, map_id, bits,
                     nslots, byte, mask):  # fmt: skip
    """Phase 4: the children of the crossed regions, appended to the pool and the slots.

    First the positive children (corners not below the line, and the crossing points ``vertex_of`` in
    edge order), one per crossed region in ``crossed[:n_crossed]`` order, then the negative ones (which
    clear bit ``mask`` of ``bits[:, byte]``). Children start at pool position ``npool`` and slot
    ``nslots`` and copy ``map_id`` and ``bits`` of their parent. Returns ``(cursor, slot)``: the pool
    length and the slot count after them.
    """
    cursor = npool
    slot = nslots
    for negative in range(2):
        drop = 2 if negative else 1
        e = 0
        for i in range(n_crossed):
            s = crossed[i]
            first, count = start[s], length[s]
            begin = cursor
            for k in range(count):
                p = pool[first + k]
                if code[p] != drop:
                    pool[cursor] = p
                    cursor += 1
                if (code[p] | code[pool[first + (k + 1) % count]]) == 3:
                    pool[cursor] = vertex_of[e]
                    cursor += 1
                    e += 1
            start[slot] = begin
            length[slot] = cursor - begin
            alive[slot] = True
            map_id[slot] = map_id[s]
            bits[slot, :] = bits[s, :]
            if negative:
                bits[slot, byte] &= ~mask
            slot += 1
    return cursor, slot


@nb.njit(cache=True, nogil=True)
def _retire_parents(crossed, n_crossed, pool, start, length, alive):
    """Phase 5: the crossed regions ``crossed[:n_crossed]`` die; their corners become the sentinel."""
    for i in range(n_crossed):
        s = crossed[i]
        alive[s] = False
        first = start[s]
        for k in range(first, first + length[s]):
            pool[k] = 0


@nb.njit(cache=True, nogil=True)
def _compact(pool, npool, start, length, alive, map_id, bits, nslots):
    """Phase 6: drop dead slots and garbage corners in place; the live slots keep their order.

    The same slots, pool and order as :meth:`tropical._region_split.Partition.compact` (which allocates new
    arrays); capacities are kept and the entries past the live ones are left as they are (``alive`` cleared).
    Returns ``(npool, nslots)`` after compaction (both the live counts).
    """
    cursor = 0
    live = 0
    for s in range(nslots):
        if not alive[s]:
            continue
        first, count = start[s], length[s]
        for k in range(count):  # cursor <= first: a forward copy never overwrites what it still reads
            pool[cursor + k] = pool[first + k]
        start[live] = cursor
        length[live] = count
        map_id[live] = map_id[s]
        bits[live, :] = bits[s, :]
        alive[live] = True
        cursor += count
        live += 1
    alive[live:nslots] = False
    return cursor, live


@nb.njit(cache=True, nogil=True)
def _sweep_layer(
    a, b, c, gradient, tolerance, neuron, x, y, home, nv, pool, npool, live_corners,
    start, length, alive, map_id, bits, nslots, nregions, max_regions, values, code,
):  # fmt: skip
    """Split by neurons ``neuron, neuron + 1, ...`` of a layer; see the module docstring.

    Shapes: ``a, b, c, gradient`` (n_neurons, n_maps) float64; vertices ``x, y`` float64 and ``home`` int
    (vertex capacity >= nv); ``pool`` int32 (pool capacity >= npool); slots ``start, length`` int64,
    ``alive`` bool, ``map_id`` int, ``bits`` (slot capacity, n_bytes) uint8 (capacity >= nslots);
    scratch ``values`` float64 and ``code`` uint8 (vertex capacity). Each neuron runs the phases
    :func:`_vertex_codes`, :func:`_crossed_regions`, :func:`_crossing_vertices`, :func:`_append_children`
    and :func:`_retire_parents`, checking room before phase 3, and :func:`_compact` when more than half of the
    pool is garbage; the partition is compacted when the layer is done.

    Returns ``(status, neuron, nv, npool, live_corners, nslots, nregions, need_vertices, need_pool,
    need_slots)``: ``neuron`` is the next neuron to process (``GROW``: the one that did not fit;
    ``TOO_MANY``: the one after which there were too many regions).
    """
    n_neurons = a.shape[0]
    single = a.shape[1] == 1
    crossed = np.empty(nslots, dtype=np.int64)
    while neuron < n_neurons:
        j = neuron
        _vertex_codes(a, b, c, j, tolerance, x, y, home, nv, values, code)
        byte = j // 8
        mask = np.uint8(1 << (j % 8))
        if crossed.shape[0] < nslots:
            crossed = np.empty(nslots, dtype=np.int64)
        n_crossed, n_corners = _crossed_regions(
            code, pool, start, length, alive, bits, nslots, byte, mask, crossed
        )
        neuron += 1
        if n_crossed == 0:
            continue
        need_vertices = nv + n_corners
        need_pool = npool + 3 * n_corners
        need_slots = nslots + 2 * n_crossed
        if need_vertices > x.shape[0] or need_pool > pool.shape[0] or need_slots > start.shape[0]:
            return (GROW, j, nv, npool, live_corners, nslots, nregions, need_vertices, need_pool, need_slots)
        vertex_of, n_new = _crossing_vertices(
            j, single, gradient, crossed, n_crossed, n_corners, code, values, pool, start, length, map_id,
            x, y, home, nv,
        )  # fmt: skip
        cursor, slot = _append_children(
            crossed, n_crossed, code, vertex_of, pool, npool, start, length, alive, map_id, bits, nslots,
            byte, mask,
        )  # fmt: skip
        _retire_parents(crossed, n_crossed, pool, start, length, alive)
        nv += n_new
        live_corners += cursor - npool - n_corners
        npool = cursor
        nslots = slot
        nregions += n_crossed
        if nregions > max_regions:
            return (TOO_MANY, j, nv, npool, live_corners, nslots, nregions, 0, 0, 0)
        if npool > 2 * live_corners + 1024:
            npool, nslots = _compact(pool, npool, start, length, alive, map_id, bits, nslots)
            live_corners = npool
    if nslots != nregions or npool != live_corners:
        npool, nslots = _compact(pool, npool, start, length, alive, map_id, bits, nslots)
        live_corners = npool
    return (DONE, neuron, nv, npool, live_corners, nslots, nregions, 0, 0, 0)


@nb.njit(cache=True, nogil=True)
def _region_map(maps, m, bits, r, slope, weight_t, bias, out):
    """``out[r] = weight @ (D_r * maps[m]) + bias`` for one region."""
    n, n_next = weight_t.shape
    for k in range(n_next):
        out[r, k, 0] = 0.0
        out[r, k, 1] = 0.0
        out[r, k, 2] = bias[k]
    for j in range(n):
        factor = 1.0 if (bits[r, j >> 3] >> (j & 7)) & 1 else slope
        if factor == 0.0:
            continue
        p0, p1, p2 = factor * maps[m, j, 0], factor * maps[m, j, 1], factor * maps[m, j, 2]
        for k in range(n_next):
            w = weight_t[j, k]
            out[r, k, 0] += w * p0
            out[r, k, 1] += w * p1
            out[r, k, 2] += w * p2


@nb.njit(cache=True, nogil=True)
def tree_maps(maps, map_id, bits, slope, weight_t, bias, order, predecessor):
    """Next-layer maps along a spanning forest (see :func:`tropical.regions._next_maps`).

    ``order`` lists the regions parents first; ``predecessor[r]`` is ``r``'s parent, or a value >= the
    number of regions for a root (computed in full). A child adds ``+-(1 - slope) weight[:, j] (x)
    maps[j]`` for each neuron ``j`` whose activation differs from its parent's. With an empty
    ``predecessor`` the forest is that of :func:`tropical.regions._reference_forest` (the first region of
    each previous-layer map is the root of the others), found in one pass over the regions in order
    (``order`` is then not read).
    """
    n_regions = map_id.shape[0]
    n_next = weight_t.shape[1]
    reference = predecessor.shape[0] == 0
    root = np.full(maps.shape[0] if reference else 0, -1, dtype=np.int64)
    out = np.empty((n_regions, n_next, 3))
    for i in range(n_regions if reference else order.shape[0]):
        if reference:
            r = i
            parent = root[map_id[r]]
            if parent < 0:
                root[map_id[r]] = r
        else:
            r = order[i]
            if r >= n_regions:
                continue
            parent = predecessor[r]
        m = map_id[r]
        if parent < 0 or parent >= n_regions:
            _region_map(maps, m, bits, r, slope, weight_t, bias, out)
            continue
        out[r] = out[parent]
        for byte in range(bits.shape[1]):
            flipped = bits[r, byte] ^ bits[parent, byte]
            bit = 0
            while flipped:
                if flipped & 1:
                    j = byte * 8 + bit
                    gain = 1.0 - slope if (bits[r, byte] >> bit) & 1 else slope - 1.0
                    p0, p1, p2 = gain * maps[m, j, 0], gain * maps[m, j, 1], gain * maps[m, j, 2]
                    for k in range(n_next):
                        w = weight_t[j, k]
                        out[r, k, 0] += w * p0
                        out[r, k, 1] += w * p1
                        out[r, k, 2] += w * p2
                flipped >>= 1
                bit += 1
    return out


@nb.njit(cache=True, nogil=True)
def _leader_margin(at, a, b, competing, p, w, radius):
    """The smallest margin by which the competing entry largest at the point of pair ``p`` (``at``: its
    entries' values there) beats every other competing entry, less ``radius`` times the norm of their
    difference's gradient (the numpy expressions of
    :meth:`tropical._region_graph._GraphSweep._settled_on_discs`)."""
    leader, best = -1, -np.inf
    for k in range(w):
        if competing[p, k] and (leader < 0 or at[k] > best):
            leader, best = k, at[k]
    margin = np.inf
    for k in range(w):
        if k != leader and competing[p, k]:
            da, db = a[p, leader] - a[p, k], b[p, leader] - b[p, k]
            margin = min(margin, best - at[k] - radius * np.sqrt(da * da + db * db))
    return margin


@nb.njit(cache=True, nogil=True)
def unsettled_windows(maps, competing, centre, radius, cx, cy, starts, counts, tie, threshold):
    """:meth:`tropical._region_graph._GraphSweep._unsettled_outputs`'s tests of the windows, one pair (a
    region, an output) at a time, with the numpy path's float operations in its order (the same decisions):
    settled on the disc of ``radius`` about ``centre`` (the largest competitor there beats every other by
    more than ``tie`` on the disc, or no two competitors can change order on it), else at the region's
    corners (``cx, cy`` from ``starts`` ``counts``): the largest competitor at the first corner beats every
    other by more than ``tie`` at every corner, or no two competitors change order beyond ``threshold``.

    ``maps`` (P, 3, w), ``competing`` (P, w) bool, ``centre`` (P, 2), ``radius`` (P,); returns (P,) bool:
    the pairs that need a split.
    """
    n_pairs, w = competing.shape
    a, b, c = maps[:, 0], maps[:, 1], maps[:, 2]
    out = np.zeros(n_pairs, dtype=np.bool_)
    at = np.empty(w)
    low, high = np.empty(w * w), np.empty(w * w)
    for p in range(n_pairs):
        for k in range(w):
            at[k] = centre[p, 0] * a[p, k] + centre[p, 1] * b[p, k] + c[p, k]
        margin = _leader_margin(at, a, b, competing, p, w, radius[p])
        if margin > tie:
            continue
        apart = True
        for i in range(w):
            for j in range(i + 1, w):
                if competing[p, i] and competing[p, j]:
                    da, db = a[p, i] - a[p, j], b[p, i] - b[p, j]
                    if not (abs(at[i] - at[j]) - radius[p] * np.sqrt(da * da + db * db) > threshold):
                        apart = False
        if apart:
            continue
        # the corners: the leader at the first corner, its margins and every pair's range of differences
        first = starts[p]
        for k in range(w):
            at[k] = cx[first] * a[p, k] + cy[first] * b[p, k] + c[p, k] if competing[p, k] else -np.inf
        leader = 0
        for k in range(1, w):
            if at[k] > at[leader]:
                leader = k
        margin = np.inf
        for i in range(w * w):
            low[i], high[i] = np.inf, -np.inf
        for q in range(first, first + counts[p]):
            for k in range(w):
                at[k] = cx[q] * a[p, k] + cy[q] * b[p, k] + c[p, k] if competing[p, k] else -np.inf
            for k in range(w):
                if k != leader:
                    margin = min(margin, at[leader] - at[k])
            for i in range(w):
                for j in range(i + 1, w):
                    d = (at[i] if competing[p, i] else 0.0) - (at[j] if competing[p, j] else 0.0)
                    low[i * w + j], high[i * w + j] = min(low[i * w + j], d), max(high[i * w + j], d)
        if margin > tie:
            continue
        for i in range(w):
            for j in range(i + 1, w):
                if (
                    high[i * w + j] > threshold
                    and low[i * w + j] < -threshold
                    and competing[p, i]
                    and competing[p, j]
                ):
                    out[p] = True
    return out


@nb.njit(cache=True, nogil=True)
def masked_argmax(rows, index, bits, slope, parent, windows, px, py, tie, out):
    """:meth:`tropical._region_graph._GraphSweep._argmax` of an activation's output (``_Masked``): ``out[r,
    j]`` the lowest position of window ``j`` whose entry at ``(px[r], py[r])`` is within ``tie`` of the
    largest, the entries ``where(active, 1, slope) * (x a + y b + c)`` of ``rows[index[parent[r]]]`` (the
    numpy path's float operations; padding ``-1`` never chosen)."""
    n_out, w = windows.shape
    at = np.empty(w)
    for r in range(len(parent)):
        region = parent[r]
        m = index[region]
        x, y = px[r], py[r]
        for j in range(n_out):
            top = -np.inf
            for k in range(w):
                f = windows[j, k]
                if f < 0:
                    at[k] = -np.inf
                    continue
                value = x * rows[m, 0, f] + y * rows[m, 1, f] + rows[m, 2, f]
                if not (bits[region, f >> 3] >> (f & 7)) & 1:
                    value = value * slope[f]
                at[k] = value
                top = max(top, value)
            for k in range(w):
                if at[k] >= top - tie:
                    out[r, j] = k
                    break


@nb.njit(cache=True, nogil=True)
def pooled_maps(rows, index, bits, slope, parent, argmax, packed, windows, regions, out):
    """``out[i]`` the maps ``(3, n_out)`` of a max node's output over an activation's on region
    ``regions[i]`` (``_ArgmaxPooled.take``): output ``j`` is entry ``f = windows[j, position]`` of
    ``rows[index[parent[r]]]`` times ``where(active, 1, slope[f])`` (the numpy path's products);
    ``argmax`` the positions, 2 bits each when ``packed``."""
    n_out = windows.shape[0]
    for i in range(len(regions)):
        r = regions[i]
        region = parent[r]
        m = index[region]
        for j in range(n_out):
            position = (argmax[r, j >> 2] >> ((j & 3) * 2)) & 3 if packed else argmax[r, j]
            f = windows[j, position]
            factor = 1.0 if (bits[region, f >> 3] >> (f & 7)) & 1 else slope[f]
            for c in range(3):
                out[i, c, j] = rows[m, c, f] * factor


@nb.njit(cache=True, nogil=True)
def masked_maps(rows, index, bits, slope, regions, features, out):
    """``out[i, :, k]`` the map of entry ``f = features[i, k]`` of an activation's output (``_Masked``) on
    region ``r = regions[i]``: ``rows[index[r], :, f]`` times ``where(active, 1, slope[f])`` (the numpy
    path's products)."""
    for i in range(len(regions)):
        r = regions[i]
        m = index[r]
        for k in range(features.shape[1]):
            f = features[i, k]
            factor = 1.0 if (bits[r, f >> 3] >> (f & 7)) & 1 else slope[f]
            for c in range(3):
                out[i, c, k] = rows[m, c, f] * factor


def announce_compilation() -> None:
    """Write one line to stderr when the kernels every sweep uses are not in numba's disk cache (they
    compile on first use). The max nodes' kernels are left out: a process that sweeps only MLPs never
    compiles them, so counting them would announce a compilation in every such process; they compile in a
    few seconds on a graph sweep's first max node."""
    try:
        cached = all(
            os.path.exists(function._cache._cache_file._index_path)
            for function in (_sweep_layer, tree_maps, normalised, own_maps)
        )
    except AttributeError:  # pragma: no cover - numba's cache layout changed
        return
    if not cached:
        print(
            "tropical: compiling the linear-regions kernels with numba (once per installation, ~10 s)",
            file=sys.stderr,
            flush=True,
        )
