"""Titles and legends that fit their figure: measured on the figure's renderer, not guessed from lengths."""

from __future__ import annotations

import math
import textwrap

#: Fraction of the figure's width a title or a legend may take (the rest is margin).
_USABLE = 0.96


def fitted_suptitle(figure, text: str, **options):
    """``figure.suptitle(text, **options)``, wrapped at spaces until it is no wider than the figure.

    A title one line long stays one line; a longer one is split into lines of about equal length (the
    line length estimated from the measured width, then shortened until the drawn title fits).
    """
    title = figure.suptitle(text, **options)
    usable = _USABLE * figure.bbox.width
    width = title.get_window_extent().width
    longest = max(len(line) for line in text.split("\n"))
    per_line = math.ceil(longest / math.ceil(width / usable))  # lines of about equal length
    while width > usable and per_line > 10:
        wrapped = [textwrap.fill(line, per_line, break_long_words=False) for line in text.split("\n")]
        title.set_text("\n".join(wrapped))
        width = title.get_window_extent().width
        per_line = int(0.9 * per_line)
    return title


def fitted_legend(figure, handles, labels, **options):
    """``figure.legend`` in the most columns (one row when all fit) that keep it within the figure's width."""
    for ncol in range(len(labels), 0, -1):
        legend = figure.legend(handles, labels, ncol=ncol, **options)
        if ncol == 1 or legend.get_window_extent().width <= _USABLE * figure.bbox.width:
            return legend
        legend.remove()
