"""Every mode Pillow hands over becomes the documented [0, 1] values; only JPEG, PNG,
BMP and GIF are decoded; decompression bombs are refused with one line."""

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import EpsImagePlugin, Image

from logitlab.data import DataError, ImageFiles, load_image_folder, load_source
from logitlab.data.images import read_image, to_8bit


def luma(rgb):
    """Pillow's convert("L") of 8-bit RGB: ITU-R 601-2 luma in fixed point."""
    r, g, b = np.moveaxis(np.asarray(rgb, dtype=np.int64), -1, 0)
    return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16


def decoded(file, size):
    """(rgb, grey) of ``file`` read at ``size`` (its own size: no resampling), as 0..255."""
    rgb = ImageFiles([file], size, "rgb")[0].reshape(size, size, 3) * 255
    grey = ImageFiles([file], size, "grayscale")[0].reshape(size, size) * 255
    return rgb, grey


def check(file, size, rgb_expected, grey_expected=None, atol=1e-9):
    rgb, grey = decoded(file, size)
    rgb_expected = np.asarray(rgb_expected, dtype=np.float64)
    if grey_expected is None:
        grey_expected = luma(rgb_expected)
    np.testing.assert_allclose(rgb, rgb_expected, atol=atol)
    np.testing.assert_allclose(grey, grey_expected, atol=atol)


COLOURS = np.array([[[255, 0, 0], [0, 128, 0]], [[10, 20, 250], [200, 200, 30]]], np.uint8)


def test_rgb_png_and_bmp(tmp_path):
    for fmt in ("PNG", "BMP"):
        file = tmp_path / f"c.{fmt.lower()}"
        Image.fromarray(COLOURS).save(file)
        with Image.open(file) as im:
            assert im.mode == "RGB"
        check(file, 2, COLOURS)


def test_grey_l(tmp_path):
    grey = np.array([[0, 77], [200, 255]], np.uint8)
    file = tmp_path / "l.png"
    Image.fromarray(grey).save(file)
    check(file, 2, np.repeat(grey[..., None], 3, axis=2), grey)


def test_one_bit(tmp_path):
    bits = np.array([[0, 1], [1, 0]], bool)
    for fmt in ("PNG", "BMP"):
        file = tmp_path / f"b.{fmt.lower()}"
        Image.fromarray(bits).save(file)
        with Image.open(file) as im:
            assert im.mode == "1"
        check(file, 2, np.repeat(bits[..., None] * 255, 3, axis=2), bits * 255)


def test_la_alpha_is_dropped(tmp_path):
    grey = np.array([[0, 77], [200, 255]], np.uint8)
    alpha = np.array([[255, 0], [128, 10]], np.uint8)
    file = tmp_path / "la.png"
    Image.fromarray(np.stack([grey, alpha], axis=-1), "LA").save(file)
    with Image.open(file) as im:
        assert im.mode == "LA"
    check(file, 2, np.repeat(grey[..., None], 3, axis=2), grey)


def test_rgba_alpha_is_dropped(tmp_path):
    alpha = np.array([[0, 255], [128, 1]], np.uint8)  # fully transparent pixel included
    file = tmp_path / "rgba.png"
    Image.fromarray(np.dstack([COLOURS, alpha]), "RGBA").save(file)
    with Image.open(file) as im:
        assert im.mode == "RGBA"
    check(file, 2, COLOURS)  # the colours stored, not composited over a background


def _palette_image():
    palette = [255, 0, 0, 0, 0, 255, 10, 200, 30] + [0] * (768 - 9)
    im = Image.fromarray(np.array([[0, 1], [2, 1]], np.uint8), "P")
    im.putpalette(palette)
    expected = np.array([[[255, 0, 0], [0, 0, 255]], [[10, 200, 30], [0, 0, 255]]])
    return im, expected


@pytest.mark.parametrize("fmt", ["PNG", "BMP", "GIF"])
def test_palette_is_expanded(tmp_path, fmt):
    im, expected = _palette_image()
    file = tmp_path / f"p.{fmt.lower()}"
    im.save(file)
    with Image.open(file) as back:
        assert back.mode == "P" and "transparency" not in back.info
    check(file, 2, expected)


@pytest.mark.parametrize("fmt", ["PNG", "GIF"])
def test_palette_transparency_is_dropped(tmp_path, fmt):
    im, expected = _palette_image()
    file = tmp_path / f"pt.{fmt.lower()}"
    im.save(file, transparency=1)  # index 1 (blue) is transparent
    with Image.open(file) as back:
        assert back.mode == "P" and back.info["transparency"] == 1
    check(file, 2, expected)  # the transparent pixels keep their palette colour


def test_cmyk_jpeg(tmp_path):
    cmyk = (100, 50, 200, 30)
    file = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (8, 8), cmyk).save(file, quality=100)
    with Image.open(file) as im:
        assert im.mode == "CMYK"
    rgb = [round((255 - v) * (255 - cmyk[3]) / 255) for v in cmyk[:3]]  # (137, 181, 49)
    expected = np.broadcast_to(np.array(rgb, float), (8, 8, 3))
    check(file, 8, expected, luma(expected.astype(np.uint8)), atol=2)  # JPEG is lossy


