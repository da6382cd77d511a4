"""Exact 2-D projections of decision polytopes in any input dimension ("projected Newton polygons").

A linear image of a zonotope is the zonotope of the images of its generators (Ziegler, *Lectures on
Polytopes*, §7.3), and a linear image of ``conv(Z1 ∪ Z2)`` is the hull of the images. So the projection of
Alfarra et al.'s decision polytope onto any plane is an exact polygon, computed in ``O(p log p)`` from the
projected generators, whatever the input dimension (784 for MNIST).

The default plane is spanned by the two leading principal directions of the *reference* body's generators
(the right singular vectors of the stacked generators of ``Z1`` and ``Z2``; the second moment of a zonotope
is ``sum_j g_j g_j^T / 12`` about its centre). Comparing tickets of one dense network on the dense
network's plane shows how pruning keeps or reshapes the polytope where it is widest.

Projection by an orthonormal basis is 1-Lipschitz, so the projected Hausdorff distance is a lower bound of
the full one (never larger than :func:`~tropical.metrics.hausdorff_bracket`'s ``upper``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tropical.budget import single_threaded
from tropical.metrics.polytope import hausdorff, iou
from tropical.metrics.support import _PointSet, convex_body
from tropical.polytope import Polytope
from tropical.zonotope import Zonotope, ZonotopeHull

__all__ = [
    "ProjectedPolygon",
    "principal_plane",
    "projected_hausdorff",
    "projected_iou",
    "projected_polygons",
]


@dataclass(frozen=True)
class ProjectedPolygon:
    """The exact projection of a convex body onto a plane.

    Attributes
    ----------
    hull : ndarray, shape (v, 2)
        Counter-clockwise vertices of the projected body (for a decision polytope: of ``conv(Z1 ∪ Z2)``).
    parts : tuple of ndarray, each (v_k, 2)
        Counter-clockwise vertices of the projected zonotopes (``Z1``, ``Z2``); empty for point sets.
    basis : ndarray, shape (2, d)
        The orthonormal rows the body was projected on (coordinates ``basis @ x``).
    """

    hull: np.ndarray
    parts: tuple
    basis: np.ndarray

    @property
    def polytope(self) -> Polytope:
        """``hull`` as a :class:`~tropical.polytope.Polytope`."""
        return Polytope(self.hull)


def _members(body):
    if isinstance(body, Zonotope):
        return (body,)
    if isinstance(body, ZonotopeHull):
        return body.zonotopes
    return ()


def principal_plane(reference, *, classes=(0, 1)) -> np.ndarray:
    """Orthonormal basis ``(2, d)`` of the plane of the reference body's two leading principal directions.

    Parameters
    ----------
    reference : torch.nn.Module, Zonotope, ZonotopeHull, Polytope or array_like (n, d)
        A model is read as its decision polytope (:func:`tropical.decision_hull`). For zonotopes the
        directions are the leading right singular vectors of the stacked generators; for point sets, of the
        centred points.
    classes : (int, int)
        Class pair of a model.

    Returns
    -------
    ndarray, shape (2, d)
        Orthonormal rows, signs fixed so that the largest entry of each row is positive.

    Examples
    --------
    >>> principal_plane(Zonotope([[0, 0, 3], [2, 0, 0], [0, 0.1, 0]]))
    array([[0., 0., 1.],
           [1., 0., 0.]])
    """
    body = convex_body(reference, classes=classes, name="reference")
    d = body.ambient_dimension
    if d < 2:
        raise ValueError(f"a plane needs at least 2 dimensions, the reference lives in R^{d}")
    members = _members(body)
    rows = np.vstack([Z.generators for Z in members]) if members else body.points - body.points.mean(axis=0)
    top, values = _leading_right_singular_vectors(rows)
    if len(values) == 0 or values[0] <= 0:
        return np.eye(d)[:2]
    basis = np.vstack([top[:1], top[1:2] if len(top) > 1 else np.zeros((1, d))])
    if len(values) < 2 or values[1] <= 1e-12 * values[0]:  # rank 1: complete with a coordinate axis
        axis = np.eye(d)[int(np.argmin(np.abs(basis[0])))]
        second = axis - (axis @ basis[0]) * basis[0]
        basis[1] = second / np.linalg.norm(second)
    flip = basis[np.arange(2), np.argmax(np.abs(basis), axis=1)] < 0
    basis[flip] *= -1
    return basis


def _leading_right_singular_vectors(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two leading right singular vectors (rows) and singular values of ``rows``, from the top of the
    smaller Gram matrix's spectrum (``scipy.linalg.eigh`` with ``subset_by_index``)."""
    from scipy.linalg import eigh

    n, d = rows.shape
    if n == 0:
        return np.zeros((0, d)), np.zeros(0)
    small = min(n, d)
    with single_threaded():
        gram = rows @ rows.T if n <= d else rows.T @ rows
        values, vectors = eigh(gram, subset_by_index=[max(small - 2, 0), small - 1])
    values, vectors = np.sqrt(np.maximum(values[::-1], 0.0)), vectors[:, ::-1]
    if n > d:
        return vectors.T, values
    keep = values > 0
    top = (rows.T @ vectors[:, keep] / values[keep]).T
    return top, values[keep]


