"""The reference network of many comparisons, with its geometry computed once.

A sweep compares many classifiers (pruned tickets) with one reference (their dense network):
:func:`tropical.metrics.decision_metrics` and :func:`tropical.metrics.plane_metrics` then recompute the
reference's linear regions, decision regions and decision zonotopes for every one of them. A
:class:`Reference` passed in place of the reference network computes each of them once, the first time a
comparison asks for it, and hands the same objects to the next comparison; the results are identical.
"""

from __future__ import annotations

import copy

import numpy as np

__all__ = ["Reference"]


def _key(value):
    """A hashable, exact key of an argument (arrays by dtype, shape and bytes)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict):
        return tuple(sorted((name, _key(item)) for name, item in value.items()))
    if isinstance(value, tuple | list):
        return tuple(_key(item) for item in value)
    array = np.asarray(value)
    return (array.dtype.str, array.shape, array.tobytes())


class Reference:
    """A reference classifier whose geometry is computed at most once per domain (a memo, not a model).

    Pass it as ``reference`` to :func:`tropical.metrics.decision_metrics` or
    :func:`tropical.metrics.plane_metrics` for every model compared with the same network: its linear
    regions on each domain (box, plane, data plane), its decision regions, boundary and region index on each
    data plane, what a data-plane comparison reads of them (region counts inside each triangle and box, the
    boundary clipped to the triangle, the local complexity around the three points), and its decision
    zonotopes are computed the first time they are needed and reused after,
    with results identical to passing the network itself.

    Parameters
    ----------
    model : torch.nn.Module
        The reference network. It is copied (``copy.deepcopy``): training or pruning ``model`` afterwards
        does not change the Reference, whose geometry stays that of the weights at construction.

    Attributes
    ----------
    model : torch.nn.Module
        The copy whose geometry is computed.
    computed : dict of str to int
        How many times each kind of geometry was actually computed (``"picture"``: the regions on one
        domain; ``"plane_view"``: the counts, clipped boundary and local complexity on one data plane;
        ``"decision_zonotopes"``); the rest came from the memo.

    Examples
    --------
    >>> import torch
    >>> import tropical as tr
    >>> from tropical.metrics import Reference, decision_metrics
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> dense = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    >>> tickets = [torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    ...            for _ in range(3)]
    >>> reference = Reference(dense)
    >>> rows = [decision_metrics(reference, t, bounds=(-2, 2, -2, 2)) for t in tickets]
    >>> reference.computed
    {'picture': 1, 'plane_view': 0, 'decision_zonotopes': 1}
    >>> rows[0] == decision_metrics(dense, tickets[0], bounds=(-2, 2, -2, 2))
    True
    """

    def __init__(self, model) -> None:
        import torch

        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"model must be a torch.nn.Module (the reference network), got {type(model)}")
        self.model = copy.deepcopy(model)
        self.computed = {"picture": 0, "plane_view": 0, "decision_zonotopes": 0}
        self._memo: dict = {}

    def __repr__(self) -> str:
        return f"Reference({type(self.model).__name__}, {len(self._memo)} geometries computed)"

    def _once(self, kind: str, build, **options):
        key = (kind, _key(options))
        if key not in self._memo:  # a failure is not kept: it raises again, as without the memo
            self._memo[key] = build(**options)
            self.computed[kind] += 1
        return self._memo[key]

    def picture(self, **options):
        """:func:`tropical.linear_regions` of the reference with these options (a box, a plane, a data
        plane), with their decision boundary, decision regions and spatial index: computed once."""
        from tropical.metrics.planes import _Picture
        from tropical.regions import linear_regions

        return self._once("picture", lambda **o: _Picture(linear_regions(self.model, **o)), **options)

    def plane_view(self, points, *, radius: float, **options):
        """What a data-plane comparison reads of the reference on the plane through ``points``, computed
        once per plane and radius: its :meth:`picture` on that plane (shared with :meth:`picture`), the
        decision boundary and class regions clipped to the triangle of the points, the region counts and
        boundary lengths inside the triangle and the padded box, and the local complexity (regions and
        boundary pieces within ``radius``) around the three points (:func:`tropical.metrics.plane_metrics`).
        ``options``: those of :func:`tropical.linear_regions` (``max_regions=``, ``input_shape=``)."""
        from tropical.metrics.planes import _PlaneView

        def build(plane, radius, **o):
            return _PlaneView.of(self.picture(plane=plane, **o), radius, points=plane)

        return self._once("plane_view", build, plane=points, radius=float(radius), **options)

    def decision_zonotopes(self, classes, **options):
        """:func:`tropical.decision_zonotopes` of the reference, computed once (vertices then cached too)."""
        from tropical.decision import decision_zonotopes

        return self._once(
            "decision_zonotopes",
            lambda classes, **o: decision_zonotopes(self.model, classes, **o),
            classes=tuple(classes),
            **options,
        )


def as_reference(reference) -> Reference:
    """``reference`` itself if it is a :class:`Reference`, else a Reference of that network."""
    return reference if isinstance(reference, Reference) else Reference(reference)
