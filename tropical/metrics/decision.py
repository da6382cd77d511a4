"""One comparison of two classifiers: decision polytopes, decision boundaries, and boundaries on data planes.

:func:`decision_metrics` is the table row of "how close is this network (a pruned ticket) to that one (the
dense network)": every number is computed exactly where that is affordable, bounded where it is not, and
NaN with the reason in a ``*_method`` column where nothing can be computed -- a sweep over many tickets
never stops because one network is too large for one metric. Bad arguments still raise.

Keys are documented once, in :data:`DECISION_METRICS`; ``dense_*`` keys describe the reference.
"""

from __future__ import annotations

import math

import numpy as np

from tropical.errors import ComputationTooLargeError, DegenerateGeometryError, UnsupportedLayerError
from tropical.metrics.planes import TRIPLETS
from tropical.metrics.reference import Reference, as_reference

__all__ = ["DECISION_METRICS", "decision_metrics"]

_PLANE_METRICS = {
    "agreement": "exact fraction of the area where model and reference predict the same class",
    "boundary_hausdorff": "exact Hausdorff distance between the two decision boundaries (over the planes "
    "where it is finite)",
    "regions": "number of linear regions of the model",
    "dense_regions": "number of linear regions of the reference",
    "boundary_length": "length of the model's decision boundary",
    "dense_boundary_length": "length of the reference's decision boundary",
}
_PLANE_KEYS = {}
for _window, _place in (("triangle", "triangle of its three test points"), ("box", "padded box")):
    for _metric, _what in _PLANE_METRICS.items():
        for _stat in ("mean", "std"):
            _PLANE_KEYS[f"{_window}_{_metric}_{_stat}"] = f"{_what} inside the {_place}, {_stat} over planes"
        if _metric == "boundary_hausdorff":
            _PLANE_KEYS[f"{_window}_boundary_hausdorff_infinite"] = (
                f"fraction of planes where one network has a decision boundary inside the {_place} and the "
                "other has none (boundary Hausdorff distance infinite)"
            )
_LOCAL_KEYS = {
    f"local_{metric}_{stat}": f"{what} within radius of each test point on its data plane, {stat} over points"
    for metric, what in (
        ("regions", "linear regions of the model"),
        ("dense_regions", "linear regions of the reference"),
        ("boundary_pieces", "decision-boundary segments of the model"),
        ("dense_boundary_pieces", "decision-boundary segments of the reference"),
    )
    for stat in ("mean", "std")
}

#: Keys of :func:`decision_metrics`, in order, with their meaning. ``*_method`` keys are strings, the others
#: floats (NaN where not computed, with the reason in the section's ``*_method`` key).
DECISION_METRICS = {
    "polytope_method": "how the polytope keys were computed: 'exact', 'bracket' (certified lower and upper "
    "bounds of the Hausdorff distance from support functions), 'projected' (polytope_hausdorff is the exact "
    "distance of the projections, a lower bound; the upper bound is generator_distance), or "
    "'skipped: <reason>'; for a deeper network followed by ' (first layer, rest linear)': the decision "
    "polytopes of its first hidden layer with the later layers read as their linear part "
    "(tropical.decision.decision_weights(rest='linear'))",
    "polytope_hausdorff": "Hausdorff distance of the decision polytopes conv(Z1 ∪ Z2), model vs reference, "
    "raw (with method 'bracket': the certified lower bound, the largest support-function gap found)",
    "polytope_hausdorff_lower": "certified lower bound of polytope_hausdorff (equal to it when exact)",
    "polytope_hausdorff_upper": "certified upper bound of polytope_hausdorff (equal to it when exact)",
    "polytope_hausdorff_normalized": "the Hausdorff distance after centring each polytope and scaling it to "
    "unit diameter (exact method only)",
    "polytope_iou": "intersection over union of the two decision polytopes, raw (exact method only)",
    "polytope_iou_normalized": "IoU after centring and scaling each polytope to unit diameter (exact only)",
    "polytope_volume_ratio": "volume of the model's decision polytope / the reference's (exact only)",
    "polytope_vertices": "vertices of the model's decision polytope (exact only)",
    "dense_polytope_vertices": "vertices of the reference's decision polytope (exact only)",
    "generator_distance": "max over the two zonotopes of the matched generator distance (Misiakos et al. "
    "2022), model vs reference, raw: an upper bound of polytope_hausdorff",
    "projected_polytope_hausdorff": "exact Hausdorff distance of the two decision polytopes projected onto "
    "the plane of the reference's two leading principal generator directions (tropical.metrics."
    "projected_polygons; a lower bound of polytope_hausdorff, equal to it for 2-D inputs)",
    "projected_polytope_iou": "exact IoU of the two projected decision polytopes (equal to polytope_iou for "
    "2-D inputs)",
    "boundary_method": "'exact' (the boundary keys on the bounds= / plane= domain) or 'skipped: <reason>'",
    "boundary_agreement": "exact fraction of the domain's area where model and reference predict the same "
    "class",
    "boundary_hausdorff": "exact Hausdorff distance between the two decision boundaries (input units)",
    "linear_regions": "number of linear regions of the model on the domain",
    "dense_linear_regions": "number of linear regions of the reference on the domain",
    "plane_method": "'exact' (the keys below, on planes through triplets of test points) or 'skipped: "
    "<reason>'",
    "planes": "number of data planes the plane keys average over",
    **_PLANE_KEYS,
    "local_radius": "radius (input units) of the local-complexity disks",
    **_LOCAL_KEYS,
}

