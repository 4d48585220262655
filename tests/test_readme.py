"""The README's Python examples run as written, in order, in one namespace.

Blocks fenced as ``python`` run; blocks fenced as ``py`` show code that needs the
reader's own files (a photo folder, an HDF5 file) and are only shown.
"""

import re
import warnings
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_examples_run_without_warnings(tmp_path, monkeypatch):
    assert len(BLOCKS) >= 4
    monkeypatch.chdir(tmp_path)  # the examples write model files
    namespace = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a first example should not warn
        for i, code in enumerate(BLOCKS):
            exec(compile(code, f"{README}:block{i}", "exec"), namespace)
    assert (tmp_path / "digits.safetensors").exists()
