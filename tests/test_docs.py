"""The tutorials in docs/ run as written: each file's Python examples, in order, in one
namespace, in a fresh temporary working directory.

As for the README (tests/test_readme.py): blocks fenced as ``python`` run; blocks fenced
as ``py`` or ``sh`` are only shown. The ``assert`` statements in the blocks check the
claims the text makes, so a tutorial that no longer matches the code fails here.
"""

import re
import traceback
import warnings
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
TUTORIALS = [
    "01-logistic-regression-images.md",
    "02-softmax-vs-one-vs-all.md",
    "03-multilabel.md",
    "04-numpy-to-pytorch.md",
]
NEEDS_TORCH = {"04-numpy-to-pytorch.md"}

_PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def python_blocks(path):
    """The ``python`` fenced blocks of a Markdown file, in order."""
    return _PYTHON_BLOCK.findall(path.read_text(encoding="utf-8"))


def _first_line(code):
    return next((line.strip() for line in code.splitlines() if line.strip()), "<empty>")


def _failing_line(exc, filename, code):
    """'line N: source' of the block's own line where ``exc`` was raised, or ''."""
    lineno = None
    for frame, line in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename == filename:
            lineno = line
    if lineno is None:
        return ""
    return f" at line {lineno}: {code.splitlines()[lineno - 1].strip()!r}"


@pytest.mark.parametrize("name", TUTORIALS)
def test_tutorial_runs(name, tmp_path, monkeypatch):
    path = DOCS / name
    assert path.is_file(), f"{path} is missing"
    if name in NEEDS_TORCH:
        pytest.importorskip("torch", reason=f"{name} needs PyTorch (pip install 'logitlab[torch]')")
    blocks = python_blocks(path)
    assert len(blocks) >= 3, f"{name}: expected at least 3 ```python blocks, found {len(blocks)}"
    monkeypatch.chdir(tmp_path)  # whatever a tutorial writes lands in a fresh folder
    namespace = {"__name__": f"docs.{path.stem}"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a tutorial's example should not warn either
        for i, code in enumerate(blocks, 1):
            filename = f"{path}:block{i}"
            try:
                exec(compile(code, filename, "exec"), namespace)
            except Exception as exc:
                pytest.fail(
                    f"{name}, python block {i} (starting {_first_line(code)!r}) "
                    f"raised {type(exc).__name__}{_failing_line(exc, filename, code)}"
                    f": {exc}"
                )


def test_index_links_every_tutorial():
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#\s]+)", index)
    for name in TUTORIALS:
        assert name in links, f"docs/README.md does not link {name}"
    # ... in the order they are meant to be read
    positions = [links.index(name) for name in TUTORIALS]
    assert positions == sorted(positions), "docs/README.md lists the tutorials out of order"
    # every tutorial file in docs/ is one the tests know about
    on_disk = sorted(p.name for p in DOCS.glob("[0-9][0-9]-*.md"))
    assert on_disk == sorted(TUTORIALS), f"docs/ holds {on_disk}; update TUTORIALS"
