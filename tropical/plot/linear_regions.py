"""Figures of linear regions and decision boundaries on a 2-D domain (see :mod:`tropical.regions`).

matplotlib is imported inside the functions. :func:`regions` takes ``ax=None`` as its second parameter,
:func:`regions_comparison` (two models) ``axes=None`` as a keyword; both return a dict of the artists they
drew with the computed :class:`~tropical.regions.Regions`, and never call ``plt.show()``.
"""

from __future__ import annotations

import numpy as np

from tropical._validation import as_regions, float_array
from tropical.plot._layout import fitted_suptitle

__all__ = ["regions", "regions_comparison"]


def _pattern_colors(patterns: np.ndarray, cmap) -> np.ndarray:
    """One RGBA colour per region, a deterministic hash of its activation pattern."""
    import matplotlib

    colormap = matplotlib.colormaps[cmap] if isinstance(cmap, str) else cmap
    if patterns.shape[1] == 0:
        return colormap(np.zeros(len(patterns)))
    weights = np.random.default_rng(12345).integers(1, 2**31, size=patterns.shape[1], dtype=np.int64)
    hashed = (patterns.astype(np.int64) * weights).sum(axis=1) % 1_000_003
    return colormap((hashed % 997) / 996.0)


def _geometry_path(geometry):
    """A matplotlib Path of a shapely (Multi)Polygon, holes included (even-odd filling)."""
    import shapely
    from matplotlib.path import Path

    paths = []
    for part in shapely.get_parts(geometry):
        if part.is_empty or part.geom_type != "Polygon":
            continue
        for ring in [part.exterior, *part.interiors]:
            coords = np.asarray(ring.coords)
            codes = np.full(len(coords), Path.LINETO)
            codes[0], codes[-1] = Path.MOVETO, Path.CLOSEPOLY
            paths.append(Path(coords, codes))
    return Path.make_compound_path(*paths) if paths else None


def _domain_data(data: np.ndarray, result) -> np.ndarray:
    """``data`` in domain coordinates: (n, 2) as given; input-space points projected onto the plane."""
    n_in = np.asarray(result.origin).size
    if data.ndim == 2 and data.shape[1] == 2:
        return data
    if data.ndim >= 2 and n_in > 2 and int(np.prod(data.shape[1:])) == n_in:
        return (data.reshape(len(data), n_in) - result.origin) @ np.asarray(result.frame).T
    raise ValueError(
        f"data must have shape (n, 2) (domain coordinates) or, on a plane, (n, {n_in}) or (n, *input_shape) "
        f"(input-space points, projected onto the plane), got {data.shape}"
    )


def _on_plane(result) -> bool:
    """Whether the domain's coordinates are a plane's (``u``, ``v``), not the two inputs ``x_1``, ``x_2``."""
    frame, origin = np.asarray(result.frame), np.asarray(result.origin)
    return frame.shape != (2, 2) or not np.array_equal(frame, np.eye(2)) or bool(np.any(origin))