_POLYTOPE_KEYS = [key for key in DECISION_METRICS if "polytope" in key or key == "generator_distance"]
_BOUNDARY_KEYS = [
    key for key in DECISION_METRICS if key.startswith("boundary_") or key.endswith("linear_regions")
]
_PLANE_SECTION = ["plane_method", "planes", *_PLANE_KEYS, "local_radius", *_LOCAL_KEYS]
_NAN = float("nan")
#: Computations that become NaN + reason instead of an exception.
_SKIPPED = (ComputationTooLargeError, UnsupportedLayerError, DegenerateGeometryError)


def _reason(error: Exception) -> str:
    """``"skipped: <Error>: <first sentence>"`` for a table cell; of a listing (``"...:\\n  - problem\\n
    To fix: hint."``, as :class:`UnsupportedLayerError` gives), the first problem and the first hint."""
    lines = [line.strip() for line in str(error).strip().split("\n")]
    listed = [line[2:] for line in lines[1:] if line.startswith("- ")]
    hints = [line.removeprefix("To fix: ").rstrip(".") for line in lines[1:] if line.startswith("To fix: ")]
    text = listed[0] if lines[0].endswith(":") and listed else lines[0]
    sentence = text.split(". ")[0].split("; ")[0].rstrip(".")
    fix = f"; to fix: {hints[0]}" if listed and hints else ""
    return f"skipped: {type(error).__name__}: {sentence}{fix}"


def _guarded(function, *args, **kwargs) -> float:
    try:
        return float(function(*args, **kwargs))
    except DegenerateGeometryError:
        return _NAN


# ---------------------------------------------------------------------------------------------- polytopes
def _exact_affordable(zonotopes, max_exact_vertices: int) -> bool:
    """Whether the vertices of every zonotope can be enumerated cheaply (2-D always; 3-D and 4-D by bound)."""
    from tropical.zonotope import zonotope_vertex_bound

    d = zonotopes[0].ambient_dimension
    if d <= 2:
        return True
    if d > 4:
        return False
    return all(zonotope_vertex_bound(len(Z.generators), d) <= max_exact_vertices for Z in zonotopes)


def _generator_distance(Zr, Zm, max_memory: float) -> float:
    from tropical.metrics.polytope import generator_distance

    try:  # the matching's p x p cost matrix is estimated (and refused above max_memory) before allocation
        return max(float(generator_distance(a, b, max_bytes=max_memory)) for a, b in zip(Zr, Zm, strict=True))
    except ComputationTooLargeError:
        return _NAN


