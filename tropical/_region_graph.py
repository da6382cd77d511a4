"""The linear-regions sweep over a general piecewise-linear graph (:mod:`tropical.graph`) on a 2-D domain.

:mod:`tropical.regions` sweeps chains of dense layers (MLPs) with its own fast path; this module handles every
other graph the reader produces (convolutions, pooling, residual connections, per-unit slopes). The nodes are
visited in topological order, keeping for every *live* node value (one still needed by a later node) its
affine map on each region as an array ``(M, 3, size)``: the coefficients of the internal coordinates ``x``,
``y`` and the constant, with ``M = 1`` while the value is the same on every region and ``M = R`` (the
current number of regions) otherwise.

- affine node: ``sum_i ops[i].apply(inputs[i])`` on the batch of ``M * 3`` columns (the bias only on the
  constant column), in chunks of regions; a convolution is applied as a convolution, never as a matrix;
- activation node (any real slope, per unit or scalar): every unit splits the regions along the zero line
  of its input, exactly as a layer of the chain sweep (:meth:`Partition.split_layer`); the output on a
  region is ``where(active, 1, slope) * input``;
- max node: each output splits the regions into the cells of the upper envelope of its window's affine
  inputs. A region is split along the line where two window entries tie only if both can be the largest
  somewhere on it (no other entry beats either by more than the tie tolerance at every corner); the
  pieces of one region with the same argmax for every output form one convex cell and are merged
  (:meth:`Partition.merge`), so no two adjacent regions have the same pattern. The argmax of a region is
  the lowest window position within the tie tolerance (``tolerance`` times a bound of the largest absolute
  input value on the domain) of the largest. A region lying entirely within that tolerance of a tie line
  (areas ~1e-12 of the domain, where many lines meet) is not split by it: its map is then off by at most
  the tie tolerance times the gain of the layers after the max node (~1e-6 relative seen in tests).

After a node that splits, every live per-region value is gathered to the new regions (``value[parent]``);
the memory this needs is estimated before it is allocated.
"""

from __future__ import annotations

import itertools

import numpy as np

from tropical._region_split import Partition, _segment_ranges
from tropical.errors import ComputationTooLargeError
from tropical.graph import Dense, Reshape

_CHUNK_BYTES = 48_000_000


def _check_memory(estimate: float, max_memory: float, what: str) -> None:
    if estimate > max_memory:
        raise ComputationTooLargeError(
            f"{what} need about {estimate / 1e9:.2f} GB (limit max_memory={max_memory:.3g} bytes); raise "
            "max_memory, or use a smaller domain (bounds= or polygon=) with fewer regions",
            estimate=float(estimate),
            limit=float(max_memory),
        )