def regions(
    model,
    ax=None,
    *,
    bounds=None,
    plane=None,
    polygon=None,
    data=None,
    labels=None,
    boundary: bool = True,
    cmap="tab20",
    alpha: float = 0.55,
    edgecolor="white",
    linewidth: float = 0.3,
    boundary_color="black",
    boundary_width: float = 1.8,
    data_cmap="coolwarm",
    title: str | None = None,
):
    """Linear regions coloured by activation pattern, with the exact decision boundary on top.

    Parameters
    ----------
    model : torch.nn.Module or Regions
        A network with the domain arguments, or its :class:`~tropical.regions.Regions`.
    ax : matplotlib Axes, optional
        A new figure when omitted.
    bounds, plane, polygon
        The domain, as for :func:`tropical.linear_regions` (domain coordinates are plotted).
    data : array_like, shape (n, 2) or (n, *input_shape), optional
        Points to scatter on top: in domain coordinates, or, on a plane of a network with more than 2
        inputs, input-space points (e.g. the test points the plane goes through), drawn at their
        orthogonal projection onto the plane.
    labels : array_like, shape (n,), optional
        Class of each data point (its colour).
    boundary : bool
        Draw the exact decision boundary (:meth:`Regions.decision_boundary`).
    cmap : str or Colormap
        Colours of the activation patterns (a hash of the pattern picks the colour: the same pattern has
        the same colour in every figure).
    alpha, edgecolor, linewidth
        Fill opacity, edge colour and width of the regions.
    boundary_color, boundary_width
        Style of the decision boundary.
    data_cmap : str or Colormap
        Colours of the data labels.
    title : str, optional
        Axes title; the number of regions is appended.

    Returns
    -------
    dict
        ``{"regions": PolyCollection, "boundary": LineCollection or None, "data": PathCollection or None,
        "result": Regions}``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection, PolyCollection

    result = as_regions(model, bounds=bounds, plane=plane, polygon=polygon)
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5))
    faces = PolyCollection(
        result.polygons,
        facecolors=_pattern_colors(result.activation_patterns, cmap),
        edgecolors=edgecolor,
        linewidths=linewidth,
        alpha=alpha,
    )
    ax.add_collection(faces)
    lines = None
    if boundary:
        segments = result.decision_boundary()
        lines = LineCollection(
            segments,
            colors=boundary_color,
            linewidths=boundary_width,
            zorder=3,
            label="exact decision boundary",
        )
        ax.add_collection(lines)
    points = None
    if data is not None:
        data = _domain_data(float_array(data, "data"), result)
        points = ax.scatter(
            data[:, 0],
            data[:, 1],
            c=labels,
            cmap=None if labels is None else data_cmap,  # matplotlib warns about a cmap without colours
            s=12,
            edgecolors="black",
            linewidths=0.3,
            zorder=4,
        )
    low, high = result.domain.min(axis=0), result.domain.max(axis=0)
    ax.set_xlim(low[0], high[0])
    ax.set_ylim(low[1], high[1])
    ax.set_aspect("equal")
    suffix = f"{len(result):,} regions"
    ax.set_title(f"{title} ({suffix})" if title else suffix)
    if not ax.get_xlabel() and not ax.get_ylabel():  # the caller's labels stay
        on_plane = _on_plane(result)
        ax.set_xlabel("$u$ (plane coordinate)" if on_plane else "$x_1$")
        ax.set_ylabel("$v$ (plane coordinate)" if on_plane else "$x_2$")
    return {"regions": faces, "boundary": lines, "data": points, "result": result}


def regions_comparison(
    model_a,
    model_b,
    axes=None,
    *,
    bounds=None,
    plane=None,
    polygon=None,
    data=None,
    labels=None,
    titles=("model A", "model B"),
    shade_color="crimson",
    **options,
):
    """Two networks side by side: regions and decision boundaries, the area where they disagree shaded.

    Made for comparing a network before and after training, or a dense network and its ticket; e.g. the
    gallery figure of a 2-16-16-2 net on two moons at initialisation and after training::

        regions_comparison(net_at_init, net_trained, bounds=(-2, 3, -1.5, 2), data=X, labels=y,
                           titles=("at initialisation", "after training"))

    Parameters
    ----------
    model_a, model_b : torch.nn.Module or Regions
        Two classifiers with the same number of outputs, on the same domain.
    axes : sequence of two matplotlib Axes, optional
        A new 1 x 2 figure when omitted.
    bounds, plane, polygon
        The domain, as for :func:`tropical.linear_regions` (omit them when passing Regions).
    data, labels
        Optional data points and their classes, drawn on both panels (as for :func:`regions`: domain
        coordinates, or input-space points on a plane).
    titles : (str, str)
        Panel titles.
    shade_color : color
        Hatch colour of the disagreement area (where the predicted classes differ).
    **options
        Passed to :func:`regions` for both panels (``cmap``, ``alpha``, ...).

    Returns
    -------
    dict
        ``{"figure", "axes", "a": dict, "b": dict, "disagreement": [PathPatch, PathPatch],
        "agreement": float}``, where ``a`` and ``b`` are the returns of :func:`regions` and
        ``agreement`` is the exact fraction of the domain where both predict the same class.
    """
    import matplotlib.pyplot as plt
    import shapely
    from matplotlib.patches import PathPatch

    result_a = as_regions(model_a, bounds=bounds, plane=plane, polygon=polygon, name="model_a")
    result_b = as_regions(model_b, bounds=bounds, plane=plane, polygon=polygon, name="model_b")
    classes_a, classes_b = result_a.decision_regions(), result_b.decision_regions()
    if len(classes_a) != len(classes_b):
        raise ValueError(
            f"model_a predicts {len(classes_a)} classes but model_b predicts {len(classes_b)}; "
            "they cannot be compared"
        )
    differ = shapely.union_all([ga.difference(gb) for ga, gb in zip(classes_a, classes_b, strict=True)])
    domain_area = shapely.Polygon(result_a.domain).area
    agreement = 1.0 - differ.area / domain_area
    if axes is None:
        figure, axes = plt.subplots(1, 2, figsize=(10, 5), constrained_layout=True)
    else:
        figure = axes[0].figure
    drawn, patches = [], []
    for ax, result, title in zip(axes, (result_a, result_b), titles, strict=True):
        drawn.append(regions(result, ax, data=data, labels=labels, title=title, **options))
        path = _geometry_path(differ)
        patch = None
        if path is not None:
            patch = PathPatch(
                path,
                facecolor="none",
                edgecolor=shade_color,
                hatch="////",
                linewidth=0.0,
                alpha=0.8,
                zorder=2,
            )
            ax.add_patch(patch)
        patches.append(patch)
    fitted_suptitle(
        figure,
        f"classes agree on {100 * agreement:.1f}% of the domain\n(hatched: disagreement; black lines: exact "
        "decision boundaries; colours: activation patterns)",
    )
    return {
        "figure": figure,
        "axes": list(axes),
        "a": drawn[0],
        "b": drawn[1],
        "disagreement": patches,
        "agreement": agreement,
    }
