"""Base of the package's small read-only records (graph nodes, linear ops, affine layers).

Plain classes with ``__slots__`` and an explicit ``__init__`` instead of ``@dataclass(frozen=True)``: creating
a dataclass costs about 1 ms at import, which was most of the time to the first answer on small networks
(issue 13). A record behaves like the frozen dataclass it replaces: its fields are set once in ``__init__``
(``object.__setattr__``), assigning or deleting one raises ``AttributeError``, ``repr`` lists the fields,
and it pickles and copies through its constructor.
"""

from __future__ import annotations

__all__ = ["Record"]


class Record:
    """Read-only fields named by the subclass's ``_fields`` (in constructor order; also its ``__slots__``).

    >>> class Point(Record):
    ...     _fields = ("x", "y")
    ...     __slots__ = _fields
    ...     def __init__(self, x, y):
    ...         object.__setattr__(self, "x", x)
    ...         object.__setattr__(self, "y", y)
    >>> point = Point(1, 2)
    >>> point
    Point(x=1, y=2)
    >>> point.x = 3
    Traceback (most recent call last):
    ...
    AttributeError: cannot assign to field 'x' of Point: it is read-only
    """

    _fields: tuple[str, ...] = ()
    __slots__ = ()

    def __setattr__(self, name, value):
        raise AttributeError(f"cannot assign to field {name!r} of {type(self).__name__}: it is read-only")

    def __delattr__(self, name):
        raise AttributeError(f"cannot delete field {name!r} of {type(self).__name__}: it is read-only")

    def _values(self) -> tuple:
        return tuple(getattr(self, name) for name in type(self)._fields)

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in type(self)._fields)
        return f"{type(self).__qualname__}({fields})"

    def __reduce__(self):
        return type(self), self._values()