def _rows_per_chunk(width: int) -> int:
    return max(1, _CHUNK_BYTES // (24 * max(1, width)))


class _Masked:
    """An activation's output kept lazily: on region ``r`` it is ``where(active[r], 1, slope) *
    rows[index[r]]`` (``index=None``: ``rows[0]`` on every region), with ``active`` the packed bits of the
    region. Costs ``n / 8`` bytes per region instead of ``24 n`` (a conv layer's thousands of units on every
    region)."""

    def __init__(self, rows: np.ndarray, index: np.ndarray | None, bits: np.ndarray, slope: np.ndarray):
        self.rows, self.index, self.bits, self.slope = rows, index, bits, slope

    @property
    def shape(self) -> tuple[int, int, int]:
        return (len(self.bits), 3, self.rows.shape[2])

    def take(self, regions=slice(None), features=None) -> np.ndarray:
        """The maps ``(len(regions), 3, len(features))`` (all features when None)."""
        if features is None:
            bits = self.bits[regions]
            active = np.unpackbits(bits, axis=1, count=self.rows.shape[2], bitorder="little").astype(bool)
            factors = np.where(active, 1.0, self.slope)
            rows = self.rows
            maps = (
                rows[np.zeros(len(bits), dtype=np.int64)] if self.index is None else rows[self.index[regions]]
            )
        else:  # only the needed bytes and entries of the given regions
            regions = np.arange(len(self.bits))[regions]
            bits = self.bits[regions[:, None], (features // 8)[None, :]]
            active = (bits >> (features % 8).astype(np.uint8)) & 1
            factors = np.where(active == 1, 1.0, self.slope[features])
            if self.index is None:
                maps = np.repeat(self.rows[:, :, features], len(regions), axis=0)
            else:
                rows = self.index[regions][:, None, None]
                maps = self.rows[rows, np.arange(3)[None, :, None], features[None, None, :]]
        maps *= factors[:, None, :]
        return maps

    def gathered(self, parent: np.ndarray) -> _Masked:
        index = None if self.index is None else self.index[parent]
        return _Masked(self.rows, index, self.bits[parent], self.slope)


def _take(value, regions: np.ndarray, features=None) -> np.ndarray:
    """Maps ``(len(regions), 3, n)`` of a value (an array with one row, or one per region, or a
    :class:`_Masked`) on the given regions (an index array), of all or some ``features``."""
    if isinstance(value, _Masked):
        return value.take(regions, features)
    rows = value if features is None else value[:, :, features]
    if rows.shape[0] == 1:
        return np.repeat(rows, len(regions), axis=0)
    return rows[regions]


def _apply(op, maps: np.ndarray) -> np.ndarray:
    """``op`` on the three columns of each map: ``(c, 3, n_in) -> (c, 3, n_out)`` (a reshape is free, a
    matrix on a vector one product; everything else through ``op.apply`` on a batch of ``3 c``)."""
    if isinstance(op, Reshape):
        return maps
    if isinstance(op, Dense) and len(op.in_shape) == 1:
        return maps @ op.weight.T
    return op.apply(maps.reshape(-1, *op.in_shape)).reshape(len(maps), 3, -1)


def _per_region_bytes(value) -> float:
    if isinstance(value, _Masked):
        return value.bits.shape[1] + 8.0
    return 24.0 * value.shape[2] if value.shape[0] > 1 else 0.0


class _GraphSweep:
    def __init__(self, graph, partition: Partition, tolerance, max_regions, max_memory, use_compiled=None):
        self.graph = graph
        self.use_compiled = use_compiled
        self.partition = partition
        self.tolerance = tolerance
        self.max_regions = max_regions
        self.max_memory = max_memory
        self.values: dict[int, np.ndarray | _Masked] = {}
        self.patterns: list[tuple[np.ndarray, np.ndarray, int, str]] = []
        last_use = {graph.output: len(graph.nodes)}
        for index, node in enumerate(graph.nodes):
            for i in node.inputs:
                last_use[i] = max(last_use.get(i, 0), index)
        self.last_use = last_use

    @property
    def n_regions(self) -> int:
        return self.partition.nregions

    # ------------------------------------------------------------------------------------------ nodes
    def affine(self, node) -> np.ndarray:
        inputs = [self.values[i] for i in node.inputs]
        rows = max(v.shape[0] for v in inputs)
        _check_memory(
            24.0 * rows * node.size + self._live_bytes(rows),
            self.max_memory,
            f"the affine maps of node {node.name!r} ({node.size} values) on {rows} regions",
        )
        out = np.zeros((rows, 3, node.size))
        for op, value in zip(node.ops, inputs, strict=True):
            step = _rows_per_chunk(max(op.n_in, op.n_out))
            for lo in range(0, value.shape[0], step):
                chunk = _take(value, np.arange(lo, min(lo + step, value.shape[0])))
                result = _apply(op, chunk)
                if value.shape[0] == 1:
                    out += result
                else:
                    out[lo : lo + step] += result
        if node.bias is not None:
            out[:, 2, :] += np.asarray(node.bias, dtype=np.float64).reshape(-1)
        return out

    def activation(self, node) -> _Masked:
        value = self.values[node.inputs[0]]
        if isinstance(value, _Masked):  # an activation of an activation: its input in full
            _check_memory(
                24.0 * value.shape[0] * value.shape[2] + self._live_bytes(value.shape[0]),
                self.max_memory,
                f"the input maps of node {node.name!r}",
            )
            value = value.take(np.arange(value.shape[0]))
        n = node.size
        partition, before = self.partition, self.n_regions
        self._label_regions(per_region=value.shape[0] > 1)
        lines = Partition.normalised(value.transpose(0, 2, 1))
        if value.shape[0] == 1 and before > 1:  # the regions need their own ids (parents): one line set each
            _check_memory(32.0 * before * n, self.max_memory, f"the lines of node {node.name!r}")
            lines = tuple(row[:, np.zeros(before, dtype=np.int64)] for row in lines)
        partition.reset_bits(n)
        neuron = partition.split_layer(lines, self.max_regions, use_compiled=self.use_compiled)
        if neuron is not None:
            raise ComputationTooLargeError(
                f"more than max_regions={self.max_regions} linear regions after {neuron + 1} of the {n} "
                f"units of node {node.name!r}",
                estimate=float(partition.nregions),
                limit=float(self.max_regions),
            )
        partition.compact()
        after = self.n_regions
        parent = partition.map_id[:after].copy()
        bits = partition.bits[:after].copy()
        self.patterns.append((bits, parent, n, "sign"))
        self._gather(parent, before, extra=bits.shape[1], name=node.name)
        slope = np.broadcast_to(np.asarray(node.slope, dtype=np.float64), node.shape).reshape(-1)
        return _Masked(value, parent if value.shape[0] > 1 else None, bits, slope.copy())

    def max(self, node) -> np.ndarray:
        value = self.values[node.inputs[0]]
        windows = np.asarray(node.windows, dtype=np.int64)
        partition, before = self.partition, self.n_regions
        per_region = isinstance(value, _Masked) or value.shape[0] > 1
        self._label_regions(per_region=per_region)
        partition.reset_bits(1)
        # |value| <= |a| + |b| + |c| on the domain (internal coordinates within [-1, 1]^2)
        if isinstance(value, _Masked):
            bound = np.abs(value.rows).sum(axis=1).max(initial=0.0)
            scale = float(bound * max(1.0, np.abs(value.slope).max(initial=0.0)))
        else:
            scale = float(np.abs(value).sum(axis=1).max(initial=0.0))
        tie = self.tolerance * scale
        open_regions = np.zeros(before, dtype=bool)
        unsettled = self._unsettled_outputs(value, windows, tie) if scale > 0 else []
        if unsettled:  # regions at the node's start that share an edge (both directions)
            _, _, left, right = partition.shared_edges()
            left, right = np.concatenate([left, right]), np.concatenate([right, left])
        for k, regions in unsettled:
            entries = windows[k][windows[k] >= 0]
            coefficients = _take(value, np.arange(before), entries) if per_region else value[:, :, entries]
            open_regions[regions] = True
            # a split region's new vertices lie on its edges: only regions of the open ones and of their
            # neighbours can share such an edge (pieces of two regions touch only if the regions do)
            near = open_regions.copy()
            near[right[open_regions[left]]] = True
            self._split_by_envelope(coefficients, scale, tie, open_regions, near)
            open_regions[regions] = False
            if partition.nregions > self.max_regions:
                raise ComputationTooLargeError(
                    f"more than max_regions={self.max_regions} linear regions after output {k} of the "
                    f"{len(windows)} outputs of node {node.name!r}",
                    estimate=float(partition.nregions),
                    limit=float(self.max_regions),
                )
        partition.compact()
        parent = partition.map_id[: partition.nregions].copy()
        argmax = self._argmax(value, parent, windows, tie)
        key = np.concatenate([parent[:, None], argmax], axis=1)
        _, first, group = np.unique(key, axis=0, return_index=True, return_inverse=True)
        group = group.reshape(-1)
        if len(first) < len(parent):
            partition.merge(group)
            parent, argmax = parent[first], argmax[first]
        after = self.n_regions
        self.patterns.append((argmax, parent, len(windows), "argmax"))
        self._gather(parent, before, extra=24 * len(windows), name=node.name)
        out = np.empty((after, 3, len(windows)))
        step = _rows_per_chunk(value.shape[2])
        for lo in range(0, after, step):
            chosen = windows[np.arange(len(windows)), argmax[lo : lo + step]]  # (c, n_out) input indices
            maps = _take(value, parent[lo : lo + step])
            out[lo : lo + step] = np.take_along_axis(maps, chosen[:, None, :], axis=2)
        return out

    # ------------------------------------------------------------------------------------------ helpers
    def _live_bytes(self, n_regions: int) -> float:
        return n_regions * sum(_per_region_bytes(v) for v in self.values.values())

    def _label_regions(self, per_region: bool) -> None:
        """Region ``r`` gets map id ``r`` (its parent after the split); vertices a region containing them."""
        partition = self.partition
        partition.compact()
        n = partition.nregions
        partition.map_id[:n] = np.arange(n)
        corners, offsets = partition.corner_arrays()
        partition.home[corners] = np.repeat(np.arange(n), np.diff(offsets)) if per_region else 0

    def _gather(self, parent: np.ndarray, before: int, extra: float, name: str) -> None:
        """Every live per-region value on the new regions (``parent``: the region each came from)."""
        _check_memory(
            self._live_bytes(len(parent)) + extra * len(parent),
            self.max_memory,
            f"the affine maps of the live values after node {name!r} on {len(parent)} regions",
        )
        for i, value in list(self.values.items()):
            if isinstance(value, _Masked):
                self.values[i] = value.gathered(parent)
            elif value.shape[0] == before and before > 1:
                self.values[i] = value[parent]
            elif value.shape[0] > 1:
                raise AssertionError("a per-region value from an older partition")

    def _unsettled_outputs(self, value, windows: np.ndarray, tie: float) -> list[tuple[int, np.ndarray]]:
        """The outputs of a max node whose window has two entries that may tie on some region, each with
        those regions (numbered as by :meth:`_label_regions`, which their pieces keep as ``map_id``). A
        region where the largest entry at its first corner beats every other entry at every corner by more
        than ``tie``, or where no two entries change order beyond ``tie`` between its corners, never needs
        a split for that output (nor do its pieces after other outputs split it)."""
        partition = self.partition
        corners, offsets = partition.corner_arrays()
        n = partition.nregions
        per_region = isinstance(value, _Masked) or value.shape[0] > 1
        block = max(1, 64 // windows.shape[1])  # outputs at a time
        first_entry, second_entry = np.triu_indices(windows.shape[1], 1)
        unsettled = []
        for lo in range(0, len(windows), block):
            window = windows[lo : lo + block]
            features = np.maximum(window, 0).reshape(-1)
            padding = window < 0
            settled = np.ones((n, len(window)), dtype=bool)
            step = max(1, _CHUNK_BYTES // (64 * len(features) * 8))  # regions at a time (~8 corners each)
            for start in range(0, n, step):
                stop = min(n, start + step)
                chunk = np.arange(start, stop)
                lengths = np.diff(offsets[start : stop + 1])
                vertices = corners[offsets[start] : offsets[stop]]
                local = np.repeat(np.arange(len(chunk)), lengths)
                maps = _take(value, chunk, features) if per_region else value[:, :, features]
                maps = maps.reshape(len(maps), 3, *window.shape)
                row = local if per_region else np.zeros(len(local), dtype=np.int64)
                x, y = partition.x[vertices, None, None], partition.y[vertices, None, None]
                at = x * maps[row, 0] + y * maps[row, 1] + maps[row, 2]  # (corners, outputs, w)
                at[:, padding] = -np.inf
                firsts = offsets[start:stop] - offsets[start]
                leader = np.argmax(at[firsts], axis=2)[local][:, :, None]  # (corners, outputs, 1)
                margin = np.take_along_axis(at, leader, axis=2) - at
                np.put_along_axis(margin, leader, np.inf, axis=2)
                margin[:, padding] = np.inf
                dominated = np.minimum.reduceat(margin.min(axis=2), firsts, axis=0) > tie
                # or no two entries change order on the region: no tie line crosses it (entries equal on
                # it, such as inactive ReLUs, tie everywhere and never split it)
                at[:, padding] = 0.0
                difference = at[:, :, first_entry] - at[:, :, second_entry]  # (corners, outputs, pairs)
                threshold = tie * (1 - 1e-6)  # within rounding of the tie: looked at
                crossable = (np.maximum.reduceat(difference, firsts, axis=0) > threshold) & (
                    np.minimum.reduceat(difference, firsts, axis=0) < -threshold
                )
                settled[start:stop] = dominated | ~crossable.any(axis=2)
            for k in np.flatnonzero(~settled.all(axis=0)):
                unsettled.append((lo + int(k), np.flatnonzero(~settled[:, k])))
        return unsettled

    def _entry_values(self, coefficients: np.ndarray, vertices: np.ndarray) -> np.ndarray:
        """Values (len(vertices), w) of the window entries at vertices, each with its home region's maps."""
        partition = self.partition
        x, y = partition.x[vertices, None], partition.y[vertices, None]
        if coefficients.shape[0] == 1:
            return x * coefficients[0, 0] + y * coefficients[0, 1] + coefficients[0, 2]
        home = partition.home[vertices]
        return x * coefficients[home, 0] + y * coefficients[home, 1] + coefficients[home, 2]

    def _candidates(self, coefficients: np.ndarray, tie: float, slots: np.ndarray) -> np.ndarray:
        """(len(slots), w): whether each entry can be the largest on each of the (alive) ``slots``: no other
        entry beats it by more than ``tie`` at every corner (an entry largest only inside a region is a
        candidate too). A slot where one entry beats every other at every corner is settled by an O(w) test;
        the pairwise test runs on the others only."""
        partition = self.partition
        positions, _, offsets = _segment_ranges(partition.start[slots], partition.length[slots])
        values = self._entry_values(coefficients, partition.pool[positions])  # (corners, w)
        w = values.shape[1]
        result = np.zeros((len(slots), w), dtype=bool)
        if len(slots) == 0:
            return result
        leader = np.argmax(values[offsets[:-1]], axis=1)  # the largest entry at each slot's first corner
        margin = values[np.arange(len(values)), np.repeat(leader, np.diff(offsets))][:, None] - values
        margin[np.arange(len(values)), np.repeat(leader, np.diff(offsets))] = np.inf
        settled = np.minimum.reduceat(margin.min(axis=1), offsets[:-1]) > tie
        result[np.flatnonzero(settled), leader[settled]] = True
        open_slots = np.flatnonzero(~settled)
        if len(open_slots):
            inner, _, inner_offsets = _segment_ranges(offsets[open_slots], np.diff(offsets)[open_slots])
            v = values[inner]
            differences = (v[:, :, None] - v[:, None, :]).reshape(len(v), w * w)
            best = np.maximum.reduceat(differences, inner_offsets[:-1], axis=0)
            result[open_slots] = ~np.any(best.reshape(-1, w, w) < -tie, axis=2)
        return result

    def _split_by_envelope(self, coefficients, scale: float, tie: float, open_regions, near) -> None:
        """Split the regions along the lines where two window entries tie and both can be the largest;
        only pieces of ``open_regions`` (bool per region at the node's start, ``map_id``) can be split, and
        only pieces of ``near`` (the open regions and their neighbours) are looked at."""
        partition = self.partition

        def alive_slots(first=0, regions=open_regions):
            slots = first + np.flatnonzero(partition.alive[first : partition.nslots])
            return slots[regions[partition.map_id[slots]]]

        alive = alive_slots()
        candidates = np.zeros((partition.nslots, coefficients.shape[2]), dtype=bool)
        candidates[alive] = self._candidates(coefficients, tie, alive)
        if not np.any(candidates.sum(axis=1) >= 2):
            return
        for a, b in itertools.combinations(range(coefficients.shape[2]), 2):
            eligible = candidates[:, a] & candidates[:, b]
            if not eligible.any():
                continue
            looked_at = alive_slots(regions=near)
            vertices = partition.pool[
                _segment_ranges(partition.start[looked_at], partition.length[looked_at])[0]
            ]
            values = partition.vertex_values(
                coefficients[:, :, a] - coefficients[:, :, b], scale=scale, vertices=vertices
            )
            slots, generation = partition.nslots, partition.generation
            partition.split(values, eligible_slots=eligible, slots=looked_at)
            if partition.generation != generation:  # compacted: slots renumbered
                alive = alive_slots()
                candidates = np.zeros((partition.nslots, coefficients.shape[2]), dtype=bool)
                candidates[alive] = self._candidates(coefficients, tie, alive)
            elif partition.nslots != slots:  # new slots (split, or crossing points added to whole ones)
                fresh = alive_slots(slots)
                grown = np.zeros((partition.nslots, coefficients.shape[2]), dtype=bool)
                grown[:slots] = candidates
                grown[:slots][~partition.alive[:slots]] = False
                grown[fresh] = self._candidates(coefficients, tie, fresh)
                candidates = grown

    def _argmax(self, value, parent, windows, tie) -> np.ndarray:
        """(R, n_out) window position of the largest entry at an interior point of each region."""
        partition = self.partition
        corners, offsets = partition.corner_arrays()
        counts = np.diff(offsets)
        px = np.add.reduceat(partition.x[corners], offsets[:-1]) / counts
        py = np.add.reduceat(partition.y[corners], offsets[:-1]) / counts
        dtype = np.uint8 if windows.shape[1] <= 255 else np.int64
        argmax = np.empty((len(parent), len(windows)), dtype=dtype)
        step = _rows_per_chunk(value.shape[2] + windows.size)
        for lo in range(0, len(parent), step):
            maps = _take(value, parent[lo : lo + step])
            at = (
                px[lo : lo + step, None] * maps[:, 0] + py[lo : lo + step, None] * maps[:, 1] + maps[:, 2]
            )  # (c, n_in)
            gathered = at[:, np.maximum(windows, 0)]
            gathered[:, windows < 0] = -np.inf
            top = gathered.max(axis=2, keepdims=True)
            argmax[lo : lo + step] = np.argmax(gathered >= top - tie, axis=2)
        return argmax


def graph_sweep(graph, domain, origin, frame, tolerance, max_regions, max_memory, use_compiled=None):
    """Regions of a :class:`tropical.graph.Graph` on ``domain``; returns what :func:`tropical.regions._sweep`
    returns: the partition, the output maps (R, n_out, 3), the patterns, the centre and the scale.
    ``use_compiled`` as for :meth:`Partition.split_layer`."""
    low, high = domain.min(axis=0), domain.max(axis=0)
    center = 0.5 * (low + high)
    scale = 0.5 * float(np.max(high - low))
    partition = Partition((domain - center) / scale, tolerance)
    sweep = _GraphSweep(graph, partition, tolerance, max_regions, max_memory, use_compiled)
    for index, node in enumerate(graph.nodes):
        if node.kind == "input":
            value = np.empty((1, 3, graph.n_in))
            value[0, :2] = frame * scale
            value[0, 2] = origin + frame.T @ center
        elif node.kind == "affine":
            value = sweep.affine(node)
        elif node.kind == "activation":
            value = sweep.activation(node)
        elif node.kind == "max":
            value = sweep.max(node)
        else:
            raise ValueError(f"unknown node kind {node.kind!r} of node {node.name!r}")
        sweep.values[index] = value
        for i in set(node.inputs):
            if sweep.last_use[i] == index:
                del sweep.values[i]
        if index == graph.output:
            break
    partition.compact()
    out = sweep.values[graph.output]
    if isinstance(out, _Masked):
        out = out.take(np.arange(out.shape[0]))
    maps = out.transpose(0, 2, 1)
    if len(maps) != partition.nregions:
        maps = np.repeat(maps, partition.nregions, axis=0)
    return partition, np.ascontiguousarray(maps), sweep.patterns, center, scale
