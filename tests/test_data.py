"""Loaders: image folders."""

import numpy as np
import pytest
from PIL import Image

from logitlab.data import load_image_folder, shift_augment


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


def test_shift_augment_moves_every_image_by_every_shift():
    rng = np.random.default_rng(0)
    H, W, C, m, r = 5, 4, 3, 6, 2
    imgs = rng.random((m, H, W, C))
    out = shift_augment(imgs.reshape(m, -1), (H, W, C), r)
    assert out.shape == ((2 * r + 1) ** 2 * m, H * W * C)
    k = 0
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            block = out[k * m : (k + 1) * m].reshape(m, H, W, C)
            for i in range(H):
                for j in range(W):
                    # edge pixels repeat: the source index is clipped into the image
                    si, sj = min(max(i - dy, 0), H - 1), min(max(j - dx, 0), W - 1)
                    np.testing.assert_array_equal(block[:, i, j], imgs[:, si, sj])
            k += 1
    # the unshifted copy is the middle block
    middle = (2 * r + 1) ** 2 // 2
    np.testing.assert_array_equal(out[middle * m : (middle + 1) * m], imgs.reshape(m, -1))
    np.testing.assert_array_equal(
        shift_augment(imgs.reshape(m, -1), (H, W, C), 0), imgs.reshape(m, -1)
    )


def test_shift_augment_rejects_bad_shapes_and_radii():
    with pytest.raises(ValueError, match=r"shape \(2, 10\).*4x4x1"):
        shift_augment(np.zeros((2, 10)), (4, 4, 1), 1)
    with pytest.raises(ValueError, match="radius"):
        shift_augment(np.zeros((2, 16)), (4, 4, 1), -1)
