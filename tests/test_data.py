"""Loaders: image folders."""

import numpy as np
import pytest
from PIL import Image

from logitlab.data import load_image_folder


def _folder(tmp_path, classes=("cat", "dog"), n=2, size=(12, 9)):
    for k, name in enumerate(classes):
        (tmp_path / name).mkdir()
        for i in range(n):
            Image.new("RGB", size, (80 * k, 10 * i, 200)).save(tmp_path / name / f"{i}.png")
    return tmp_path


def test_unrolled_layout_and_scaling(tmp_path):
    _folder(tmp_path)
    X, y, names = load_image_folder(tmp_path, size=5)
    assert X.shape == (4, 5 * 5 * 3) and names == ["cat", "dog"]
    np.testing.assert_array_equal(y, [0, 0, 1, 1])
    assert X.min() >= 0 and X.max() <= 1
    # row-major (H, W, C): the first three features are the top-left pixel's R, G, B
    np.testing.assert_allclose(X[3, :3], np.array([80, 10, 200]) / 255)
    gray, _, _ = load_image_folder(tmp_path, size=5, color="grayscale")
    assert gray.shape == (4, 25)


def test_loader_errors_name_the_problem(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_image_folder(tmp_path / "missing")
    with pytest.raises(ValueError, match="no sub-folders"):
        load_image_folder(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="empty.*holds no image files"):
        load_image_folder(tmp_path)
    (tmp_path / "empty" / "broken.jpg").write_bytes(b"not a jpeg at all")
    with pytest.raises(ValueError, match="broken.jpg"):
        load_image_folder(tmp_path)


def test_sign_language_digits(shared_data):
    X, y, names = load_image_folder(shared_data / "sign-language-digits")
    assert X.shape == (2062, 12288)
    assert names == [str(d) for d in range(10)]
    assert np.bincount(y).min() >= 200
