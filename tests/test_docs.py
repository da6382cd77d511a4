"""Every ```python block of docs/*.md runs as written, in a fresh namespace per page.

A page reads like a notebook: its blocks run in order in one namespace, so a later block may continue an
earlier one (it says so in a comment), and the first block imports what it uses. Conventions, as HTML
comments in the page (invisible when rendered):

- ``<!-- docs-test: skip REASON -->`` on the line just before a block: the block is not run (for a sketch
  that needs a cluster or large downloads; the reason is shown by pytest).
- ``<!-- docs-test: slow -->`` anywhere in a page: the page runs in the slow tier (more than a few seconds).

Each page runs in a temporary working directory with matplotlib's Agg backend; its figures are closed after.
"""

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
BLOCK = re.compile(r"(?:<!-- docs-test: skip (?P<skip>[^>]*?) -->\n)?```python\n(?P<code>.*?)```", re.S)

#: Pages of other owners whose blocks are fragments, with what makes them runnable. strict xfail: once a
#: page runs, its entry here must go.
NOT_YET_RUNNABLE: dict[str, str] = {}


def _blocks(page: Path) -> list[tuple[int, str | None, str]]:
    """(line, skip reason or None, code) of every ```python block of ``page``."""
    text = page.read_text()
    return [
        (text[: m.start("code")].count("\n"), m.group("skip"), m.group("code")) for m in BLOCK.finditer(text)
    ]


def _pages() -> list:
    params = []
    for page in sorted(DOCS.glob("*.md")):
        if not _blocks(page):
            continue
        marks = []
        if "<!-- docs-test: slow -->" in page.read_text():
            marks.append(pytest.mark.slow)
        if page.name in NOT_YET_RUNNABLE:
            marks.append(pytest.mark.xfail(reason=NOT_YET_RUNNABLE[page.name], strict=True))
        params.append(pytest.param(page, marks=marks, id=page.stem))
    return params


@pytest.mark.parametrize("page", _pages())
def test_python_blocks_of_a_docs_page_run(page, tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": f"docs_{page.stem}"}
    try:
        for line, skip, code in _blocks(page):
            if skip is not None:
                continue
            exec(compile("\n" * line + code, str(page), "exec"), namespace)
    finally:
        plt.close("all")


def test_the_skip_and_slow_conventions_are_read():
    text = "a\n<!-- docs-test: skip needs a cluster -->\n```python\nx = 1\n```\n```python\ny = 2\n```\n"
    found = [(m.group("skip"), m.group("code")) for m in BLOCK.finditer(text)]
    assert found == [("needs a cluster", "x = 1\n"), (None, "y = 2\n")]
