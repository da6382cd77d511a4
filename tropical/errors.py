"""Project exceptions.

Bad arguments raise the built-in ``ValueError`` or ``TypeError`` with a message naming the argument.
Three situations get their own classes so that callers can catch them specifically; all three derive from
:class:`TropicalError` (catch it for "anything the tropical package itself refused") and from the built-in
exception they used to be, so ``except ValueError`` keeps working:

- :class:`UnsupportedLayerError` -- a network contains a layer that has no tropical (max-plus) form;
- :class:`DegenerateGeometryError` -- a geometric computation is undefined for the given input
  (for example the volume ratio of two polytopes of which one has zero volume);
- :class:`ComputationTooLargeError` -- a computation would be too large to finish or to fit in memory;
  the message carries an estimate of the size and names the keyword that controls the limit.
"""

__all__ = ["ComputationTooLargeError", "DegenerateGeometryError", "TropicalError", "UnsupportedLayerError"]


class TropicalError(Exception):
    """Base class of the exceptions raised by the tropical package itself."""


class UnsupportedLayerError(TropicalError, TypeError):
    """A module of a network has no exact tropical counterpart (e.g. ``Tanh``, ``Conv2d``)."""


class DegenerateGeometryError(TropicalError, ValueError):
    """A geometric quantity is undefined for a degenerate input."""


class ComputationTooLargeError(TropicalError, RuntimeError):
    """A computation would exceed a size limit.

    Attributes
    ----------
    estimate : float
        Estimated size (number of monomials, vertices, regions...) of the result.
    limit : float
        The limit that was exceeded.
    """

    def __init__(self, message: str, *, estimate: float, limit: float):
        super().__init__(message)
        self.estimate = estimate
        self.limit = limit
