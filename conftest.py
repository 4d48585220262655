"""Collection rules for the whole repository (tests/ and the doctests in src/)."""

import pytest


def _importable(*names):
    try:
        for name in names:
            __import__(name)
    except ImportError:
        return False
    return True


HAVE_ONNX = _importable("onnx", "onnxruntime")


def pytest_collection_modifyitems(config, items):
    """The ONNX export's doctests need the optional onnx and onnxruntime packages."""
    if HAVE_ONNX:
        return
    skip = pytest.mark.skip(reason="onnx/onnxruntime not installed: pip install onnx onnxruntime")
    for item in items:
        if item.nodeid.startswith("src/logitlab/export.py"):
            item.add_marker(skip)