def _exact_polytope_metrics(Zr, Zm) -> dict:
    from tropical.metrics import polytope as metrics
    from tropical.polytope import Polytope

    Pr = Polytope(np.vstack([Zr[0].vertices, Zr[1].vertices]))
    Pm = Polytope(np.vstack([Zm[0].vertices, Zm[1].vertices]))
    counts = {
        "polytope_vertices": float(metrics.vertex_count(Pm)),
        "dense_polytope_vertices": float(metrics.vertex_count(Pr)),
    }
    if _same_points(Pr.vertices, Pm.vertices):  # exactly 0 and 1, not up to the rounding of an overlay
        values = dict.fromkeys(["polytope_hausdorff", "polytope_hausdorff_normalized"], 0.0)
        values.update(
            dict.fromkeys(["polytope_iou", "polytope_iou_normalized", "polytope_volume_ratio"], 1.0)
        )
        if Pr.volume <= 0:  # IoU and volume ratio are undefined for flat polytopes, also identical ones
            values.update(
                dict.fromkeys(["polytope_iou", "polytope_iou_normalized", "polytope_volume_ratio"], _NAN)
            )
    else:
        values = {
            "polytope_hausdorff": float(metrics.hausdorff(Pm, Pr)),
            "polytope_hausdorff_normalized": _guarded(
                metrics.hausdorff, Pm, Pr, normalize="centroid_diameter"
            ),
            "polytope_iou": _guarded(metrics.iou, Pm, Pr),
            "polytope_iou_normalized": _guarded(metrics.iou, Pm, Pr, normalize="centroid_diameter"),
            "polytope_volume_ratio": _guarded(metrics.volume_ratio, Pm, Pr),
        }
    distance = values["polytope_hausdorff"]
    return {
        "polytope_method": "exact",
        "polytope_hausdorff_lower": distance,
        "polytope_hausdorff_upper": distance,
        **values,
        **counts,
    }


