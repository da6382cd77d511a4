"""Deprecated module name: the tropical curves live in :mod:`tropical.curve`.

``from tropical.subdivision import TropicalCurve`` (and the other names of :mod:`tropical.curve`) still works
for one release, with a ``DeprecationWarning``.
"""

from __future__ import annotations

import warnings

_NAMES = ("TropicalCurve", "clip_to_box", "curve_from_cell_edges", "tropical_curve")


def __getattr__(name: str):
    if name in _NAMES:
        warnings.warn(
            f"tropical.subdivision is renamed tropical.curve; import {name} from tropical.curve",
            DeprecationWarning,
            stacklevel=2,
        )
        from tropical import curve

        return getattr(curve, name)
    raise AttributeError(f"module 'tropical.subdivision' has no attribute {name!r}")