def test_sixteen_bit_grey_png_is_scaled_not_clipped(tmp_path):
    values = np.array([[0, 300], [32896, 65535]], np.uint16)
    file = tmp_path / "g16.png"
    Image.fromarray(values).save(file)
    with Image.open(file) as im:
        assert im.mode == "I;16"
    eight = np.array([[0, 1], [128, 255]])  # round(v / 257); Pillow's convert("L") gave 255s
    check(file, 2, np.repeat(eight[..., None], 3, axis=2), eight)
    X, _, _ = load_image_folder(_folder_with(tmp_path / "folder", file), size=2, color="grayscale")
    np.testing.assert_allclose(X[0], eight.reshape(-1) / 255)
    np.testing.assert_allclose(X[0], values.reshape(-1) / 65535, atol=0.5 / 255)


def _chunk(kind, data):
    """A PNG chunk: length, kind, data, CRC."""
    crc = struct.pack(">I", zlib.crc32(kind + data))
    return struct.pack(">I", len(data)) + kind + data + crc


def _png(width, height, bit_depth, colour_type, raw):
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    idat = _chunk(b"IDAT", zlib.compress(raw))
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + idat + _chunk(b"IEND", b"")


def _png16_rgb(values):
    """A 16-bit RGB PNG, written by hand (Pillow cannot write one)."""
    h, w, _ = values.shape
    raw = b"".join(b"\0" + values[r].astype(">u2").tobytes() for r in range(h))
    return _png(w, h, 16, 2, raw)


def test_sixteen_bit_colour_png_keeps_the_high_byte(tmp_path):
    values = np.array([[[0, 300, 65535], [32768, 65280, 255]]] * 2, np.uint16)
    file = tmp_path / "c16.png"
    file.write_bytes(_png16_rgb(values))
    rgb, _ = decoded(file, 2)
    np.testing.assert_array_equal(rgb, values // 256)  # as documented: Pillow's reading


@pytest.mark.parametrize("mode", ["I", "F"])
def test_wide_grey_modes_follow_the_sixteen_bit_rule(mode):
    # these formats never give "I" or "F" today; the rule is tested on the image itself
    values = np.array([[-5, 0, 300], [32896, 65535, 70000]])
    dtype = np.int32 if mode == "I" else np.float32
    im = Image.fromarray(values.astype(dtype))
    assert im.mode == mode
    expected = np.array([[0, 0, 1], [128, 255, 255]], np.uint8)  # clipped, then round(v/257)
    np.testing.assert_array_equal(np.asarray(to_8bit(im, "L")), expected)
    np.testing.assert_array_equal(np.asarray(to_8bit(im, "RGB"))[..., 1], expected)
    nan = Image.fromarray(np.array([[np.nan, 257.0]], np.float32))
    np.testing.assert_array_equal(np.asarray(to_8bit(nan, "L")), [[0, 1]])


def _folder_with(root, file):
    (root / "a").mkdir(parents=True)
    (root / "a" / file.name).write_bytes(file.read_bytes())
    return root


# --------------------------------------------------------------------------- formats


def test_postscript_named_png_is_refused_before_ghostscript(tmp_path, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("the EPS decoder was reached")

    monkeypatch.setattr(EpsImagePlugin.EpsImageFile, "_open", never)
    file = tmp_path / "cat.png"
    file.write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n")
    with pytest.raises(DataError) as err:
        read_image(file, 4, "RGB")
    assert (
        str(err.value) == f"cannot read image file {str(file)!r}: not a JPEG, PNG, BMP or GIF image"
    )
    root = _folder_with(tmp_path / "folder", file)
    with pytest.raises(DataError, match=r"cat.png.*not a JPEG, PNG, BMP or GIF image"):
        load_source(root, size=4)


def test_tiff_named_png_is_refused(tmp_path):
    buf = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buf, "TIFF")
    file = tmp_path / "photo.png"
    file.write_bytes(buf.getvalue())
    with pytest.raises(DataError, match=r"photo.png'?: not a JPEG, PNG, BMP or GIF image"):
        ImageFiles([file], 4)[0]


def test_decompression_bomb_header_is_refused(tmp_path):
    # a PNG whose header claims 100000 x 100000 pixels: refused at open, nothing decoded
    file = tmp_path / "bomb.png"
    file.write_bytes(_png(100_000, 100_000, 8, 2, b""))
    with pytest.raises(DataError, match=r"bomb.png'?: too large to decode safely.*10000000000"):
        read_image(file, 4, "RGB")


# the suite makes RuntimeWarnings errors (pyproject.toml): ignore this one here, so
# that only read_image's own filter can turn it into the error checked
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_decompression_bomb_warning_is_an_error(tmp_path, monkeypatch):
    file = tmp_path / "big.png"
    Image.new("RGB", (64, 64)).save(file)  # 4096 pixels
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 3000)  # Pillow warns up to 6000
    with pytest.raises(DataError, match=r"big.png'?: too large to decode safely"):
        read_image(file, 4, "RGB")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # Pillow's own error beyond 2000
    with pytest.raises(DataError, match=r"big.png'?: too large to decode safely"):
        read_image(file, 4, "RGB")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 5000)
    assert read_image(file, 4, "RGB").shape == (4, 4, 3)