def _same_points(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two point sets are equal (as sets of rows, exactly)."""
    return a.shape == b.shape and np.array_equal(np.unique(a, axis=0), np.unique(b, axis=0))


def _projected_polytope_metrics(Zr, Zm) -> dict:
    """Exact 2-D Hausdorff distance and IoU of the polytopes projected on the reference's principal plane."""
    from tropical.metrics import polytope as metrics
    from tropical.metrics.projection import projected_polygons
    from tropical.zonotope import ZonotopeHull

    Pr, Pm = (polygon.polytope for polygon in projected_polygons([ZonotopeHull(*Zr), ZonotopeHull(*Zm)]))
    if _same_points(Pr.vertices, Pm.vertices):
        return {"projected_polytope_hausdorff": 0.0, "projected_polytope_iou": 1.0 if Pr.volume > 0 else _NAN}
    return {
        "projected_polytope_hausdorff": float(metrics.hausdorff(Pm, Pr)),
        "projected_polytope_iou": _guarded(metrics.iou, Pm, Pr),
    }


def _bracket_metrics(Zr, Zm, upper: float, seed: int) -> dict:
    """The certified Hausdorff bracket of the two decision polytopes, never enumerated."""
    from tropical.metrics.support import hausdorff_bracket
    from tropical.zonotope import ZonotopeHull

    bracket = hausdorff_bracket(ZonotopeHull(*Zm), ZonotopeHull(*Zr), method="bracket", seed=seed)
    return {
        "polytope_method": "bracket",
        "polytope_hausdorff": bracket.lower,
        "polytope_hausdorff_lower": bracket.lower,
        "polytope_hausdorff_upper": float(np.fmin(bracket.upper, upper)),  # both bounds are certified
    }


def _polytope_metrics(
    reference, model, classes, n_out, max_exact_vertices, max_memory, seed, input_shape, rest, deep
) -> dict:
    row = dict.fromkeys(_POLYTOPE_KEYS, _NAN)
    import tropical.decision as decision

    def options(deeper: bool) -> dict:
        """The exact construction, or for a net with several activations the first layer's (rest=)."""
        return {"input_shape": input_shape, **({"rest": rest} if deeper and rest is not None else {})}

    try:
        Zr = reference.decision_zonotopes(classes, **options(deep[0]))
        Zm = decision.decision_zonotopes(model, classes, **options(deep[1]))
    except UnsupportedLayerError as error:
        row["polytope_method"] = _reason(error)
        return row
    row.update(_measured_polytopes(Zr, Zm, max_exact_vertices, max_memory, seed))
    if any(deep):  # a deep net's first layer: say so in the method
        row["polytope_method"] += f" ({decision.FIRST_LAYER})"
    return row


def _measured_polytopes(Zr, Zm, max_exact_vertices, max_memory, seed) -> dict:
    """Exact where affordable, else the certified bracket, else the projection's lower bound."""
    from tropical.budget import single_threaded

    row = {}
    with single_threaded():  # small products: BLAS threads only lose (up to 1000x on shared cores)
        row["generator_distance"] = _generator_distance(Zr, Zm, max_memory)
        row.update(_projected_polytope_metrics(Zr, Zm))
        if _exact_affordable([*Zr, *Zm], max_exact_vertices):
            try:
                row.update(_exact_polytope_metrics(Zr, Zm))
                return row
            except _SKIPPED:
                pass  # bounded below instead
        try:
            row.update(_bracket_metrics(Zr, Zm, row["generator_distance"], seed))
            return row
        except _SKIPPED:
            pass
    # what is left: the projection, whose Hausdorff distance is a lower bound (projections are 1-Lipschitz)
    projected = row["projected_polytope_hausdorff"]
    row.update(
        polytope_method="projected",
        polytope_hausdorff=projected,
        polytope_hausdorff_lower=projected,
        polytope_hausdorff_upper=row["generator_distance"],
    )
    return row


# ---------------------------------------------------------------------------------------------- boundaries
def _boundary_metrics(reference, model, bounds, plane, n_in: int, max_regions: int, input_shape) -> dict:
    import shapely

    from tropical.metrics.boundary import _class_agreement, boundary_hausdorff
    from tropical.regions import linear_regions

    row: dict = dict.fromkeys(_BOUNDARY_KEYS, _NAN)
    if bounds is None and plane is None:
        needed = "bounds=(xmin, xmax, ymin, ymax) or plane=" if n_in == 2 else "plane=(x0, x1, x2)"
        row["boundary_method"] = f"skipped: no domain (pass {needed})"
        return row
    try:
        shape = {} if bounds is not None else {"input_shape": input_shape}
        dense = reference.picture(bounds=bounds, plane=plane, max_regions=max_regions, **shape)
        regions = linear_regions(model, bounds=bounds, plane=plane, max_regions=max_regions, **shape)
        area = shapely.Polygon(regions.domain).area  # the same domain for both (tropical.region_agreement)
        agreement = _class_agreement(regions.decision_regions(), dense.classes, area)
        distance = boundary_hausdorff(regions.decision_boundary(), dense.boundary)
    except _SKIPPED as error:
        row["boundary_method"] = _reason(error)
        return row
    row.update(
        boundary_method="exact",
        boundary_agreement=float(agreement),
        boundary_hausdorff=float(distance),
        linear_regions=float(len(regions)),
        dense_linear_regions=float(len(dense.regions)),
    )
    return row


# ---------------------------------------------------------------------------------------------- data planes
def _plane_section(
    reference, model, data, planes, triplets, radius, seed, max_regions, input_shape, progress
) -> dict:
    row: dict = dict.fromkeys(_PLANE_SECTION, _NAN)
    if data is None:
        row["plane_method"] = "skipped: no data= given"
        return row
    from tropical.metrics.planes import plane_metrics

    X, y = data
    try:
        result = plane_metrics(
            reference,
            model,
            X,
            y,
            planes=planes,
            triplets=triplets,
            radius=radius,
            seed=seed,
            max_regions=max_regions,
            input_shape=input_shape,
            progress=progress,
        )
    except _SKIPPED as error:
        row["plane_method"] = _reason(error)
        return row
    row.update(result.summary())
    row["plane_method"] = "exact"
    return row


# ---------------------------------------------------------------------------------------------- entry point
def _classes(classes, n_out: int) -> tuple[int, int]:
    try:
        i, j = (int(c) for c in classes)
    except (TypeError, ValueError):
        raise ValueError(f"classes must be a pair of class indices, got {classes!r}") from None
    n_classes = 2 if n_out == 1 else n_out
    if not (0 <= i < n_classes and 0 <= j < n_classes) or i == j:
        raise ValueError(f"classes must be two different indices in [0, {n_classes}), got {classes!r}")
    return i, j


def _data(data, n_in: int):
    if data is None:
        return None
    try:
        X, y = data
    except (TypeError, ValueError):
        raise ValueError("data must be a pair (X, y) of test inputs (n, d) and labels (n,) or None") from None
    X = np.asarray(X, dtype=np.float64)
    if X.ndim > 2 and math.prod(X.shape[1:]) == n_in:  # images (n, *input_shape): one row per input
        X = X.reshape(len(X), n_in)
    if X.ndim != 2 or X.shape[1] != n_in:
        raise ValueError(
            f"data X must have shape (n, {n_in}) or (n, *input_shape) for these models, got {X.shape}"
        )
    return X, (None if y is None else np.asarray(y))


def decision_metrics(
    reference,
    model,
    *,
    classes=(0, 1),
    bounds=None,
    plane=None,
    data=None,
    planes: int = 10,
    triplets: str = "mixed",
    radius: float | None = None,
    seed: int = 0,
    max_exact_vertices: int = 10_000,
    max_regions: int = 2_000_000,
    max_memory: float = 1e9,
    rest: str | None = "linear",
    input_shape=None,
    progress: bool | None = None,
) -> dict:
    """Compare a classifier (e.g. a retrained ticket) with a reference (e.g. the dense network).

    Three sections, each with a ``*_method`` key saying how it was computed:

    - **Decision polytopes** of the class pair ``classes`` (Alfarra et al., TPAMI 2022): the polytopes
      ``conv(Z1 ∪ Z2)`` of :func:`tropical.decision_zonotopes` for one-hidden-layer ReLU, LeakyReLU or
      PReLU classifiers.
      ``polytope_method`` is ``"exact"`` in 2-D, and in 3-D and 4-D while every zonotope has at most
      ``max_exact_vertices`` vertices (the bound ``2 Σ_{i<d} C(p-1, i)``, checked before anything is
      allocated). Otherwise ``"bracket"``: certified lower and upper bounds of the Hausdorff distance from
      exact support functions (:func:`tropical.metrics.hausdorff_bracket`); the keys that need vertices
      (IoU, volume ratio, vertex counts, normalised distance) are NaN. ``"projected"`` if even the
      bracket cannot be computed. Deeper networks: the zonotopes of their first hidden layer with the rest
      of the network read as its linear part (``rest="linear"``, the method then ends with
      ``" (first layer, rest linear)"``), or ``"skipped: <reason>"`` with ``rest=None``; unsupported
      layers or one output are skipped with the reason. ``generator_distance`` (Misiakos et al., ICLR
      2022) and the exact 2-D metrics of the projections on the reference's principal generator plane are
      computed for every pair with zonotopes.
    - **Decision boundaries on a 2-D domain** (``bounds=`` for 2-D inputs or ``plane=(x0, x1, x2)``):
      exact area agreement of the predicted classes, exact Hausdorff distance of the boundaries and region
      counts (:func:`tropical.metrics.region_agreement`, :func:`tropical.metrics.boundary_hausdorff`).
    - **Data planes** (``data=(X, y)``): :func:`tropical.metrics.plane_metrics` on ``planes`` planes
      through triplets of test points (Somepalli et al., CVPR 2022) and the local complexity around the
      points (Humayun et al., 2024), as mean and standard deviation over planes and points.

    Parameters
    ----------
    reference, model : torch.nn.Module
        Two ReLU classifiers with the same input size and the same number of outputs (widths may differ).
        ``reference`` may also be a :class:`tropical.metrics.Reference` of the reference network: pass the
        same one for every model compared with it and its regions, decision regions and zonotopes are
        computed once (the row is identical).
    classes : (int, int)
        The class pair of the decision polytopes.
    bounds, plane
        The 2-D domain of the boundary section, as for :func:`tropical.linear_regions`; neither: skipped.
    data : (X, y), optional
        Test inputs ``X`` of shape (n, d) and labels ``y`` of shape (n,) (``y`` may be None, then
        ``triplets="any"`` is required).
    planes : int
        Number of data planes.
    triplets : {"mixed", "same", "any"}
        How the three points of a plane are drawn (see :func:`tropical.metrics.plane_triplets`).
    radius : float, optional
        Radius of the local-complexity disks (input units); default: see
        :func:`tropical.metrics.plane_metrics`.
    seed : int
        Seed of the plane triplets and of the random directions of the Hausdorff bracket.
    max_exact_vertices : int
        Largest vertex count per zonotope (3-D and 4-D) for which the polytopes are enumerated.
    max_regions : int
        Largest number of linear regions per network and domain (more: the section is skipped).
    max_memory : float
        Bytes allowed for the generator matching (its ``p x p`` cost matrix); above it
        ``generator_distance`` is NaN.
    rest : {"linear", None}
        How deeper networks enter the polytope section: ``"linear"`` (default) uses Alfarra et al.'s
        construction on the first hidden layer with the rest of the network read as its linear part
        (:func:`tropical.decision.decision_weights`; ``polytope_method`` then ends with
        ``" (first layer, rest linear)"``); ``None`` skips them.
    input_shape : tuple of int, optional
        Per-sample input shape of models that need one (conv nets, :func:`tropical.piecewise_linear_graph`);
        by default the shape of the points of ``data`` or ``plane``, as the models take them.
    progress : bool or None
        Progress over the data planes on stderr (:func:`tropical.metrics.plane_metrics`): ``None`` (default)
        once the planes have run a while, ``True`` from the start, ``False`` never.

    Returns
    -------
    dict
        The keys of :data:`DECISION_METRICS`, always all of them, in that order: floats (counts too, so
        that a column can hold NaN) and the three ``*_method`` strings.

    Raises
    ------
    ValueError
        For bad arguments: different input or output sizes, bad ``classes``, ``data``, domain or limits.
        A layer without a piecewise-linear form, a computation above its limit or a degenerate geometry
        never raises: the section becomes NaN with the reason.

    Examples
    --------
    >>> import torch
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    >>> row = decision_metrics(net, net, bounds=(-2, 2, -2, 2))
    >>> row["polytope_method"], row["polytope_hausdorff"], row["boundary_agreement"]
    ('exact', 0.0, 1.0)
    >>> row["plane_method"]
    'skipped: no data= given'
    """
    from tropical.graph import piecewise_linear_graph

    def read(net):
        try:
            return piecewise_linear_graph(net, input_shape=input_shape)
        except (ValueError, UnsupportedLayerError) as error:
            # a conv net, or a forward that reads its input's shape, needs that shape: the points given are
            # shaped as the model takes them
            given = data[0] if data is not None and len(data) == 2 else plane
            if input_shape is not None or given is None or not np.shape(given)[1:]:
                raise
            try:
                return piecewise_linear_graph(net, input_shape=np.shape(given)[1:])
            except UnsupportedLayerError:
                raise  # read at the data's shape: its layers are the real reason (e.g. BatchNorm in training)
            except ValueError:
                raise error from None

    try:
        graphs = [
            read(net) for net in (reference.model if isinstance(reference, Reference) else reference, model)
        ]
        shapes = [(graph.n_in, math.prod(graph.output_shape)) for graph in graphs]
        input_shape = graphs[0].input_shape
    except UnsupportedLayerError as error:
        row = {key: _NAN for key in DECISION_METRICS}
        for key in ("polytope_method", "boundary_method", "plane_method"):
            row[key] = _reason(error)
        return row
    (n_in, n_out), (m_in, m_out) = shapes
    if (n_in, n_out) != (m_in, m_out):
        raise ValueError(
            f"reference maps {n_in} inputs to {n_out} outputs but model maps {m_in} to {m_out}; "
            "the two classifiers must have the same input and output sizes"
        )
    classes = _classes(classes, n_out)
    data = _data(data, n_in)
    if triplets not in TRIPLETS:
        raise ValueError(f"triplets must be one of {TRIPLETS}, got {triplets!r}")
    for name, value in (("max_exact_vertices", max_exact_vertices), ("max_regions", max_regions)):
        if int(value) < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if not (max_memory > 0 and math.isfinite(max_memory)):
        raise ValueError(f"max_memory must be a positive number of bytes, got {max_memory!r}")
    if rest not in (None, "linear"):
        raise ValueError(f"rest must be 'linear' or None, got {rest!r}")
    if progress not in (None, True, False):
        raise ValueError(f"progress must be True, False or None (auto), got {progress!r}")
    deep = [sum(node.kind == "activation" for node in graph.nodes) > 1 for graph in graphs]
    reference = as_reference(reference)
    row = _polytope_metrics(
        reference,
        model,
        classes,
        n_out,
        int(max_exact_vertices),
        float(max_memory),
        seed,
        input_shape,
        rest,
        deep,
    )
    row.update(_boundary_metrics(reference, model, bounds, plane, n_in, int(max_regions), input_shape))
    row.update(
        _plane_section(
            reference, model, data, planes, triplets, radius, seed, int(max_regions), input_shape, progress
        )
    )
    return {key: row[key] for key in DECISION_METRICS}
