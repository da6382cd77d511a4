"""The engine behind :mod:`tropical.regions`: a convex partition of a 2-D domain, refined line by line.

All regions live in flat arrays, so that one vectorised pass decides which regions a new line crosses:

- vertices: coordinates ``x``, ``y`` (internal, normalised coordinates; the two rows of one array ``xy``, so
  that one gather reads both) and ``home``, the index of an affine map valid at the vertex (any region
  containing the vertex: the maps agree there because the network is continuous). Vertex 0 is a sentinel
  that always has sign 0. Vertices are never deleted.
- regions ("slots"): a pool of corner vertex ids; region ``r`` is ``pool[start[r] : start[r] + length[r]]``
  in counter-clockwise order. A split region is marked dead and its corners are overwritten by the
  sentinel; its two children are appended at the end of the pool. Slot starts therefore increase with the
  slot index, and ``np.maximum.reduceat`` over the pool gives per-slot extrema in one call (dead slots and
  garbage read as 0, which can neither make a region crossed nor positive). The pool is compacted when
  more than half of it is garbage.

Sign decisions are made once per vertex, so two regions sharing an edge always agree on it: a crossing point
is created once per crossed edge (keyed by its two end vertices) and shared by both regions, and the
partition stays an exact cell complex (every interior edge is an edge of exactly two regions).
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

SENTINEL = 0
_KERNEL: object = False  # the compiled kernels' module once imported (None: numba is missing)
#: Elements (vertices + pool entries) that the numpy split may scan in one sweep before the compiled kernel is
#: loaded: about 0.5 s of numpy on one core, the cost of importing numba and loading its cached kernels. Each
#: split also counts :data:`SPLIT_CALL_WORK` for its ~60 numpy calls.
NUMPY_WORK = 20_000_000
SPLIT_CALL_WORK = 3_000


def compiled(*, load: bool = True):
    """:mod:`tropical._region_kernel` (numba), or None.

    With ``load=False`` only a kernel already imported in this process is returned. Importing numba and
    loading the cached kernels costs ~0.5 s, so the sweep runs small partitions with numpy and loads the
    kernel only when a sweep has scanned :data:`NUMPY_WORK` elements (:meth:`Partition.split_layer`). The
    first load after installing compiles the kernels (~10 s): a line on stderr says so beforehand.
    """
    global _KERNEL
    if _KERNEL is False and load:
        try:
            from tropical import _region_kernel as module
        except ImportError:  # pragma: no cover - numba missing
            module = None
        else:
            module.announce_compilation()
        _KERNEL = module
    return _KERNEL or None


_THREADED_WORK = 100_000  # multiply-adds from which OpenBLAS uses threads: limit them to one (issue 13)
_BLAS_CONTROLLER = None


@contextmanager
def one_blas_thread(work: float):
    """One BLAS thread inside the block when its products (``work`` multiply-adds) are large enough for
    OpenBLAS to start threads: on a machine where other processes use the cores, those threads wait on each
    other (several times slower, issue 13). The previous limits are restored on exit."""
    global _BLAS_CONTROLLER
    if work < _THREADED_WORK:
        yield
        return
    if _BLAS_CONTROLLER is None:
        from threadpoolctl import ThreadpoolController

        _BLAS_CONTROLLER = ThreadpoolController()
    with _BLAS_CONTROLLER.limit(limits=1, user_api="blas"):
        yield


#: OpenBLAS multiplies on one thread when ``m n k`` is at most 65536 x GEMM_MULTITHREAD_THRESHOLD (4)
_ONE_THREAD_PRODUCT = 262_144
#: Blocks of fewer rows than this are up to ~35 % slower than one call on one thread (OpenBLAS, 8000 x 128 @
#: 128 x 384 in blocks of 5 rows: 23 ms against 17 ms)
_MIN_BLOCK_ROWS = 16


def one_thread_product(left: np.ndarray, right: np.ndarray, out: np.ndarray) -> None:
    """``out[:] = left @ right`` on one BLAS thread (issue 13: on a busy machine OpenBLAS's threads wait on
    each other): in blocks of rows of at most :data:`_ONE_THREAD_PRODUCT` multiply-adds, which OpenBLAS runs
    on one thread by its own rule, with no thread pool to wake and no threadpoolctl to load; when ``right``
    is too large for blocks of :data:`_MIN_BLOCK_ROWS` rows, in one call under :func:`one_blas_thread`."""
    work = left.shape[0] * right.size
    step = _ONE_THREAD_PRODUCT // max(right.size, 1)
    if step < _MIN_BLOCK_ROWS and work > _ONE_THREAD_PRODUCT:
        with one_blas_thread(work):
            np.matmul(left, right, out=out)
        return
    for lo in range(0, left.shape[0], max(step, 1)):
        np.matmul(left[lo : lo + step], right, out=out[lo : lo + step])


def _grown(array: np.ndarray, needed: int, used: int | None = None) -> np.ndarray:
    """``array`` with room for ``needed`` rows (capacity doubles, the first ``used`` rows kept, all by
    default; the others zero)."""
    if needed <= array.shape[0]:
        return array
    capacity = max(needed, 2 * array.shape[0], 16)
    grown = np.zeros((capacity, *array.shape[1:]), dtype=array.dtype)
    used = array.shape[0] if used is None else used
    grown[:used] = array[:used]
    return grown


def distinct(keys: np.ndarray) -> np.ndarray:
    """The distinct values of a 1-D integer array, sorted: ``np.unique(keys)`` without the import of
    ``numpy.ma`` on its first call (~10 ms: numpy 2.4's ``unique`` asks ``np.ma.is_masked``)."""
    keys = np.sort(keys)
    return keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys


def _child_tables() -> tuple[np.ndarray, np.ndarray]:
    """What a corner of a crossed region gives its children, by its state
    ``code | crossing << 2 | whole << 3`` (``code`` 0 on the line, 1 below, 2 above; ``crossing``: the line
    crosses the edge after it; ``whole``: its region is not eligible and keeps all its corners).

    Returns ``keep`` (16, 4) bool: whether the positive child takes the corner and the crossing point after
    it, then the same for the negative child; and the children's lengths it adds up to, packed in one int64
    (positive child in the low 32 bits, negative child in the high ones), so that one ``np.add.reduceat``
    over a region's corners counts both children. (Built in Python: numpy's first calls of the functions
    that would build it cost ~0.2 ms at import.)
    """
    rows = []
    for state in range(16):
        code, crossing, whole = state & 3, bool(state & 4), bool(state & 8)
        rows.append(((code != 1) or whole, crossing, code != 2 and not whole, crossing and not whole))
    lengths = [row[0] + row[1] + ((row[2] + row[3]) << 32) for row in rows]
    return np.array(rows, dtype=bool), np.array(lengths, dtype=np.int64)


_KEEP, _CHILD_LENGTHS = _child_tables()


def _segment_ranges(starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flat pool positions of several segments, the segment of each position, and the offsets."""
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    lengths.cumsum(out=offsets[1:])
    owner = np.arange(len(lengths)).repeat(lengths)
    positions = (starts - offsets[:-1])[owner]
    positions += np.arange(len(owner))
    return positions, owner, offsets


class Partition:
    """A partition of a convex polygon into convex polygons (see the module docstring).

    Parameters
    ----------
    polygon : ndarray, shape (k, 2)
        Counter-clockwise convex polygon in internal coordinates.
    tolerance : float
        Vertices whose normalised value (signed distance to the line, internal units) is at most this in
        absolute value count as lying on the line.
    """

    def __init__(self, polygon: np.ndarray, tolerance: float):
        k = len(polygon)
        self.tolerance = float(tolerance)
        self.nv = k + 1
        self.xy = np.zeros((2, max(64, 4 * k)))
        self.xy[:, 1 : k + 1] = polygon.T
        self.home = np.zeros(max(64, 4 * k), dtype=np.int64)
        self.pool = np.zeros(max(64, 4 * k), dtype=np.int32)
        self.pool[:k] = np.arange(1, k + 1)
        self.npool = k
        self.live_corners = k
        self.start = np.zeros(16, dtype=np.int64)
        self.length = np.zeros(16, dtype=np.int64)
        self.length[0] = k
        self.alive = np.zeros(16, dtype=bool)
        self.alive[0] = True
        self.map_id = np.zeros(16, dtype=np.int64)
        self.bits = np.zeros((16, 1), dtype=np.uint8)
        self.nslots = 1
        self.nregions = 1
        self.generation = 0  # incremented whenever slots are renumbered (compact, merge)
        self.work = 0  # elements scanned by the numpy split so far (see split_layer)

    @property
    def x(self) -> np.ndarray:
        """Vertex x coordinates (a contiguous row of ``xy``; entries from ``nv`` on are unused)."""
        return self.xy[0]

    @property
    def y(self) -> np.ndarray:
        """Vertex y coordinates (a contiguous row of ``xy``)."""
        return self.xy[1]

    # ------------------------------------------------------------------ bookkeeping
    def copy(self) -> Partition:
        other = Partition.__new__(Partition)
        for name, value in self.__dict__.items():
            setattr(other, name, value.copy() if isinstance(value, np.ndarray) else value)
        return other

    def reset_bits(self, n_bits: int) -> None:
        """Start a new layer: one zeroed bit per neuron and slot."""
        self.bits = np.zeros((self.start.shape[0], max(1, (n_bits + 7) // 8)), dtype=np.uint8)

    def compact(self) -> None:
        """Drop dead slots and garbage corners; live regions become slots ``0 .. nregions - 1``.

        Does nothing when there are neither (slots are then not renumbered: ``generation`` stays)."""
        if self.nslots == self.nregions and self.npool == self.live_corners:
            return
        self.generation += 1
        live = np.flatnonzero(self.alive[: self.nslots])
        positions, _, offsets = _segment_ranges(self.start[live], self.length[live])
        pool = self.pool[positions]
        self.pool = np.zeros(max(64, 2 * len(pool)), dtype=np.int32)
        self.pool[: len(pool)] = pool
        self.npool = self.live_corners = len(pool)
        n = len(live)
        capacity = max(16, 2 * n)

        def take(array):
            out = np.zeros((capacity, *array.shape[1:]), dtype=array.dtype)
            out[:n] = array[live]
            return out

        self.length = take(self.length)
        self.map_id = take(self.map_id)
        self.bits = take(self.bits)
        self.start = np.zeros(capacity, dtype=np.int64)
        self.start[:n] = offsets[:-1]
        self.alive = np.zeros(capacity, dtype=bool)
        self.alive[:n] = True
        self.nslots = self.nregions = n

    def own_maps(self, *, use_compiled: bool | None = None) -> None:
        """Give every region its own map (once the next layer's maps are computed per region): ``map_id[r] =
        r``, and each vertex's ``home`` the last region in order that has it as a corner (any region
        containing it would do: the maps agree there). Compacts first. ``use_compiled``: the kernel's
        :func:`~tropical._region_kernel.own_maps` when it is loaded, unless False."""
        self.compact()
        kernel = None if use_compiled is False else compiled(load=False)
        if kernel is not None:
            kernel.own_maps(self.pool, self.start, self.length, self.nregions, self.home, self.map_id)
            return
        n = self.nregions
        self.map_id[:n] = np.arange(n)
        corners, offsets = self.corner_arrays()
        self.home[corners] = np.repeat(np.arange(n), np.diff(offsets))  # the last write of a vertex wins

    # ------------------------------------------------------------------ the vectorised split
    @staticmethod
    def normalised(maps: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Lines of a whole layer as signed-distance coefficients.

        Parameters
        ----------
        maps : ndarray, shape (n_maps, n, 3)
            Per map and neuron ``(a, b, c)`` of ``a x + b y + c``.

        Returns
        -------
        a, b, c, gradient : ndarray, each (n, n_maps), contiguous per neuron
            The rows divided by ``gradient = hypot(a, b)``, so that values are signed distances. Rows with a
            gradient below ``1e-12`` times the neuron's largest coefficient count as constant (their zero
            set is not a line: dead or saturated neurons, zero rows): ``a = b = 0`` and the constant is
            divided by that largest coefficient instead, so that its sign is decided at any weight scale.
        """
        n_maps, n = maps.shape[0], maps.shape[1]
        abc = np.empty((3, n, n_maps))  # (a, b, c) per neuron and map; transposed in blocks of maps (a
        for lo in range(0, n_maps, 256):  # whole-array transposing copy is ~6x slower: cache misses)
            abc[:, :, lo : lo + 256] = maps[lo : lo + 256].transpose(2, 1, 0)
        # each neuron in units of its largest coefficient over all maps: scale-free, and the squares below
        # can neither overflow nor underflow above the flat threshold
        # (the largest absolute value as the larger of max and -min: no temporary |abc| in fresh memory)
        reference = np.maximum(abc.max(axis=(0, 2)), -abc.min(axis=(0, 2))) if abc.size else np.zeros(n)
        reference[reference == 0] = 1.0
        abc /= reference[:, None]
        a, b, c = abc
        gradient = np.sqrt(a * a + b * b)
        flat = gradient <= 1e-12
        gradient[flat] = 1.0
        abc /= gradient
        a[flat] = 0.0
        b[flat] = 0.0
        gradient *= reference[:, None]
        # no clipping: ``split`` recovers the raw value ``c * gradient`` at each vertex to interpolate the
        # crossing points (issue 15: a clip of c at 1e6 moved the crossings next to a nearly constant
        # neuron); |c| < 1e12 by the flat threshold
        return a, b, c, gradient

    def line_values(self, a, b, c, gradient, *, vertices=None) -> np.ndarray:
        """Signed distances of every vertex (or of ``vertices``, the others 0) to one neuron's lines (one
        row of :meth:`normalised`)."""
        self.gradient = gradient
        nv = self.nv
        if vertices is not None:
            values = np.zeros(nv)
            home = 0 if len(a) == 1 else self.home[vertices]
            values[vertices] = a[home] * self.x[vertices] + b[home] * self.y[vertices] + c[home]
            return values
        if len(a) == 1:
            return a[0] * self.x[:nv] + b[0] * self.y[:nv] + c[0]
        home = self.home[:nv]
        return a[home] * self.x[:nv] + b[home] * self.y[:nv] + c[home]

    def vertex_values(
        self, coefficients: np.ndarray, *, scale: float | None = None, vertices=None
    ) -> np.ndarray:
        """Signed distances of every vertex to one line per map, ``coefficients`` of shape (n_maps, 3).

        With ``scale``, values are divided by ``max(gradient, scale)`` instead of the gradient: a vertex then
        lies on the line (``|value| <= tolerance``) when its raw value is within ``tolerance * scale`` *or*
        its distance is within ``tolerance``. Used for ties between outputs, whose rounding noise is
        relative to the outputs' scale, not to the (possibly zero) gradient of their difference.
        ``vertices``: compute only these (the other entries are 0).
        """
        if scale is None:
            a, b, c, gradient = self.normalised(coefficients[:, None, :])
            return self.line_values(a[0], b[0], c[0], gradient[0], vertices=vertices)
        gradient = np.maximum(np.hypot(coefficients[:, 0], coefficients[:, 1]), scale)
        lines = coefficients / gradient[:, None]
        return self.line_values(lines[:, 0], lines[:, 1], lines[:, 2], gradient, vertices=vertices)

    def split(
        self,
        values: np.ndarray,
        *,
        bit: int | None = None,
        eligible: np.ndarray | None = None,
        eligible_slots: np.ndarray | None = None,
        slots: np.ndarray | None = None,
    ):
        """Split every region that the zero set of ``values`` crosses.

        Parameters
        ----------
        values : ndarray, shape (nv,)
            Normalised values at the vertices, from the last call of :meth:`vertex_values` (whose
            per-map gradient norms give back the raw values for interpolation).
        bit : int, optional
            Set this bit of ``bits`` in the regions on the positive side (and in the positive children).
        eligible : ndarray of bool, shape (n_maps,), optional
            Only regions whose map is eligible are split; crossed regions that are not eligible get the
            crossing points of the edges they share with split regions (so that the partition stays a cell
            complex) but stay whole.
        eligible_slots : ndarray of bool, shape (nslots,), optional
            The same per region slot instead of per map.
        slots : ndarray of int, optional
            Look only at these live slots (``values`` is then read at their corners only). The caller
            guarantees that no other region is crossed along an edge that a split region shares with it.

        Returns
        -------
        int
            Number of regions split.

        Notes
        -----
        Four phases: :meth:`_vertex_codes` (which regions the line crosses), :meth:`_crossed_edges` (which of
        their edges), :meth:`_crossing_vertices` (one new vertex per crossed edge) and
        :meth:`_replace_by_children`; :mod:`tropical._region_kernel` compiles the same phases.
        """
        if slots is not None and len(slots) == 0:
            return 0
        code, side = self._vertex_codes(values, slots)
        if bit is not None:
            byte, mask = divmod(bit, 8)
            which = slice(0, self.nslots) if slots is None else slots
            self.bits[which, byte] |= (side >> 1) << mask  # side >= 2: a corner above
        crossed = (side == 3).nonzero()[0] if slots is None else slots[side == 3]
        if len(crossed) == 0:
            return 0
        maps = self.map_id[crossed]
        if eligible_slots is not None:
            eligible = eligible_slots[crossed]
        elif eligible is not None:
            eligible = eligible[maps]
        positions, owner, offsets = _segment_ranges(self.start[crossed], self.length[crossed])
        corners, c_here, successors, crossing = self._crossed_edges(code, positions, owner, offsets, eligible)
        pairs = self._crossing_vertices(values, corners, successors, crossing, maps[owner[crossing]])
        return self._replace_by_children(
            crossed, maps, positions, owner, offsets, c_here, pairs, crossing, eligible, bit
        )

    def _vertex_codes(self, values: np.ndarray, slots: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Phase 1 of :meth:`split`: a code per vertex and the side of each region.

        Returns ``code`` (nv,) uint8, 2 above the line (``values > tolerance``), 1 below, 0 on it (and at the
        sentinel, and at vertices outside ``slots``), and ``side`` (nslots,) or (len(slots),) uint8, the
        bitwise OR of the codes of each region's corners: 3 when the line crosses the region, >= 2 when
        the region has a corner above it (dead slots read 0). With ``slots`` only their corners are read.
        """
        tol = self.tolerance
        if slots is None:
            code = (values > tol).view(np.uint8)
            code += code
            code |= (values < -tol).view(np.uint8)
            code[SENTINEL] = 0
            # take: fancy indexing by the int32 pool costs 2-3x more (a cast of the indices)
            side = np.bitwise_or.reduceat(code.take(self.pool[: self.npool]), self.start[: self.nslots])
            return code, side
        positions, _, offsets = _segment_ranges(self.start[slots], self.length[slots])
        vertices = self.pool[positions]
        code = np.zeros(self.nv, dtype=np.uint8)
        code[vertices] = (values[vertices] > tol).view(np.uint8) << np.uint8(1)
        code[vertices] |= (values[vertices] < -tol).view(np.uint8)
        return code, np.bitwise_or.reduceat(code[vertices], offsets[:-1])

    def _crossed_edges(
        self,
        code: np.ndarray,
        positions: np.ndarray,
        owner: np.ndarray,
        offsets: np.ndarray,
        eligible: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Phase 2 of :meth:`split`: the edges of the crossed regions that the line crosses.

        ``positions`` (n_corners,) are the pool positions of the crossed regions' corners, ``owner``
        (n_corners,) the index of each one's region in ``crossed`` and ``offsets`` (n_crossed + 1,) where each
        region starts (:func:`_segment_ranges`); ``eligible`` (n_crossed,) bool or None. Returns
        ``corners`` (n_corners,) int64 and their ``code``, ``successors`` (n_corners,) int64 (each edge's two
        end vertices, counter-clockwise) and ``crossing`` (n_corners,) bool, the edges whose end codes are 1
        and 2. A region that is not eligible keeps only the crossings of edges it shares with an eligible
        region.
        """
        corners = self.pool.take(positions).astype(np.int64)  # int64 indices: no cast in every look-up
        c_here = code[corners]
        following = positions + 1
        following[offsets[1:] - 1] = positions[offsets[:-1]]
        successors = self.pool.take(following).astype(np.int64)
        crossing = (c_here | code[successors]) == 3
        if eligible is not None:
            # a region that stays whole takes the crossing points of the edges it shares with a split one
            # only (so that the partition stays a cell complex, and nothing propagates further)
            edge = np.minimum(corners, successors).astype(np.int64) * self.nv + np.maximum(
                corners, successors
            )
            split_edges = edge[crossing & eligible[owner]]
            crossing &= eligible[owner] | np.isin(edge, split_edges)
        return corners, c_here, successors, crossing

    def _crossing_vertices(
        self,
        values: np.ndarray,
        corners: np.ndarray,
        successors: np.ndarray,
        crossing: np.ndarray,
        homes: np.ndarray,
    ) -> np.ndarray:
        """Phase 3 of :meth:`split`: one new vertex per crossed edge, shared by the regions on both sides.

        The crossed edges (``corners``, ``successors`` (n_corners,) where ``crossing``) are keyed by their
        two end vertices; the distinct keys, in increasing order, become vertices ``nv, nv + 1, ...``,
        interpolated between the end vertices from the raw values. ``homes`` (crossing.sum(),) is the map
        of each crossed edge's region; a vertex shared by two regions takes the later one's. Returns
        ``pairs`` (n_corners, 2) int32: each corner and the crossing point after it (0 where none).
        """
        a, b = corners[crossing], successors[crossing]
        low, high = np.minimum(a, b), np.maximum(a, b)
        keys = low * self.nv
        keys += high
        order = keys.argsort()
        ordered = keys[order]
        fresh = np.empty(len(keys), dtype=bool)
        fresh[:1] = True
        np.not_equal(ordered[1:], ordered[:-1], out=fresh[1:])
        new = np.empty(len(keys), dtype=np.int64)  # the new vertex of each crossed edge
        new[order] = fresh.cumsum()
        new += self.nv - 1
        first = order[fresh]
        u_low, u_high = low[first], high[first]
        # interpolate the raw values (the normalisation differs between the maps of the two end vertices)
        if len(self.gradient) == 1:
            v_low, v_high = values[u_low], values[u_high]
        else:
            v_low = values[u_low] * self.gradient[self.home[u_low]]
            v_high = values[u_high] * self.gradient[self.home[u_high]]
        t = v_low / (v_low - v_high)
        needed = self.nv + len(first)
        if needed > self.xy.shape[1]:
            self._reserve(needed, 0, 0)
        xy = self.xy
        xy_low = xy.take(u_low, axis=1)  # take: 2-D fancy indexing costs ~10x more on small arrays
        xy[:, self.nv : needed] = xy_low + t * (xy.take(u_high, axis=1) - xy_low)
        self.home[new] = homes
        pairs = np.zeros((len(corners), 2), dtype=np.int32)
        pairs[:, 0] = corners
        pairs[:, 1][crossing] = new
        self.nv = needed
        return pairs

    def _replace_by_children(
        self,
        crossed: np.ndarray,
        maps: np.ndarray,
        positions: np.ndarray,
        owner: np.ndarray,
        offsets: np.ndarray,
        c_here: np.ndarray,
        pairs: np.ndarray,
        crossing: np.ndarray,
        eligible: np.ndarray | None,
        bit: int | None,
    ) -> int:
        """Phase 4 of :meth:`split`: the crossed regions die and their children are appended.

        Walks the corners (``pairs`` (n_corners, 2), their codes ``c_here`` (n_corners,)), emitting a corner
        on its side and the crossing point after it: first the positive children of all ``crossed``
        (n_crossed,) regions (a region that is not ``eligible`` keeps all its corners and the new crossing
        points, and has no negative child), then the negative ones, which clear ``bit``; children take the
        ``maps`` (n_crossed,) and bits of their parents. The parents' corners (pool ``positions``) become the
        sentinel; compacts when more than half the pool is garbage. Returns the number of regions split.
        """
        state = c_here + (crossing.view(np.uint8) << 2)
        if eligible is not None:
            state |= (~eligible[owner]).view(np.uint8) << 3
        keep = _KEEP.take(state, axis=0)
        counts = np.add.reduceat(_CHILD_LENGTHS.take(state), offsets[:-1])
        positive, negative = counts & 0xFFFFFFFF, counts >> 32
        new_corners = np.concatenate([pairs[keep[:, :2]], pairs[keep[:, 2:]]])
        if eligible is None:
            second = slice(None)  # every crossed region is split
            lengths = np.concatenate([positive, negative])
            n_split = len(crossed)
        else:
            second = (negative > 0).nonzero()[0]
            lengths = np.concatenate([positive, negative[second]])
            n_split = len(second)

        npool, first = self.npool, self.nslots
        middle = first + len(crossed)
        end = middle + n_split
        if end > len(self.start) or npool + len(new_corners) > len(self.pool):
            self._reserve(0, npool + len(new_corners), end)
        self.pool[npool : npool + len(new_corners)] = new_corners
        self.start[first] = npool
        lengths[:-1].cumsum(out=self.start[first + 1 : end])
        self.start[first + 1 : end] += npool
        self.length[first:end] = lengths
        self.alive[first:end] = True
        self.alive[crossed] = False
        self.map_id[first:middle] = maps
        self.map_id[middle:end] = maps[second]
        bits = self.bits.take(crossed, axis=0)
        self.bits[first:middle] = bits
        self.bits[middle:end] = bits[second]
        if bit is not None:
            # the positive children keep the bit set by the test in split; the negative ones clear it
            # (eligible-but-whole regions do not occur with bit set: bits are only used for neurons)
            byte, mask = divmod(bit, 8)
            self.bits[middle:end, byte] &= ~(1 << mask) & 0xFF
        self.pool[positions] = SENTINEL
        self.nslots = end
        self.npool = npool + len(new_corners)
        self.live_corners += len(new_corners) - len(positions)
        self.nregions += n_split
        if self.npool > 2 * self.live_corners + 1024:
            self.compact()
        return n_split

    def split_layer(self, lines, max_regions: int, *, use_compiled: bool | None = None) -> int | None:
        """Split by every neuron of a layer in order, setting bit ``j`` for neuron ``j``.

        ``lines`` is :meth:`normalised` of the layer's maps. Runs
        ``split(line_values(*(row[j] for row in lines)), bit=j)`` for each ``j`` with numpy, or the same
        splits in one compiled loop (:mod:`tropical._region_kernel`), which gives the same vertices bit
        for bit, in the same numbering and region order (the kernel leaves the partition compacted, the
        numpy splits may not: compare after :meth:`compact`). ``use_compiled``: True always compiles, False
        never; None (default) uses the kernel if this process has loaded it already, and otherwise loads it
        once the numpy split of this partition has scanned :data:`NUMPY_WORK` elements and the rest of the
        layer would scan at least half as many again (numpy answers small networks before numba would have
        loaded). Returns the index of the neuron after which the
        partition first had more than ``max_regions`` regions, or None.
        """
        _kernel = compiled(load=bool(use_compiled)) if use_compiled is not False else None
        n_neurons, neuron = len(lines[0]), 0
        while _kernel is None and neuron < n_neurons:
            self.work += self.nv + self.npool + SPLIT_CALL_WORK
            self.split(self.line_values(*(row[neuron] for row in lines)), bit=neuron)
            if self.nregions > max_regions:
                return neuron
            neuron += 1
            remaining = (n_neurons - neuron) * (self.nv + self.npool + SPLIT_CALL_WORK)  # at least
            if use_compiled is None and self.work > NUMPY_WORK and remaining > NUMPY_WORK // 2:
                _kernel = compiled()
                use_compiled = _kernel is not None  # numba missing: stay with numpy
        if neuron == n_neurons:
            return None
        a, b, c, gradient = (np.ascontiguousarray(row) for row in lines)
        self.gradient = gradient[-1] if len(gradient) else np.ones(1)
        # room for the layer at once (each return of the kernel to grow costs a call): a line arrangement's
        # count on one region, four times the regions otherwise; the kernel asks for room for 3 pool entries
        # per corner of the crossed regions (~5 per region, up to ``left`` regions per neuron) before a split
        left = n_neurons - neuron
        regions = 1 + left + left * (left - 1) // 2 if self.nregions == 1 else 4 * self.nregions
        regions = min(regions, max_regions + 1, 4 * self.nregions + 2_000_000)
        self._reserve(self.nv + 2 * regions, self.npool + 8 * regions + 16 * left, self.nslots + 2 * regions)
        values = np.empty(self.xy.shape[1])
        code = np.empty(self.xy.shape[1], dtype=np.uint8)
        self.generation += 1  # the kernel compacts in place: slots renumbered
        while True:
            status, neuron, self.nv, self.npool, self.live_corners, self.nslots, self.nregions, *need = (
                _kernel._sweep_layer(
                    a, b, c, gradient, self.tolerance, neuron, self.x, self.y, self.home, self.nv,
                    self.pool, self.npool, self.live_corners, self.start, self.length, self.alive,
                    self.map_id, self.bits, self.nslots, self.nregions, max_regions, values, code,
                )
            )  # fmt: skip
            if status == _kernel.DONE:
                return None
            if status == _kernel.TOO_MANY:
                return neuron
            self._reserve(*need)  # GROW
            if len(values) < self.xy.shape[1]:
                values = np.empty(self.xy.shape[1])
                code = np.empty(self.xy.shape[1], dtype=np.uint8)

    def _reserve(self, vertices: int, pool: int, slots: int) -> None:
        """Room for this many vertices, pool entries and slots (capacities at least double; the entries in use
        are copied)."""
        if vertices > self.xy.shape[1]:
            xy = np.zeros((2, max(vertices, 2 * self.xy.shape[1])))
            xy[:, : self.nv] = self.xy[:, : self.nv]
            self.xy = xy
            self.home = _grown(self.home, xy.shape[1], self.nv)
        self.pool = _grown(self.pool, pool, self.npool)
        for name in ("start", "length", "alive", "map_id", "bits"):
            setattr(self, name, _grown(getattr(self, name), slots, self.nslots))

    def merge(self, group: np.ndarray) -> None:
        """Merge regions: ``group`` (nregions,) numbers the new regions; the regions of one group must tile
        a convex polygon (the cells of one pattern within one convex region). Compacts first.

        The merged boundary keeps every vertex on it (also those where a neighbour's edge ends), so the
        partition stays a cell complex; vertices inside a merged region are no longer referenced. A merged
        region takes ``map_id`` and ``bits`` of its first region.
        """
        tail, head, region = self.half_edges()
        self.generation += 1
        low, high = np.minimum(tail, head), np.maximum(tail, head)
        key = low * self.nv + high
        order = np.argsort(key, kind="stable")
        twin = np.flatnonzero(key[order][1:] == key[order][:-1])
        inner = np.zeros(len(key), dtype=bool)
        same = group[region[order[twin]]] == group[region[order[twin + 1]]]
        inner[order[twin[same]]] = True
        inner[order[twin[same] + 1]] = True
        corners = tail[~inner]
        owner = group[region[~inner]]
        n_groups = int(group.max()) + 1 if len(group) else 0
        counts = np.bincount(owner, minlength=n_groups)
        x, y = self.x[corners], self.y[corners]
        cx = np.bincount(owner, x, n_groups) / counts
        cy = np.bincount(owner, y, n_groups) / counts
        order = np.lexsort((np.arctan2(y - cy[owner], x - cx[owner]), owner))  # CCW around an inner point
        first = np.full(n_groups, len(group))
        np.minimum.at(first, group, np.arange(len(group)))
        capacity = max(16, 2 * n_groups)

        def take(array):
            out = np.zeros((capacity, *array.shape[1:]), dtype=array.dtype)
            out[:n_groups] = array[first]
            return out

        self.map_id = take(self.map_id)
        self.bits = take(self.bits)
        self.length = np.zeros(capacity, dtype=np.int64)
        self.length[:n_groups] = counts
        self.start = np.zeros(capacity, dtype=np.int64)
        self.start[1:n_groups] = np.cumsum(counts)[:-1]
        self.alive = np.zeros(capacity, dtype=bool)
        self.alive[:n_groups] = True
        self.pool = np.zeros(max(64, 2 * len(corners)), dtype=np.int32)
        self.pool[: len(corners)] = corners[order]
        self.npool = self.live_corners = len(corners)
        self.nslots = self.nregions = n_groups

    # ------------------------------------------------------------------ read-out (after compact())
    def corner_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Corner vertex ids (flat) and offsets (n_regions + 1) of the compacted partition."""
        if self.nslots != self.nregions or self.npool != self.live_corners:
            self.compact()
        offsets = np.zeros(self.nregions + 1, dtype=np.int64)
        np.cumsum(self.length[: self.nregions], out=offsets[1:])
        return self.pool[: self.npool].astype(np.int64), offsets

    def half_edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every directed boundary edge: (tail vertex, head vertex, region)."""
        corners, offsets = self.corner_arrays()
        lengths = np.diff(offsets)
        region = np.repeat(np.arange(len(lengths)), lengths)
        following = np.arange(1, len(corners) + 1)
        following[offsets[1:] - 1] = offsets[:-1]
        return corners, corners[following], region

    def shared_edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Interior edges: end vertices (a, b) and the two regions on either side."""
        tail, head, region = self.half_edges()
        low, high = np.minimum(tail, head), np.maximum(tail, head)
        key = low * self.nv + high
        order = np.argsort(key, kind="stable")
        key = key[order]
        twin = np.flatnonzero(key[1:] == key[:-1])
        first, second = order[twin], order[twin + 1]
        return low[first], high[first], region[first], region[second]
