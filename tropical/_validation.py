"""Checks and conversions shared by the whole package (private): one rule for each kind of input.

- :func:`float_array`: array_like or torch tensor -> float64 ndarray; NaN is always refused, infinities
  unless ``finite=False``.
- :func:`box`: ``bounds=(xmin, xmax, ymin, ymax)`` -> four finite floats, ``xmin < xmax``, ``ymin < ymax``.
- :func:`as_regions`: "a model with domain arguments, or its Regions" -> :class:`~tropical.regions.Regions`.
- :func:`corner_mask`: which points of a convex ring are corners (not mid-edge points).
- :func:`diameter`: largest distance between two points, without an ``(n, n)`` distance matrix.
- :func:`check_seed`, :func:`check_fraction`, :func:`check_positive_int`: scalar options, with errors that
  name the argument.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

__all__ = [
    "as_regions",
    "box",
    "check_fraction",
    "check_positive_int",
    "check_seed",
    "corner_mask",
    "diameter",
    "float_array",
    "positional_deprecated",
    "read_only_state",
]

#: Rows of the blocks of the pairwise distances in :func:`diameter` (memory: block x n distances).
_DIAMETER_BLOCK = 1024


def float_array(values, name: str, *, finite: bool = True) -> np.ndarray:
    """``values`` (array_like or a torch tensor on any device) as a float64 ndarray.

    NaN is always an error; ``inf`` and ``-inf`` are errors unless ``finite=False`` (e.g. the tropical
    zero ``-inf`` as a coefficient). The result may share memory with a numpy input: copy before writing.
    """
    if hasattr(values, "detach"):  # a torch tensor
        values = values.detach().cpu().numpy()
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"{name} must be an array of numbers, got {type(values).__name__}: {error}"
        ) from None
    if np.isnan(array).any():
        raise ValueError(f"{name} contains NaN")
    if finite and not np.isfinite(array).all():
        raise ValueError(f"{name} contains infinite entries")
    return array


def box(bounds, name: str = "bounds") -> tuple[float, float, float, float]:
    """``(xmin, xmax, ymin, ymax)`` as four finite floats with ``xmin < xmax`` and ``ymin < ymax``."""
    try:
        values = np.asarray(bounds, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be (xmin, xmax, ymin, ymax), got {bounds!r}") from None
    if values.shape != (4,) or not np.isfinite(values).all():
        raise ValueError(f"{name} must be four finite numbers (xmin, xmax, ymin, ymax), got {bounds!r}")
    xmin, xmax, ymin, ymax = (float(v) for v in values)
    if not (xmin < xmax and ymin < ymax):
        raise ValueError(f"{name} needs xmin < xmax and ymin < ymax, got {(xmin, xmax, ymin, ymax)}")
    return xmin, xmax, ymin, ymax


def as_regions(model, *, bounds=None, plane=None, polygon=None, name: str = "model"):
    """A :class:`~tropical.regions.Regions` as given, or ``linear_regions`` of a model on the domain.

    A ``Regions`` carries its domain, so domain arguments next to it are an error (they would be ignored).
    """
    from tropical.regions import Regions, linear_regions

    if isinstance(model, Regions):
        if bounds is not None or plane is not None or polygon is not None:
            raise ValueError(f"{name} is a Regions object already: do not pass bounds=, plane= or polygon=")
        return model
    return linear_regions(model, bounds=bounds, plane=plane, polygon=polygon)


def corner_mask(ring: np.ndarray, tolerance: float) -> np.ndarray:
    """Which points of a convex polygon ring (shape (n, 2), in order) are corners, shape (n,) bool.

    ``True`` marks a corner. A point is not a corner when the ring goes straight on through it: the turn
    is at most ``tolerance`` (relative, e.g. ``tropical.hull.RELATIVE_TOLERANCE``) times the product of the
    two edge lengths and both edges point the same way
    (a point in the middle of an edge, e.g. one Qhull kept). Sharp corners of thin polygons (a turn of
    almost 180 degrees) stay corners. Rings of fewer than three corners are returned whole.
    """
    ring = np.asarray(ring, dtype=np.float64)
    if len(ring) < 3:
        return np.ones(len(ring), dtype=bool)
    before, after = ring - np.roll(ring, 1, axis=0), np.roll(ring, -1, axis=0) - ring
    cross = before[:, 0] * after[:, 1] - before[:, 1] * after[:, 0]
    dot = np.einsum("ij,ij->i", before, after)
    lengths = np.linalg.norm(before, axis=1) * np.linalg.norm(after, axis=1)
    corners = ~((np.abs(cross) <= tolerance * lengths) & (dot > 0))
    return corners if corners.sum() >= 3 else np.ones(len(ring), dtype=bool)


def _convex_counter_clockwise(points: np.ndarray) -> bool:
    edges = np.roll(points, -1, axis=0) - points
    turns = edges[:, 0] * np.roll(edges[:, 1], -1) - edges[:, 1] * np.roll(edges[:, 0], -1)
    return bool((turns > 0).all())


def diameter(points) -> float:
    """Largest distance between two of the points (rows of an ``(n, d)`` array).

    The vertices of a convex polygon in counter-clockwise order (as :class:`~tropical.polytope.Polytope`
    keeps them in 2-D) take ``O(n log n)``: a diameter is attained at an antipodal pair, whose normal cones
    overlap in an open arc, so the support points of the directions halfway between consecutive break
    angles of the normal fan and of its opposite meet every such pair. Other inputs compare all pairs in
    blocks of rows (memory ``O(n)`` per block, no ``(n, n)`` matrix).
    """
    points = np.asarray(points, dtype=np.float64)
    n = len(points)
    if n < 2:
        return 0.0
    if points.shape[1] == 2 and n > 64 and _convex_counter_clockwise(points):
        edges = np.roll(points, -1, axis=0) - points  # edge k runs from vertex k to vertex k + 1
        normal = np.mod(np.arctan2(edges[:, 1], edges[:, 0]) - np.pi / 2, 2 * np.pi)
        order = np.argsort(normal)
        angles = normal[order]  # vertex k + 1 supports the arc [normal[k], normal[k + 1]]
        breaks = np.unique(np.mod(np.concatenate([angles, angles + np.pi]), 2 * np.pi))
        middle = (breaks + np.diff(np.append(breaks, breaks[0] + 2 * np.pi)) / 2) % (2 * np.pi)

        def support(theta):
            slot = np.searchsorted(angles, theta, side="right") - 1  # -1: the arc through angle 0
            return (order[slot] + 1) % n

        a, b = points[support(middle)], points[support(np.mod(middle + np.pi, 2 * np.pi))]
        return float(np.linalg.norm(a - b, axis=1).max())
    largest = 0.0
    for start in range(0, n, _DIAMETER_BLOCK):
        block = points[start : start + _DIAMETER_BLOCK, None, :] - points[None, :, :]
        largest = max(largest, float((block**2).sum(axis=-1).max()))
    return float(np.sqrt(largest))


def read_only_state(instance, state: dict) -> None:
    """``__setstate__`` of the classes with read-only arrays: numpy unpickles arrays writable, so every array
    of ``state`` (cached ones too) is frozen again."""
    instance.__dict__.update(state)
    for value in state.values():
        if isinstance(value, np.ndarray):
            value.setflags(write=False)


def check_seed(seed, name: str = "seed", *, allow_none: bool = False) -> int | None:
    """``seed`` as an int (``None`` too if ``allow_none``), else ``TypeError`` naming the argument.

    >>> check_seed(np.int64(3))
    3
    >>> check_seed(True)
    Traceback (most recent call last):
    ...
    TypeError: seed must be an int, got bool
    """
    if seed is None and allow_none:
        return None
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        what = "an int or None" if allow_none else "an int"
        raise TypeError(f"{name} must be {what}, got {type(seed).__name__}")
    return int(seed)


def check_fraction(
    value, name: str, *, low: float = 0.0, high: float = 1.0, open_high: bool = False
) -> float:
    """A number in ``[low, high]`` (``[low, high)`` if ``open_high``) as a float, else ``ValueError``.

    >>> check_fraction(1, "rate")
    1.0
    >>> check_fraction(1.0, "sparsity", open_high=True)
    Traceback (most recent call last):
    ...
    ValueError: sparsity must be a number in [0.0, 1.0), got 1.0
    """
    bracket = ")" if open_high else "]"
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"{name} must be a number in [{low}, {high}{bracket}, got {value!r}")
    value = float(value)
    if math.isnan(value) or value < low or value > high or (open_high and value == high):
        raise ValueError(f"{name} must be a number in [{low}, {high}{bracket}, got {value!r}")
    return value


def check_positive_int(value, name: str, *, allow_zero: bool = False) -> int:
    """An int ``>= 1`` (``>= 0`` if ``allow_zero``), numpy integers accepted, else ``ValueError``.

    >>> check_positive_int(0, "rounds")
    Traceback (most recent call last):
    ...
    ValueError: rounds must be an int >= 1, got 0
    """
    low = 0 if allow_zero else 1
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    return int(value)


def positional_deprecated(function: str, names: tuple[str, ...], values: tuple) -> dict:
    """The keyword-only options ``names`` given positionally (``values``), with a ``DeprecationWarning``.

    For signatures that made options keyword-only: ``def f(x, ax=None, *legacy, bounds=None)`` calls this
    with the extra positional values and merges the result into its keywords. Too many values is a
    ``TypeError``, as Python would raise.
    """
    if not values:
        return {}
    if len(values) > len(names):
        raise TypeError(
            f"{function}() takes at most {len(names)} extra positional arguments, got {len(values)}"
        )
    given = dict(zip(names, values, strict=False))
    warnings.warn(
        f"passing {', '.join(given)} to {function}() positionally is deprecated; "
        f"write {', '.join(f'{key}=' for key in given)}",
        DeprecationWarning,
        stacklevel=3,
    )
    return given