def _basis(basis, d: int) -> np.ndarray:
    basis = np.asarray(basis, dtype=float)
    if basis.shape != (2, d):
        raise ValueError(f"basis must be a (2, {d}) array, got shape {basis.shape}")
    if not np.allclose(basis @ basis.T, np.eye(2), atol=1e-9):
        raise ValueError("basis must have orthonormal rows (use numpy.linalg.qr on your two directions)")
    return basis


def _project(body, basis: np.ndarray) -> ProjectedPolygon:
    members = _members(body)
    if members:
        parts = tuple(Z.projected(basis).vertices for Z in members)
        hull = Polytope(np.vstack(parts)).vertices if len(parts) > 1 else parts[0]
        return ProjectedPolygon(hull, parts, basis)
    points = body.points if isinstance(body, _PointSet) else body.vertices
    return ProjectedPolygon(Polytope(points @ basis.T).vertices, (), basis)


def projected_polygons(bodies, *, basis=None, classes=(0, 1)) -> list[ProjectedPolygon]:
    """Exact projections of several bodies (e.g. a dense net and its tickets) onto one plane.

    Parameters
    ----------
    bodies : sequence of torch.nn.Module, Zonotope, ZonotopeHull, Polytope or array_like (n, d)
        All in the same dimension; models are read as their decision polytopes for ``classes``.
    basis : array_like, shape (2, d), optional
        Orthonormal rows of the plane. Default: :func:`principal_plane` of ``bodies[0]`` (the reference).
    classes : (int, int)

    Returns
    -------
    list of ProjectedPolygon
        One per body, in order, all with the same ``basis``.

    Examples
    --------
    >>> cube, box = Zonotope(np.eye(3)), Zonotope(np.diag([2.0, 1.0, 5.0]))
    >>> [len(polygon.hull) for polygon in projected_polygons([cube, box])]
    [4, 4]
    """
    bodies = [convex_body(body, classes=classes, name=f"bodies[{k}]") for k, body in enumerate(bodies)]
    if not bodies:
        raise ValueError("bodies is empty")
    d = bodies[0].ambient_dimension
    for k, body in enumerate(bodies):
        if body.ambient_dimension != d:
            raise ValueError(f"bodies[{k}] lives in R^{body.ambient_dimension}, bodies[0] in R^{d}")
    basis = principal_plane(bodies[0]) if basis is None else _basis(basis, d)
    with single_threaded():
        return [_project(body, basis) for body in bodies]


def projected_hausdorff(A, B, *, basis=None, classes=(0, 1)) -> float:
    """Exact Hausdorff distance of the projections of ``A`` and ``B`` onto a plane (default: the principal
    plane of ``A``); a lower bound of the Hausdorff distance of ``A`` and ``B``.

    Examples
    --------
    >>> cube = Zonotope(np.eye(3))
    >>> projected_hausdorff(cube, cube.translated([3.0, 1.0, 4.0]), basis=[[1, 0, 0], [0, 0, 1]])
    5.0
    """
    P, Q = projected_polygons([A, B], basis=basis, classes=classes)
    return hausdorff(P.hull, Q.hull)


def projected_iou(A, B, *, basis=None, classes=(0, 1)) -> float:
    """Exact intersection over union of the projections of ``A`` and ``B`` onto a plane (default: the
    principal plane of ``A``), in ``[0, 1]``.

    Raises
    ------
    DegenerateGeometryError
        When both projections are flat (segments or points).
    """
    P, Q = projected_polygons([A, B], basis=basis, classes=classes)
    return iou(P.hull, Q.hull)
