"""The inputs of the body metrics (private): "a model, a body or points", read one way with one message.

:mod:`tropical.metrics.polytope` (exact metrics on vertices) and :mod:`tropical.metrics.support` (support
functions) both take a one-hidden-layer classifier, a :class:`~tropical.polytope.Polytope`, a
:class:`~tropical.zonotope.Zonotope`, a :class:`~tropical.zonotope.ZonotopeHull` or an ``(n, d)`` array of
points; :func:`body_or_points` reads all of them, and each module then makes what it needs of the result.
"""

from __future__ import annotations

import numpy as np

from tropical._validation import float_array
from tropical.polytope import Polytope
from tropical.zonotope import Zonotope, ZonotopeHull

#: What the body metrics accept, in every message about a wrong input.
ACCEPTED = (
    "a one-hidden-layer classifier (torch.nn.Module), a Polytope, a Zonotope, a ZonotopeHull or an (n, d) "
    "array of points"
)


def is_model(value) -> bool:
    """Whether ``value`` is a torch module (duck-typed: torch is not imported for arrays and bodies)."""
    return hasattr(value, "named_modules") and callable(value.named_modules)


def body_or_points(value, name: str, *, classes=(0, 1)):
    """A body as given, a model's decision polytope, or points as a float64 array of shape (n, d).

    Parameters
    ----------
    value
        Anything in :data:`ACCEPTED`. A model is read as :func:`tropical.decision_hull` ``(model, classes)``.
    name : str
        The argument's name in error messages.
    classes : (int, int)
        The class pair of a model's decision polytope.

    Returns
    -------
    Polytope, Zonotope, ZonotopeHull or ndarray of shape (n, d), n >= 1, d >= 1
        Bodies unchanged (a model's as a ZonotopeHull); anything else as finite points.

    Raises
    ------
    UnsupportedLayerError
        A model that is not ``Linear -> ReLU/LeakyReLU/PReLU -> Linear``; the message says how to pass a
        deeper one.
    TypeError
        Neither a body nor an ``(n, d)`` array of numbers (one message, naming what is accepted).
    ValueError
        Points with NaN or infinite coordinates.
    """
    if isinstance(value, Polytope | Zonotope | ZonotopeHull):
        return value
    if is_model(value):
        from tropical.decision import decision_hull
        from tropical.errors import UnsupportedLayerError

        try:
            return decision_hull(value, classes)
        except UnsupportedLayerError as error:
            try:  # advise rest='linear' only where it works (not for max-pooling or residual connections)
                decision_hull(value, classes, rest="linear")
            except (UnsupportedLayerError, ValueError):
                raise UnsupportedLayerError(f"{name}: {error}") from None
            raise UnsupportedLayerError(
                f"{name}: {error} Here, pass tropical.decision_hull(model, classes, rest='linear') in place "
                "of a deeper model (this function takes bodies, not a rest= option)."
            ) from None
        except ValueError as error:
            if "input_shape" not in str(error):
                raise
            raise ValueError(
                f"{name}: {error}. This function takes bodies, not an input_shape= option: pass "
                "tropical.decision_hull(model, classes, input_shape=...) in place of the model."
            ) from None
    try:
        points = np.asarray(value.detach().cpu().numpy() if hasattr(value, "detach") else value, dtype=float)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be {ACCEPTED}, got {type(value).__name__}: {error}") from None
    if points.ndim != 2 or 0 in points.shape:
        raise TypeError(f"{name} must be {ACCEPTED}; as points it has shape {points.shape}, not (n, d)")
    return float_array(points, name)
