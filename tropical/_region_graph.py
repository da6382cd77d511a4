"""The linear-regions sweep over a general piecewise-linear graph (:mod:`tropical.graph`) on a 2-D domain.

:mod:`tropical.regions` sweeps chains of dense layers (MLPs) with its own fast path; this module handles every
other graph the reader produces (convolutions, pooling, residual connections, per-unit slopes). The nodes are
visited in topological order, keeping for every *live* node value (one still needed by a later node) its
affine map on each region as an array ``(M, 3, size)``: the coefficients of the internal coordinates ``x``,
``y`` and the constant, with ``M = 1`` while the value is the same on every region and ``M = R`` (the
current number of regions) otherwise.

- affine node: ``sum_i ops[i].apply(inputs[i])`` on the batch of ``M * 3`` columns (the bias only on the
  constant column), in chunks of regions; a convolution is applied as a convolution, never as a matrix;
  after a max node, on one piece of each region it split plus the pieces' differences
  (:func:`_shared_by_pieces`, kept in that form when the maps on every region would take much of
  ``max_memory``); right after an activation with one slope, a matrix is the chain sweep's next-layer step
  (:meth:`_GraphSweep._dense_layer`); a flattening passes its input through;
- activation node (any real slope, per unit or scalar): every unit splits the regions along the zero line
  of its input, exactly as a layer of the chain sweep (:meth:`Partition.split_layer`, a few units at a
  time); the output on a region is ``where(active, 1, slope) * input``, kept lazily (:class:`_Masked`);
- max node: each output splits the regions into the cells of the upper envelope of its window's affine
  inputs. Which outputs need a split on which regions is decided for all at once
  (:meth:`_GraphSweep._unsettled_outputs`: active entries only after an activation with slopes >= 0, then
  a bound on the disc holding each region, then the region's corners). A region is split along the line
  where two window entries tie only if both can be the largest somewhere on it (no other entry beats
  either by more than the tie tolerance at every corner); the pieces of one region with the same argmax
  for every output form one convex cell and are merged (:meth:`Partition.merge`), so no two adjacent
  regions have the same pattern. The argmax of a region is the lowest window position within the tie
  tolerance (``tolerance`` times a bound of the largest absolute input value on the domain) of the
  largest; the output keeps the chosen entries only (:class:`_Pooled`). A region lying entirely within
  that tolerance of a tie line (areas ~1e-12 of the domain, where many lines meet) is not split by it: its
  map is then off by at most the tie tolerance times the gain of the layers after the max node (~1e-6
  relative seen in tests). Once the numba kernels are loaded (large sweeps), the window tests, the
  argmax and the reading of the chosen maps run compiled (:mod:`tropical._region_kernel`, the same
  decisions).

After a node that splits, every live per-region value is gathered to the new regions (``value[parent]``;
the lazy ones gather their indices and bits); the memory this needs is estimated before it is allocated.
"""

from __future__ import annotations

import itertools

import numpy as np

from tropical._progress import Progress
from tropical._region_split import Partition, _segment_ranges, one_thread_product
from tropical._region_split import compiled as compiled_kernel
from tropical.errors import ComputationTooLargeError
from tropical.graph import Dense, Reshape

_CHUNK_BYTES = 16_000_000
#: an affine node after a max node keeps its maps shared by the pieces of each split region (slower to
#: read) when they would take more than this fraction of ``max_memory`` on every region
_SHARED_ABOVE = 0.25
_MATRIX_ENTRIES = 2**22  # an op's dense matrix for the pieces' differences (32 MB)


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


def _bound(rows: np.ndarray) -> float:
    """``max |a| + |b| + |c|`` over maps ``(M, 3, n)``: a bound of ``|value|`` on the domain (internal
    coordinates within [-1, 1]^2), in chunks of maps."""
    step = _rows_per_chunk(rows.shape[2])
    return max(
        (
            float(np.abs(rows[lo : lo + step]).sum(axis=1).max(initial=0.0))
            for lo in range(0, len(rows), step)
        ),
        default=0.0,
    )


def _rows_of(rows: np.ndarray, index: np.ndarray | None, regions: np.ndarray, features=None) -> np.ndarray:
    """``rows[index[regions]]`` (``rows[0]`` on every region when ``index`` is None) as ``(c, 3, n)``, or of
    ``features`` ``(c, k)`` (each region its own) as ``(c, 3, k)``."""
    if features is None:
        return rows[np.zeros(len(regions), dtype=np.int64) if index is None else index[regions]]
    if index is None:
        return rows[0][:, features].transpose(1, 0, 2)
    return rows[index[regions][:, None], :, features].transpose(0, 2, 1)


