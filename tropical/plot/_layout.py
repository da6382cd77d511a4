"""Titles and legends that fit their figure: measured on the figure's renderer, not guessed from lengths."""

from __future__ import annotations

import math
import textwrap

#: Fraction of the figure's width a title or a legend may take (the rest is margin).
_USABLE = 0.96


def fitted_suptitle(figure, text: str, **options):
    """``figure.suptitle(text, **options)``, wrapped at spaces into the fewest lines that fit the figure.

    A title that fits stays as it is; a longer one is split into lines of about equal length, one more line
    at a time until the drawn title is no wider than the figure.
    """
    title = figure.suptitle(text, **options)
    usable = _USABLE * figure.bbox.width
    given = text.split("\n")
    longest = max(given, key=len)
    width = title.get_window_extent().width
    for count in range(2, len(longest.split()) + 1):
        if width <= usable:
            break
        per_line = math.ceil(len(longest) / count)
        while len(textwrap.wrap(longest, per_line, break_long_words=False)) > count:
            per_line += 1
        title.set_text("\n".join(textwrap.fill(line, per_line, break_long_words=False) for line in given))
        width = title.get_window_extent().width
    return title


def fitted_legend(figure, handles, labels, **options):
    """``figure.legend`` in the most columns (one row when all fit) that keep it within the figure's width."""
    for ncol in range(len(labels), 0, -1):
        legend = figure.legend(handles, labels, ncol=ncol, **options)
        if ncol == 1 or legend.get_window_extent().width <= _USABLE * figure.bbox.width:
            return legend
        legend.remove()