def _factors(active: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """``where(active, 1, slope)`` as float (``active`` bool ``(c, n)``, ``slope`` ``(n,)``), without
    :func:`numpy.where`'s broadcasting (several times slower here)."""
    if not slope.any():
        return active.astype(np.float64)
    factors = np.repeat(slope[None, :], len(active), axis=0)
    factors[active] = 1.0
    return factors


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

    def per_region_bytes(self) -> float:
        return self.bits.shape[1] + 8.0

    def bound(self) -> float:
        """An upper bound of ``|value|`` on the domain (internal coordinates within [-1, 1]^2)."""
        return _bound(self.rows) * max(1.0, float(np.abs(self.slope).max()))

    def active(self, regions: np.ndarray, features: np.ndarray) -> np.ndarray:
        """Whether ``features`` ``(c, k)`` are active on ``regions`` ``(c,)``."""
        return ((self.bits[regions[:, None], features >> 3] >> (features & 7).astype(np.uint8)) & 1) == 1

    def take(self, regions: np.ndarray) -> np.ndarray:
        """The maps ``(len(regions), 3, n)``."""
        active = np.unpackbits(self.bits[regions], axis=1, count=self.rows.shape[2], bitorder="little")
        maps = _rows_of(self.rows, self.index, regions)
        maps *= _factors(active.view(bool), self.slope)[:, None, :]
        return maps

    def select(self, regions: np.ndarray, features: np.ndarray) -> np.ndarray:
        maps = _rows_of(self.rows, self.index, regions, features)
        return maps * np.where(self.active(regions, features), 1.0, self.slope[features])[:, None, :]

    def values_at(self, regions: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        at = _values_at(self.rows, self.index, regions, x, y)
        active = np.unpackbits(self.bits[regions], axis=1, count=at.shape[1], bitorder="little")
        at *= _factors(active.view(bool), self.slope)
        return at

    def gathered(self, parent: np.ndarray) -> _Masked:
        index = None if self.index is None else self.index[parent]
        return _Masked(self.rows, index, self.bits[parent], self.slope)


class _Pooled:
    """A max node's output kept lazily: on region ``r``, output ``j`` is entry ``features[r, j]`` of
    ``rows[index[r]]`` (``index=None``: ``rows[0]``), times ``slope[features[r, j]]`` where ``active[r, j]``
    is False (the winner was an inactive unit of an activation; ``active=None``: never). Costs 3 bytes per
    output and region instead of 24."""

    def __init__(
        self, rows, index, features: np.ndarray, active: np.ndarray | None, slope: np.ndarray | None
    ):
        self.rows, self.index, self.features, self.active, self.slope = rows, index, features, active, slope
        self.groups: np.ndarray | None = None  # (R,) the region each came from, set by the max node

    @property
    def shape(self) -> tuple[int, int, int]:
        return (len(self.features), 3, self.features.shape[1])

    def per_region_bytes(self) -> float:
        return self.features.shape[1] * (self.features.itemsize + (self.active is not None)) + 8.0

    def bound(self) -> float:
        return _bound(self.rows) * (1.0 if self.slope is None else max(1.0, float(np.abs(self.slope).max())))

    def select(self, regions: np.ndarray, features: np.ndarray) -> np.ndarray:
        chosen = np.take_along_axis(self.features[regions], features, axis=1).astype(np.int64)
        maps = _rows_of(self.rows, self.index, regions, chosen)
        if self.active is not None:
            active = np.take_along_axis(self.active[regions], features, axis=1)
            maps *= np.where(active, 1.0, self.slope[chosen])[:, None, :]
        return maps

    def take(self, regions: np.ndarray) -> np.ndarray:
        return self.select(regions, np.broadcast_to(np.arange(self.shape[2]), (len(regions), self.shape[2])))

    def values_at(self, regions: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        maps = self.take(regions)
        return x[:, None] * maps[:, 0] + y[:, None] * maps[:, 1] + maps[:, 2]

    def gathered(self, parent: np.ndarray) -> _Pooled:
        index = None if self.index is None else self.index[parent]
        active = None if self.active is None else self.active[parent]
        return _Pooled(self.rows, index, self.features[parent], active, self.slope)


def packed_positions(positions: np.ndarray) -> np.ndarray:
    """Window positions ``(R, n)`` below 4 as 2 bits each, four to a byte: ``(R, ceil(n / 4))`` uint8
    (a max node's pattern: a 2x2 pooling of 864 outputs on 10^5 regions in 22 MB instead of 86)."""
    n = positions.shape[1]
    padded = np.zeros((len(positions), 4 * ((n + 3) // 4)), dtype=np.uint8)
    padded[:, :n] = positions
    quads = padded.reshape(len(positions), -1, 4)
    return quads[:, :, 0] | (quads[:, :, 1] << 2) | (quads[:, :, 2] << 4) | (quads[:, :, 3] << 6)


def unpacked_positions(packed: np.ndarray, n: int, outputs: np.ndarray | None = None) -> np.ndarray:
    """The positions of :func:`packed_positions` (rows of ``packed``), of every output or of ``outputs``
    (an int array, ``(k,)`` or one row per row of ``packed``)."""
    if outputs is None:
        shifts = np.arange(0, 8, 2, dtype=np.uint8)
        return ((packed[:, :, None] >> shifts) & 3).reshape(len(packed), -1)[:, :n]
    outputs = np.broadcast_to(outputs, (len(packed), outputs.shape[-1]))
    byte = np.take_along_axis(packed, outputs >> 2, axis=1)
    return (byte >> ((outputs & 3) * 2).astype(np.uint8)) & 3


class _ArgmaxPooled(_Pooled):
    """A max node's output over an activation's (:class:`_Masked`) kept as the argmax: on region ``r``, output
    ``j`` is entry ``windows[j, argmax[r, j]]`` of ``inner`` on its region ``parent[r]``. Costs the argmax
    (the array of the node's activation pattern, not a copy) and 8 bytes per region instead of the 3 bytes
    per output and region of the chosen entries (conv1's 864 pooled outputs on 10^5 regions: 0.3 GB)."""

    def __init__(
        self, inner: _Masked, parent, argmax: np.ndarray, windows: np.ndarray, packed=False, kernel=None
    ):
        """``argmax``: the positions ``(R, n_out)``, or (``packed``) :func:`packed_positions` of them;
        ``kernel``: :mod:`tropical._region_kernel` to read the maps in one compiled loop, or None."""
        self.inner, self.parent, self.argmax, self.windows, self.packed = (
            inner,
            parent,
            argmax,
            windows,
            packed,
        )
        self.rows, self.slope, self.kernel = inner.rows, inner.slope, kernel
        self.groups = None

    @property
    def index(self) -> np.ndarray | None:
        return None if self.inner.index is None else self.inner.index[self.parent]

    @property
    def features(self) -> np.ndarray:
        return self.chosen(np.arange(len(self.parent)), np.arange(len(self.windows)))

    @property
    def active(self) -> np.ndarray:
        regions = np.arange(len(self.parent))
        return self.inner.active(self.parent, self.chosen(regions, np.arange(len(self.windows))))

    @property
    def shape(self) -> tuple[int, int, int]:
        return (len(self.parent), 3, len(self.windows))

    def per_region_bytes(self) -> float:  # the argmax is the node's pattern (kept anyway)
        return 8.0 + self.inner.bits.nbytes / max(1, len(self.parent))

    def chosen(self, regions: np.ndarray, outputs: np.ndarray) -> np.ndarray:
        """The entries ``(len(regions), k)`` of ``inner`` chosen by ``outputs`` (``(k,)`` or per region
        ``(len(regions), k)``) on ``regions``."""
        outputs = np.broadcast_to(outputs, (len(regions), outputs.shape[-1]))
        return self.windows[outputs, self.positions(regions, outputs)]

    def positions(self, regions: np.ndarray, outputs: np.ndarray | None = None) -> np.ndarray:
        """The window positions on ``regions`` of every output, or of ``outputs`` (per region)."""
        if self.packed:
            return unpacked_positions(self.argmax[regions], len(self.windows), outputs)
        if outputs is None:
            return self.argmax[regions]
        return np.take_along_axis(
            self.argmax[regions], np.broadcast_to(outputs, (len(regions), outputs.shape[-1])), 1
        )

    def select(self, regions: np.ndarray, features: np.ndarray) -> np.ndarray:
        chosen = self.chosen(regions, features)
        inner = self.parent[regions]
        maps = _rows_of(self.rows, self.inner.index, inner, chosen)
        maps *= np.where(self.inner.active(inner, chosen), 1.0, self.slope[chosen])[:, None, :]
        return maps

    def gathered(self, parent: np.ndarray) -> _ArgmaxPooled:
        return _ArgmaxPooled(
            self.inner, self.parent[parent], self.argmax[parent], self.windows, self.packed, self.kernel
        )

    def take(self, regions: np.ndarray) -> np.ndarray:
        if self.kernel is None or not _is_array(self.rows):  # (a convolution's maps kept shared: numpy)
            return super().take(regions)
        inner = self.inner
        index = np.zeros(len(inner.bits), dtype=np.int64) if inner.index is None else inner.index
        out = np.empty((len(regions), 3, len(self.windows)))
        self.kernel.pooled_maps(
            inner.rows, index, inner.bits, inner.slope, self.parent, self.argmax, self.packed, self.windows,
            regions, out,
        )  # fmt: skip
        return out


_LAZY = (_Masked, _Pooled)


def _take(value, regions: np.ndarray) -> np.ndarray:
    """Maps ``(len(regions), 3, n)`` of a value (an array with one row, or one per region, or a lazy
    :class:`_Masked` or :class:`_Pooled`) on the given regions (an index array)."""
    if isinstance(value, _LAZY):
        return value.take(regions)
    return _rows_of(value, None if value.shape[0] == 1 else np.arange(len(value)), regions)


def _select(value, regions: np.ndarray, features: np.ndarray) -> np.ndarray:
    """Maps ``(len(regions), 3, k)`` of a value on ``regions`` (an index array) of ``features`` (an int array
    ``(len(regions), k)``: each region its own ``k`` features)."""
    if isinstance(value, _LAZY):
        return value.select(regions, features)
    return _rows_of(value, None if value.shape[0] == 1 else np.arange(len(value)), regions, features)


def _values_at(value, index, regions: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Values ``(len(regions), n)`` of every feature of a value at one point ``(x[i], y[i])`` per region
    (``index``: of a value's rows, as for :func:`_rows_of`)."""
    if isinstance(value, _LAZY):
        return value.values_at(regions, x, y)
    if index is None:
        return np.outer(x, value[0, 0]) + np.outer(y, value[0, 1]) + value[0, 2]
    maps = value[index[regions]]
    return x[:, None] * maps[:, 0] + y[:, None] * maps[:, 1] + maps[:, 2]


def _pooled(value, parent: np.ndarray, chosen: np.ndarray) -> _Pooled:
    """The output of a max node on the new regions (``parent``: the region of ``value`` each came from)
    whose entry ``j`` is feature ``chosen[r, j]`` of ``value``."""
    if isinstance(value, _Masked):
        index = None if value.index is None else value.index[parent]
        active = np.empty(chosen.shape, dtype=bool)
        step = _rows_per_chunk(chosen.shape[1])
        for lo in range(0, len(chosen), step):
            active[lo : lo + step] = value.active(parent[lo : lo + step], chosen[lo : lo + step])
        return _Pooled(value.rows, index, chosen, active, value.slope)
    if isinstance(value, _Pooled):
        inner = value.gathered(parent)
        features = np.take_along_axis(inner.features, chosen, axis=1)
        active = None if inner.active is None else np.take_along_axis(inner.active, chosen, axis=1)
        return _Pooled(value.rows, inner.index, features, active, value.slope)
    return _Pooled(value, None if value.shape[0] == 1 else parent, chosen, None, None)


def _add_sorted(out: np.ndarray, owner: np.ndarray, terms: np.ndarray) -> None:
    """``out[owner[t]] += terms[t]`` for ``owner`` sorted (one sum per owner)."""
    if len(owner):
        starts = np.flatnonzero(np.diff(owner, prepend=-1))
        out[owner[starts]] += np.add.reduceat(terms, starts, axis=0)


class _Shared:
    """An affine node's maps after a max node, shared by the pieces of each region the max node split:
    region ``r`` has ``base[reference[r]] + sum_t delta[t] * matrix[:, column[t]]`` over its terms ``t``
    (``offsets[r]:offsets[r + 1]``, the outputs of the max node where the piece differs from its region's
    first piece). Behaves as the array ``(R, 3, n)`` for the indexing the sweep uses (regions, regions and
    per-region features, slices of regions or of features) and stores ``24 n`` bytes per region before
    the split only."""

    def __init__(self, base, reference, offsets, column, delta, matrix):
        self.base, self.reference, self.offsets = base, reference, offsets
        self.column, self.delta, self.matrix = column, delta, matrix

    @property
    def shape(self) -> tuple[int, int, int]:
        return (len(self.reference), 3, self.base.shape[2])

    def __len__(self) -> int:
        return len(self.reference)

    def per_region_bytes(self) -> float:
        return 8.0 + 32.0 * len(self.column) / max(1, len(self.reference))

    def gathered(self, parent: np.ndarray) -> _Shared:
        terms, _ = self._terms(parent)
        offsets = np.zeros(len(parent) + 1, dtype=np.int64)
        np.cumsum(self.offsets[parent + 1] - self.offsets[parent], out=offsets[1:])
        return _Shared(
            self.base, self.reference[parent], offsets, self.column[terms], self.delta[terms], self.matrix
        )

    def _terms(self, regions: np.ndarray):
        """The terms of ``regions``: positions in ``column``/``delta`` and the index of each one's region."""
        return _segment_ranges(self.offsets[regions], self.offsets[regions + 1] - self.offsets[regions])[:2]

    def __getitem__(self, key):
        if isinstance(key, slice):
            key = np.arange(len(self))[key]
        if isinstance(key, np.ndarray):  # regions: (c, 3, n)
            out = self.base[self.reference[key]]
            terms, owner = self._terms(key)
            _add_sorted(out, owner, self.delta[terms, :, None] * self.matrix.T[self.column[terms], None, :])
            return out
        first, _, third = key
        if isinstance(first, slice):  # every region, some features: (R, 3, k)
            features = np.arange(self.shape[2])[third]
            out = self.base[:, :, features][self.reference]
            owner = np.repeat(np.arange(len(self)), np.diff(self.offsets))
            _add_sorted(
                out, owner, self.delta[:, :, None] * self.matrix[features][:, self.column].T[:, None, :]
            )
            return out
        regions = first.reshape(-1)  # regions (c, 1) and their own features (c, k): (c, k, 3)
        out = self.base[self.reference[regions][:, None], :, third]
        terms, owner = self._terms(regions)
        gains = self.matrix[third[owner], self.column[terms][:, None]]  # (terms, k)
        _add_sorted(out, owner, gains[:, :, None] * self.delta[terms, None, :])
        return out


def _shared_by_pieces(op, value: _Pooled, bias, matrix: np.ndarray) -> _Shared:
    """``op(value) + bias`` for a max node's output whose pieces of one region (same ``groups``) differ in a
    few outputs only: ``op`` runs on one piece of each region, and every other piece keeps ``op`` of its
    difference from that piece, a few columns of the op's ``matrix`` (a conv layer after a pooling costs
    about the regions before the pooling's split, in time and memory)."""
    n = len(value.groups)
    _, first, inverse = np.unique(value.groups, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    reference = first[inverse]  # (R,) one piece of each region
    base = np.empty((len(first), 3, op.n_out))
    step = _rows_per_chunk(max(op.n_in, op.n_out))
    for lo in range(0, len(first), step):  # the matrix on one BLAS thread: faster than a convolution's loops
        maps = value.take(first[lo : lo + step])
        one_thread_product(maps.reshape(-1, op.n_in), matrix.T, base[lo : lo + step].reshape(-1, op.n_out))
    if bias is not None:
        base[:, 2, :] += np.asarray(bias, dtype=np.float64).reshape(-1)
    if isinstance(value, _ArgmaxPooled):  # the pieces of a region share its activation: the argmax decides
        everyone = np.arange(n)
        differs = value.positions(everyone) != value.positions(reference)
    else:
        differs = value.features != value.features[reference]
        if value.active is not None:
            differs |= value.active != value.active[reference]
    region, column = np.nonzero(differs)  # sorted by region
    delta = (
        value.select(region, column[:, None])[:, :, 0]
        - value.select(reference[region], column[:, None])[:, :, 0]
    )
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(region, minlength=n), out=offsets[1:])
    return _Shared(base, inverse, offsets, column, delta, matrix)


def _apply(op, maps: np.ndarray) -> np.ndarray:
    """``op`` on the three columns of each map: ``(c, 3, n_in) -> (c, 3, n_out)`` (a reshape is free, a
    matrix on a vector one product on one BLAS thread; everything else through ``op.apply`` on a batch of
    ``3 c``)."""
    if isinstance(op, Reshape):
        return maps
    if isinstance(op, Dense) and len(op.in_shape) == 1:
        out = np.empty((len(maps), 3, op.n_out))
        one_thread_product(maps.reshape(-1, op.n_in), op.weight.T, out.reshape(-1, op.n_out))
        return out
    return op.apply(maps.reshape(-1, *op.in_shape)).reshape(len(maps), 3, -1)


def blas_work(graph) -> float:
    """The multiply-adds of BLAS products that the sweep of ``graph`` leaves unguarded (for
    :func:`~tropical._region_split.one_blas_thread` around it): none when every linear op is a reshape or a
    matrix on a vector (those products limit their own threads), unbounded otherwise."""
    for node in graph.nodes:
        for op in getattr(node, "ops", None) or ():
            if not (isinstance(op, Reshape) or (isinstance(op, Dense) and len(op.in_shape) == 1)):
                return float("inf")
    return 0.0


def _normalised(maps: np.ndarray, use_compiled) -> tuple[np.ndarray, ...]:
    """:meth:`Partition.normalised` of ``maps`` (n_maps, n, 3), compiled (the same values bit for bit) when
    the kernel is loaded and the maps are small (as the chain sweep does)."""
    from tropical.regions import _COMPILED_NORMALISATION

    kernel = None if use_compiled is False else compiled_kernel(load=bool(use_compiled))
    if kernel is not None and maps.size <= _COMPILED_NORMALISATION:
        return kernel.normalised(np.ascontiguousarray(maps))
    return Partition.normalised(maps)


def _is_array(value) -> bool:
    return isinstance(value, np.ndarray)


def _is_dense_layer(op, value) -> bool:
    """Whether ``op(value)`` is a dense layer after an activation with one slope on every unit (the chain
    sweep's next layer)."""
    return (
        isinstance(op, Dense)
        and len(op.in_shape) == 1
        and isinstance(value, _Masked)
        and len(value.slope) > 0
        and bool(np.all(value.slope == value.slope[0]))
    )


def _per_region_bytes(value) -> float:
    if isinstance(value, (*_LAZY, _Shared)):
        return value.per_region_bytes()
    return 24.0 * value.shape[2] if value.shape[0] > 1 else 0.0


class _GraphSweep:
    def __init__(self, graph, partition: Partition, tolerance, max_regions, max_memory, use_compiled=None):
        self.graph = graph
        self.use_compiled = use_compiled
        self.partition = partition
        self.tolerance = tolerance
        self.max_regions = max_regions
        self.max_memory = max_memory
        self.values: dict[int, np.ndarray | _Masked | _Pooled] = {}
        self.patterns: list[tuple[np.ndarray, np.ndarray, int, str]] = []
        last_use = {graph.output: len(graph.nodes)}
        for index, node in enumerate(graph.nodes):
            for i in node.inputs:
                last_use[i] = max(last_use.get(i, 0), index)
        self.last_use = last_use
        self.current = -1  # the node being computed
        self.scales: dict[int, float] = {}  # max nodes' bounds of their input over every region, if known
        self.held = 0.0  # bytes held outside this sweep (the results of earlier chunks of regions)
        self.matrices: dict[int, np.ndarray] = {}  # ops' dense matrices by id (shared by chunks' sweeps)

    @property
    def n_regions(self) -> int:
        return self.partition.nregions

    # ------------------------------------------------------------------------------------------ nodes
    def affine(self, node) -> np.ndarray:
        inputs = [self.values[i] for i in node.inputs]
        if len(node.ops) == 1 and isinstance(node.ops[0], Reshape) and not np.any(node.bias):
            return inputs[0]  # flattening: the same values (C order), lazy ones stay lazy
        rows = max(v.shape[0] for v in inputs)
        value, op = inputs[0], node.ops[0]
        if (
            len(node.ops) == 1
            and isinstance(value, _Pooled)
            and value.groups is not None
            and op.n_in * op.n_out <= _MATRIX_ENTRIES
        ):
            groups = int(value.groups.max()) + 1
            _check_memory(
                24.0 * groups * node.size + 8.0 * op.n_in * op.n_out + self._live_bytes(rows),
                self.max_memory,
                f"the affine maps of node {node.name!r} ({node.size} values) on {groups} regions",
            )
            shared = _shared_by_pieces(op, value, node.bias, self._matrix(op))
            if 24.0 * rows * node.size + self._live_bytes(rows) > _SHARED_ABOVE * self.max_memory:
                return shared  # the maps on every region would take much of the memory: kept shared
            out = np.empty((rows, 3, node.size))  # faster to read than the shared form
            step = _rows_per_chunk(node.size)
            for lo in range(0, rows, step):
                out[lo : lo + step] = shared[np.arange(lo, min(rows, lo + step))]
            return out
        _check_memory(
            24.0 * rows * node.size + self._live_bytes(rows),
            self.max_memory,
            f"the affine maps of node {node.name!r} ({node.size} values) on {rows} regions",
        )
        if len(node.ops) == 1 and _is_dense_layer(op, value):
            return self._dense_layer(op, value, node.bias)
        # the first term (one on every region if any) is written, the others added (a fresh array and a
        # temporary cost their page faults)
        terms = sorted(
            zip(node.ops, inputs, strict=True),
            key=lambda term: (term[1].shape[0] < rows, isinstance(term[0], Reshape) and _is_array(term[1])),
        )
        out = None
        for first, (op, value) in enumerate(terms):
            step = _rows_per_chunk(max(op.n_in, op.n_out))
            for lo in range(0, value.shape[0], step):
                if isinstance(value, np.ndarray):  # a slice, no copy
                    chunk = value[lo : lo + step]
                else:
                    chunk = _take(value, np.arange(lo, min(lo + step, value.shape[0])))
                result = _apply(op, chunk)
                if (
                    out is None
                    and len(result) == rows
                    and not (_is_array(value) and np.may_share_memory(result, value))
                ):
                    out = result  # a fresh array: kept
                    continue
                if out is None:
                    out = np.empty((rows, 3, node.size))
                if first == 0 and value.shape[0] == 1:  # then every term has one row: rows == 1
                    out[:] = result
                elif first == 0:
                    out[lo : lo + step] = result
                elif value.shape[0] == 1:
                    out += result
                else:
                    out[lo : lo + step] += result
        if node.bias is not None:
            out[:, 2, :] += np.asarray(node.bias, dtype=np.float64).reshape(-1)
        return out

    def _dense_layer(self, op: Dense, value: _Masked, bias) -> np.ndarray:
        """A matrix after an activation with one slope, as ``(R, 3, n_out)``: with one input map for every
        region (and a product of at most ``_BLAS_WORK`` multiply-adds, or no kernel) one product of the
        activation factors by the matrix's columns times that map, otherwise the chain sweep's next layer
        (:func:`tropical.regions._next_maps`: the maps along a forest of regions that differ in a few units,
        compiled when the kernel is loaded)."""
        from tropical.regions import _BLAS_WORK, _next_maps

        n_regions = len(value.bits)
        use_compiled = self.use_compiled
        if use_compiled is None and compiled_kernel(load=False) is not None:
            use_compiled = True
        product = n_regions * op.n_in * op.n_out <= _BLAS_WORK or not use_compiled
        if (
            value.index is None and product
        ):  # one map for every region: D @ K, K[j] = maps[0][:, j] (x) W[:, j]
            kernel = (value.rows[0][:, :, None] * op.weight.T[None, :, :]).transpose(1, 0, 2)  # (n, 3, n_out)
            out = np.empty((n_regions, 3, op.n_out))
            step = _rows_per_chunk(max(op.n_in, op.n_out))
            for lo in range(0, n_regions, step):
                factors = _factors(
                    np.unpackbits(value.bits[lo : lo + step], axis=1, count=op.n_in, bitorder="little").view(
                        bool
                    ),
                    value.slope,
                )
                one_thread_product(
                    factors, kernel.reshape(op.n_in, -1), out[lo : lo + step].reshape(len(factors), -1)
                )
            if bias is not None:
                out[:, 2, :] += np.asarray(bias, dtype=np.float64).reshape(-1)
            return out
        maps = np.ascontiguousarray(value.rows.transpose(0, 2, 1))  # (M, n, 3)
        map_id = np.zeros(n_regions, dtype=np.int64) if value.index is None else value.index
        bias = np.zeros(op.n_out) if bias is None else np.asarray(bias, dtype=np.float64).reshape(-1)
        out = _next_maps(
            self.partition, maps, map_id, value.bits, float(value.slope[0]), op.weight, bias,
            self.max_memory, use_compiled,
        )  # fmt: skip
        return out.transpose(0, 2, 1)

    def activation(self, node) -> _Masked:
        value = self.values[node.inputs[0]]
        if isinstance(value, _LAZY):  # an activation of an activation or of a max: its input in full
            _check_memory(
                24.0 * value.shape[0] * value.shape[2] + self._live_bytes(value.shape[0]),
                self.max_memory,
                f"the input maps of node {node.name!r}",
            )
            value = value.take(np.arange(value.shape[0]))
        n = node.size
        partition, before = self.partition, self.n_regions
        self._label_regions(per_region=value.shape[0] > 1)
        partition.reset_bits(n)
        maps = value.shape[0] if before == 1 else before
        # the lines of a few units at a time (each unit's on every region: 32 bytes per unit and region, and
        # the transposed input); the units' bytes are rotated to the front of ``bits`` for their turn
        step = max(8, 3 * _CHUNK_BYTES // (64 * maps) // 8 * 8)
        for lo in range(0, n, step):
            units = slice(lo, min(n, lo + step))
            lines = _normalised(value[:, :, units].transpose(0, 2, 1), self.use_compiled)
            if (
                value.shape[0] == 1 and before > 1
            ):  # the regions need their own ids (parents): a line set each
                lines = tuple(row[:, np.zeros(before, dtype=np.int64)] for row in lines)
            neuron = partition.split_layer(lines, self.max_regions, use_compiled=self.use_compiled)
            if neuron is not None:
                raise ComputationTooLargeError(
                    f"more than max_regions={self.max_regions} linear regions after {lo + neuron + 1} of the "
                    f"{n} units of node {node.name!r}",
                    estimate=float(partition.nregions),
                    limit=float(self.max_regions),
                )
            if step < n:
                partition.bits = np.roll(partition.bits, -((units.stop - lo + 7) // 8), axis=1)
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
        per_region = isinstance(value, _LAZY) or value.shape[0] > 1
        self._label_regions(per_region=per_region)
        partition.reset_bits(1)
        # |value| <= |a| + |b| + |c| on the domain (internal coordinates within [-1, 1]^2)
        if self.current in self.scales:  # a chunk of the regions: the bound over all of them
            scale = self.scales[self.current]
        elif isinstance(value, _LAZY):
            scale = value.bound()
        else:
            scale = _bound(value)
        tie = self.tolerance * scale
        open_regions = np.zeros(before, dtype=bool)
        unsettled = self._unsettled_outputs(value, windows, tie) if scale > 0 else []
        if unsettled:  # regions at the node's start that share an edge (both directions)
            _, _, left, right = partition.shared_edges()
            left, right = np.concatenate([left, right]), np.concatenate([right, left])
            corners, offsets = partition.corner_arrays()
            owner = np.repeat(np.arange(before), np.diff(offsets))
        for k, regions in unsettled:
            open_regions[regions] = True
            # a split region's new vertices lie on its edges: only regions of the open ones and of their
            # neighbours can share such an edge (pieces of two regions touch only if the regions do)
            near = open_regions.copy()
            near[right[open_regions[left]]] = True
            # the entries' maps on the regions looked at and on the homes of their corners
            needed = near.copy()
            needed[partition.home[corners[near[owner]]]] = True
            needed = np.flatnonzero(needed)
            entries = windows[k][windows[k] >= 0]
            if per_region:
                coefficients = np.zeros((before, 3, len(entries)))
                coefficients[needed] = _select(
                    value, needed, np.broadcast_to(entries, (len(needed), len(entries)))
                )
            else:
                coefficients = value[:, :, entries]
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
        group, first = self._merge_groups(parent, argmax)
        if len(first) < len(parent):
            partition.merge(group)
            parent, argmax = parent[first], argmax[first]
        packed = windows.shape[1] <= 4
        if packed:  # 2 bits a position
            self.patterns.append((packed_positions(argmax), parent, len(windows), "argmax2"))
        else:
            self.patterns.append((argmax, parent, len(windows), "argmax"))
        compact = isinstance(value, _Masked)
        self._gather(parent, before, extra=(0 if compact else 3) * len(windows) + 8, name=node.name)
        if compact:
            kernel = None if self.use_compiled is False else compiled_kernel(load=bool(self.use_compiled))
            out = _ArgmaxPooled(value, parent, self.patterns[-1][0], windows, packed, kernel)
            if out.inner.index is None:  # the pieces of one region differ in the outputs that split it only
                out.groups = parent
            return out
        chosen = np.empty(argmax.shape, dtype=np.int16 if value.shape[2] < 2**15 else np.int64)
        step = _rows_per_chunk(len(windows))
        for lo in range(0, len(argmax), step):
            chosen[lo : lo + step] = windows[np.arange(len(windows)), argmax[lo : lo + step]]
        out = _pooled(value, parent, chosen)
        if out.index is None:  # the pieces of one region differ in the outputs that split it only
            out.groups = parent
        return out

    def step(self, index: int) -> None:
        """Compute node ``index`` (its value on every region; splits for activation and max nodes) and drop
        the values it used last."""
        graph, node = self.graph, self.graph.nodes[index]
        self.current = index
        if node.kind == "input":
            raise AssertionError("the input node is set by graph_sweep")
        if node.kind == "affine":
            value = self.affine(node)
        elif node.kind == "activation":
            value = self.activation(node)
        elif node.kind == "max":
            value = self.max(node)
        else:
            raise ValueError(f"unknown node kind {node.kind!r} of node {node.name!r}")
        self.values[index] = value
        for i in set(node.inputs):
            if self.last_use[i] == index:
                self.values.pop(i, None)
        if index == graph.output:
            self.values = {graph.output: value}

    def output_maps(self) -> np.ndarray:
        """The output node's maps ``(R, n_out, 3)`` on every region (compacts the partition)."""
        self.partition.compact()
        out = self.values[self.graph.output]
        if isinstance(out, (*_LAZY, _Shared)):
            out = _take(out, np.arange(out.shape[0]))
        maps = out.transpose(0, 2, 1)
        if len(maps) != self.partition.nregions:
            maps = np.repeat(maps, self.partition.nregions, axis=0)
        return np.ascontiguousarray(maps)

    # ------------------------------------------------------------------------------------------ helpers
    def _matrix(self, op) -> np.ndarray:
        """``op.matrix()``, computed once per op (a conv layer's for every chunk of regions)."""
        if id(op) not in self.matrices:
            self.matrices[id(op)] = op.matrix()
        return self.matrices[id(op)]

    def _live_bytes(self, n_regions: int) -> float:
        """The live values' bytes on ``n_regions`` regions, with the arrays that lazy values share (once)."""
        shared = {}
        for value in self.values.values():
            rows = value.rows if isinstance(value, _LAZY) else value
            rows = rows.base if isinstance(rows, _Shared) else rows
            if isinstance(value, (*_LAZY, _Shared)):
                shared[id(rows)] = rows.nbytes
        per_region = sum(_per_region_bytes(v) for v in self.values.values())
        return n_regions * per_region + sum(shared.values()) + self.held

    def _label_regions(self, per_region: bool) -> None:
        """Region ``r`` gets map id ``r`` (its parent after the split); vertices a region containing them."""
        if per_region:  # as the chain sweep does after each layer (compiled when the kernel is loaded)
            self.partition.own_maps(use_compiled=self.use_compiled)
            return
        partition = self.partition
        partition.compact()
        n = partition.nregions
        partition.map_id[:n] = np.arange(n)
        corners, _ = partition.corner_arrays()
        partition.home[corners] = 0

    def _gather(self, parent: np.ndarray, before: int, extra: float, name: str) -> None:
        """Every live per-region value on the new regions (``parent``: the region each came from); values
        whose last consumer is the current node are dropped instead."""
        for i in [i for i in self.values if self.last_use.get(i, 0) <= self.current]:
            del self.values[i]
        _check_memory(
            self._live_bytes(len(parent)) + extra * len(parent),
            self.max_memory,
            f"the affine maps of the live values after node {name!r} on {len(parent)} regions",
        )
        for i, value in list(self.values.items()):
            if isinstance(value, (*_LAZY, _Shared)):
                self.values[i] = value.gathered(parent)
            elif value.shape[0] == before and before > 1:
                self.values[i] = value[parent]
            elif value.shape[0] > 1:
                raise AssertionError("a per-region value from an older partition")

    @staticmethod
    def _merge_groups(parent: np.ndarray, argmax: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The pieces of one region with the same argmax, numbered in the order of (parent, argmax row):
        ``group`` (R,) and ``first`` (the first piece of each group). One byte string per piece (its parent
        big-endian and its argmax row), in chunks of whole parents."""
        n = len(parent)
        group = np.empty(n, dtype=np.int64)
        order = np.argsort(parent, kind="stable")
        runs = np.flatnonzero(np.r_[True, parent[order][1:] != parent[order][:-1]])
        width = 8 + argmax.shape[1] * argmax.itemsize
        cuts = np.unique(
            runs[np.searchsorted(runs, np.arange(0, n, max(1, _CHUNK_BYTES // width)), "right") - 1]
        )
        firsts, count = [np.zeros(0, dtype=np.int64)], 0
        for lo, hi in itertools.pairwise([*cuts.tolist(), n]):
            pieces = order[lo:hi]
            key = np.empty((len(pieces), width), dtype=np.uint8)
            key[:, :8] = parent[pieces].astype(">i8").view(np.uint8).reshape(-1, 8)
            key[:, 8:] = np.ascontiguousarray(argmax[pieces]).view(np.uint8).reshape(len(pieces), -1)
            _, first, inverse = np.unique(
                key.view(np.dtype((np.void, width))).reshape(-1), return_index=True, return_inverse=True
            )
            group[pieces] = inverse.reshape(-1) + count
            firsts.append(pieces[first])
            count += len(first)
        return group, np.concatenate(firsts)

    def _unsettled_outputs(self, value, windows: np.ndarray, tie: float) -> list[tuple[int, np.ndarray]]:
        """The outputs of a max node whose window has two entries that may tie on some region, each with
        those regions (numbered as by :meth:`_label_regions`, which their pieces keep as ``map_id``).

        Only the entries that can be the largest compete (:meth:`_competitors`). A region where the
        largest competitor at its first corner beats every other at every corner by more than ``tie``, or
        where no two competitors change order beyond ``tie`` between its corners (the maximum of a linear
        function over a convex polygon is at a corner), never needs a split for that output (nor do its
        pieces after other outputs split it). All outputs and regions at once, in chunks of regions.
        """
        partition = self.partition
        corners, offsets = partition.corner_arrays()
        x, y = partition.x[corners], partition.y[corners]
        n = partition.nregions
        features, valid = np.maximum(windows, 0), windows >= 0
        counts = np.diff(offsets)
        centre = (
            np.stack([np.add.reduceat(x, offsets[:-1]), np.add.reduceat(y, offsets[:-1])], 1)
            / counts[:, None]
        )
        owner = np.repeat(np.arange(n), counts)
        radius = np.maximum.reduceat(np.hypot(x - centre[owner, 0], y - centre[owner, 1]), offsets[:-1])
        outputs, regions = [], []
        use_compiled = self.use_compiled
        kernel = None if use_compiled is False else compiled_kernel(load=bool(use_compiled))
        if isinstance(value, _Masked):
            index = np.zeros(len(value.bits), dtype=np.int64) if value.index is None else value.index
        step = max(1, 3 * _CHUNK_BYTES // (8 * 8 * 4 * windows.size))  # regions at a time (~8 corners each)
        for lo in range(0, n, step):
            chunk = np.arange(lo, min(n, lo + step))
            competing, needed = self._competitors(value, chunk, features, valid)
            local, output = np.nonzero(needed)
            if len(local) == 0:
                continue
            region = chunk[local]
            if kernel is not None and isinstance(value, _Masked) and _is_array(value.rows):
                maps = np.empty((len(region), 3, windows.shape[1]))  # (pairs, 3, w), compiled
                kernel.masked_maps(value.rows, index, value.bits, value.slope, region, features[output], maps)
            else:
                maps = _select(value, region, features[output])  # (pairs, 3, w)
            competing = competing[local, output]  # (pairs, w)
            open_ = self._open_windows(
                maps, competing, centre[region], radius[region], x, y, offsets[region], counts[region], tie,
                kernel,
            )  # fmt: skip
            outputs.append(output[open_])
            regions.append(region[open_])
        outputs = np.concatenate(outputs) if outputs else np.zeros(0, dtype=np.intp)
        if len(outputs) == 0:  # every window settled after the corner test
            return []
        regions = np.concatenate(regions)
        order = np.lexsort((regions, outputs))
        outputs, regions = outputs[order], regions[order]
        starts = np.flatnonzero(np.diff(outputs, prepend=-1))
        return [
            (int(outputs[a]), regions[a:b]) for a, b in zip(starts, [*starts[1:], len(outputs)], strict=True)
        ]

    @staticmethod
    def _open_windows(maps, competing, centre, radius, x, y, starts, counts, tie: float, kernel=None):
        """Whether each pair (a region, an output; ``maps`` (P, 3, w) of the window's entries, ``competing``
        (P, w), the region's disc ``centre`` (P, 2) and ``radius`` (P,), its corners ``x[starts[p] :
        starts[p] + counts[p]]``, ``y`` likewise) needs a split: not settled on the disc
        (:meth:`_settled_on_discs`) nor at the corners (see :meth:`_unsettled_outputs`). With ``kernel``
        (:mod:`tropical._region_kernel`) one compiled loop over the pairs, the same decisions."""
        threshold = tie * (1 - 1e-6)  # within rounding of the tie: looked at
        if kernel is not None:
            return kernel.unsettled_windows(
                np.ascontiguousarray(maps), np.ascontiguousarray(competing), np.ascontiguousarray(centre),
                radius, x, y, starts, counts, tie, threshold,
            )  # fmt: skip
        result = np.zeros(len(maps), dtype=bool)
        settled = _GraphSweep._settled_on_discs(maps, competing, centre, radius, tie, threshold)
        pairs = np.flatnonzero(~settled)
        if len(pairs) == 0:
            return result
        maps, competing = maps[pairs], competing[pairs]
        first_entry, second_entry = np.triu_indices(maps.shape[2], 1)
        positions, owner, firsts = _segment_ranges(starts[pairs], counts[pairs])
        firsts = firsts[:-1]
        at = x[positions, None] * maps[owner, 0] + y[positions, None] * maps[owner, 1] + maps[owner, 2]
        at[~competing[owner]] = -np.inf
        leader = np.argmax(at[firsts], axis=1)[owner]  # the largest competitor at the first corner
        every = np.arange(len(at))
        margin = at[every, leader][:, None] - at
        margin[every, leader] = np.inf
        dominated = np.minimum.reduceat(margin.min(axis=1), firsts) > tie
        at[~competing[owner]] = 0.0
        difference = at[:, first_entry] - at[:, second_entry]  # (corners, pairs of entries)
        crossable = (
            (np.maximum.reduceat(difference, firsts) > threshold)
            & (np.minimum.reduceat(difference, firsts) < -threshold)
            & competing[:, first_entry]
            & competing[:, second_entry]
        )
        result[pairs] = ~dominated & crossable.any(axis=1)
        return result

    @staticmethod
    def _settled_on_discs(maps, competing, centre, radius, tie: float, threshold: float) -> np.ndarray:
        """A cheap sufficient test of the settled windows (see :meth:`_unsettled_outputs`): on the disc of
        ``radius`` about ``centre`` that holds the region, a linear function ``d`` stays within
        ``d(centre) -+ |grad d| radius``. Settled: the largest competitor at the centre beats every other by
        more than ``tie`` on the whole disc, or no two competitors can change order on it. ``maps`` (P, 3, w),
        ``competing`` (P, w), ``centre`` (P, 2), ``radius`` (P,)."""
        a, b = maps[:, 0], maps[:, 1]
        at = centre[:, :1] * a + centre[:, 1:] * b + maps[:, 2]
        at[~competing] = -np.inf
        leader = np.argmax(at, axis=1)[:, None]
        da, db = np.take_along_axis(a, leader, 1) - a, np.take_along_axis(b, leader, 1) - b
        reach = radius[:, None] * np.sqrt(da * da + db * db)
        margin = np.take_along_axis(at, leader, 1) - at - reach
        np.put_along_axis(margin, leader, np.inf, axis=1)
        dominated = margin.min(axis=1) > tie
        first, second = np.triu_indices(at.shape[1], 1)
        at[~competing] = 0.0
        da, db = a[:, first] - a[:, second], b[:, first] - b[:, second]
        reach = radius[:, None] * np.sqrt(da * da + db * db)
        apart = (np.abs(at[:, first] - at[:, second]) - reach > threshold) | ~(
            competing[:, first] & competing[:, second]
        )
        return dominated | apart.all(axis=1)

    @staticmethod
    def _competitors(value, chunk: np.ndarray, features: np.ndarray, valid: np.ndarray):
        """``(len(chunk), n_out, w)`` the window entries that can be the largest on each region, and
        ``(len(chunk), n_out)`` the windows with two of them. After an activation with slopes >= 0 an active
        entry (input >= 0 on the region) is never below an inactive one (``slope * input <= 0``): with an
        active entry only the active ones compete; with none, an inactive entry of slope 0 (0 everywhere)
        is the largest and nothing competes; otherwise every entry competes."""
        if isinstance(value, _Masked) and value.slope.min(initial=0.0) >= 0:
            bits = np.unpackbits(value.bits[chunk], axis=1, count=value.rows.shape[2], bitorder="little")
            active = bits.astype(bool)[:, features] & valid
            n_active = active.sum(axis=2)
            flat = ((value.slope[features] == 0) & valid).any(axis=1)
            needed = np.where(n_active > 0, n_active >= 2, ~flat & (valid.sum(axis=1) >= 2))
            return np.where((n_active > 0)[:, :, None], active, valid), needed
        shape = (len(chunk), *valid.shape)
        return np.broadcast_to(valid, shape), np.broadcast_to(valid.sum(axis=1) >= 2, shape[:2])

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
        """(R, n_out) window position of the largest entry at an interior point (the mean of the corners)
        of each region (the lowest position within ``tie`` of the largest)."""
        partition = self.partition
        corners, offsets = partition.corner_arrays()
        counts = np.diff(offsets)
        px = np.add.reduceat(partition.x[corners], offsets[:-1]) / counts
        py = np.add.reduceat(partition.y[corners], offsets[:-1]) / counts
        dtype = np.uint8 if windows.shape[1] <= 255 else np.int64
        argmax = np.empty((len(parent), len(windows)), dtype=dtype)
        kernel = None if self.use_compiled is False else compiled_kernel(load=bool(self.use_compiled))
        if kernel is not None and isinstance(value, _Masked) and _is_array(value.rows):  # the same positions
            index = np.zeros(len(value.bits), dtype=np.int64) if value.index is None else value.index
            kernel.masked_argmax(
                value.rows, index, value.bits, value.slope, parent, windows, px, py, tie, argmax
            )
            return argmax
        features, padding = np.maximum(windows, 0), windows < 0
        step = _rows_per_chunk(value.shape[2] + windows.size)
        for lo in range(0, len(parent), step):
            regions = parent[lo : lo + step]
            index = None if value.shape[0] == 1 else np.arange(value.shape[0])
            gathered = _values_at(value, index, regions, px[lo : lo + step], py[lo : lo + step])[:, features]
            gathered[:, padding] = -np.inf
            top = gathered.max(axis=2, keepdims=True)
            choice = np.argmax(gathered >= top - tie, axis=2)
            argmax[lo : lo + step] = choice
        return argmax


def graph_sweep(
    graph,
    domain,
    origin,
    frame,
    tolerance,
    max_regions,
    max_memory,
    use_compiled=None,
    progress=(False, None),
):
    """Regions of a :class:`tropical.graph.Graph` on ``domain``; returns what :func:`tropical.regions._sweep`
    returns: the partition, the output maps (R, n_out, 3), the patterns, the centre and the scale.
    ``use_compiled`` as for :meth:`Partition.split_layer`. From an affine node whose maps on every region
    would take much of ``max_memory`` on, the regions go through the rest of the graph in chunks
    (:mod:`tropical._region_depth`). ``progress``: the flag of :class:`tropical._progress.Progress` and the
    computation's start (one line per node; per chunk when depth-first)."""
    from tropical._region_depth import depth_first, depth_first_chunk

    low, high = domain.min(axis=0), domain.max(axis=0)
    center = 0.5 * (low + high)
    scale = 0.5 * float(np.max(high - low))
    partition = Partition((domain - center) / scale, tolerance)
    sweep = _GraphSweep(graph, partition, tolerance, max_regions, max_memory, use_compiled)
    value = np.empty((1, 3, graph.n_in))
    value[0, :2] = frame * scale
    value[0, 2] = origin + frame.T @ center
    sweep.values[0] = value
    bar = Progress(graph.output, progress[0], unit="nodes", name="linear_regions", started=progress[1])
    for index in range(1, graph.output + 1):
        chunk = depth_first_chunk(sweep, index)
        if chunk is not None:
            bar.close()
            partition, maps, patterns = depth_first(sweep, index, chunk, progress)
            return partition, maps, patterns, center, scale
        sweep.step(index)
        bar.update(f"node {index}, {graph.nodes[index].kind}", sweep.n_regions, "regions")
    bar.close()
    return sweep.partition, sweep.output_maps(), sweep.patterns, center, scale
