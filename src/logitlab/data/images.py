"""Image folders (one sub-folder per class) as a feature matrix in scikit-learn's layout.

Pixel values
------------
Every image becomes 8-bit RGB (or 8-bit grey), then ``value / 255`` in [0, 1]. Only
JPEG, PNG, BMP and GIF files are decoded (`IMAGE_FORMATS`; a file of another format
is refused whatever its name), and Pillow's decompression-bomb limit stands. What
each mode Pillow hands over becomes:

- ``"RGB"``, ``"L"`` (grey): as stored;
- ``"1"`` (1 bit): black 0, white 1;
- ``"RGBA"``, ``"LA"`` (with alpha): the alpha channel is **dropped**; a transparent
  pixel keeps the colour stored under it (no compositing over a background);
- ``"P"`` (palette, as in GIF and some PNG and BMP files): each index is replaced by
  its palette colour; palette transparency is dropped like alpha;
- ``"CMYK"`` (JPEG): Pillow's conversion, ``R = round((255 − C)(255 − K) / 255)``
  (likewise G from M, B from Y), without colour management;
- ``"I;16"`` (16-bit grey PNG): ``v -> round(v / 257)`` on 8 bits, so ``v / 65535``
  to within half an 8-bit step (Pillow's own conversion would clip every value above
  255 to white); ``"I"`` and ``"F"`` (32-bit grey, which these formats do not give
  today) follow the same rule after clipping to [0, 65535];
- 16-bit colour PNGs are read by Pillow as 8-bit ``"RGB"``/``"RGBA"`` already,
  keeping the high byte of each value (``v // 256``).

Grayscale (``color="grayscale"``) is the ITU-R 601-2 luma of the RGB image
(Pillow's ``convert("L")``: ``L = 0.299 R + 0.587 G + 0.114 B``); grey modes are
not converted through RGB (the result is the same).
"""

from __future__ import annotations

import os
import struct
import warnings
from collections.abc import Sequence
from numbers import Integral
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import DataError, check_path
from .lazy import LazyRows

__all__ = [
    "IMAGE_EXTENSIONS",
    "IMAGE_FORMATS",
    "ImageFiles",
    "check_size_color",
    "list_image_folder",
    "load_image_folder",
    "read_image",
    "shift_augment",
    "to_8bit",
]

#: File name extensions read as images (compared case-insensitively).
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif")

#: The image formats decoded, as Pillow names them; no other decoder is tried, so a
#: PostScript file named ``.png`` never reaches Ghostscript.
IMAGE_FORMATS = ("JPEG", "PNG", "BMP", "GIF")

# color argument -> (Pillow mode, channels)
_COLORS = {"rgb": ("RGB", 3), "grayscale": ("L", 1)}

# grey modes wider than 8 bits, scaled from the 16-bit range by to_8bit
_WIDE_GREY = ("I;16", "I;16L", "I;16B", "I;16N", "I", "F")

# What Pillow's decoders raise for a malformed file, beyond OSError (which covers
# UnidentifiedImageError and "image file is truncated"): SyntaxError for broken
# PNG chunks, struct.error for short headers, and others for inconsistent fields.
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    ZeroDivisionError,
    struct.error,
)


def load_image_folder(path, size=64, color="rgb", classes=None):
    """Read a folder of images, one sub-folder per class, as an (n_images, n_x) array.

    The class of an image is the name of the sub-folder it lies in (``path/cat/1.jpg``
    is of class ``"cat"``). Each image is decoded with Pillow, turned upright by its
    EXIF orientation tag, converted to 8-bit RGB (or grayscale) by the rules of the
    module's *Pixel values* (alpha dropped, palettes expanded, 16-bit grey scaled
    rather than clipped), resized to ``size × size`` with Lanczos resampling (the
    aspect ratio is not kept; an image of that size already is not resampled), then
    unrolled row-major over (height, width, channel), the notes'
    ``image.reshape(-1)``, and scaled to [0, 1] by dividing by 255.

    Parameters
    ----------
    path : str or os.PathLike
        The folder holding one sub-folder per class. Sub-folders and files whose name
        starts with ``.`` are skipped, and so are files of other types and folders
        nested deeper than one level.
    size : int, default=64
        Side of the square images, in pixels.
    color : {"rgb", "grayscale"}, default="rgb"
        ``"rgb"`` gives 3 channels (an alpha channel is dropped, a palette expanded);
        ``"grayscale"`` gives 1 (Pillow's ``convert("L")``: ITU-R 601-2 luma).
    classes : sequence of str, optional
        The sub-folders to read, in this order: class ``k`` is ``classes[k]``. By
        default every sub-folder, sorted by name.

    Returns
    -------
    X : ndarray of shape (n_images, size * size * channels), float64
        One image per row, values in [0, 1]; feature ``(r * size + c) * channels + k``
        is channel ``k`` of the pixel at row ``r``, column ``c``.
    y : ndarray of shape (n_images,), int
        Index of each image's class in ``class_names``.
    class_names : list of str
        The class (sub-folder) names.

    Raises
    ------
    FileNotFoundError
        If ``path``, or a sub-folder named in ``classes``, does not exist.
    ValueError
        If ``path`` is not a folder or has no sub-folders, if a class folder holds no
        image files, or if an image cannot be decoded, is not a JPEG, PNG, BMP or GIF
        file, or is larger than Pillow's decompression-bomb limit (a `DataError`
        naming the file).

    Notes
    -----
    Images are read class by class, each class's files sorted by name, so the rows come
    in the same order on every run and every machine. Extensions read:
    ``.jpg``, ``.jpeg``, ``.png``, ``.bmp``, ``.gif`` (first frame), in any case.
    A JPEG more than twice as large as ``size`` is decoded by libjpeg at a reduced
    scale (``Image.draft``) that stays at least ``2 * size`` pixels on each side before
    the Lanczos resize: much faster for camera photos, and no visible difference.

    Examples
    --------
    A tiny folder: two red images of class ``cat``, two blue ones of class ``dog``.

    >>> import tempfile
    >>> from pathlib import Path
    >>> from PIL import Image
    >>> from logitlab.data import load_image_folder
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     for name, rgb in [("cat", (255, 0, 0)), ("dog", (0, 0, 255))]:
    ...         (Path(tmp) / name).mkdir()
    ...         for k in range(2):
    ...             Image.new("RGB", (10, 8), rgb).save(Path(tmp) / name / f"{k}.png")
    ...     X, y, class_names = load_image_folder(tmp, size=4)
    >>> X.shape, X.dtype, y, class_names
    ((4, 48), dtype('float64'), array([0, 0, 1, 1]), ['cat', 'dog'])
    >>> X[0, :3], X[3, :3]  # R, G, B of the top-left pixel
    (array([1., 0., 0.]), array([0., 0., 1.]))
    """
    check_size_color(size, color)  # a bad size or colour fails before the listing
    files, y, class_names = list_image_folder(path, classes)
    return ImageFiles(files, size, color)[:], y, class_names


def list_image_folder(path, classes=None):
    """List the image files of an image folder (one sub-folder per class), unread.

    The scan behind `load_image_folder`, for loaders that decode one image at a time:
    the same files, in the same order, with the same classes, and the same checks.

    Parameters
    ----------
    path : str or os.PathLike
        The folder holding one sub-folder per class (see `load_image_folder`).
    classes : sequence of str, optional
        The sub-folders to list, in this order; by default every sub-folder, sorted.

    Returns
    -------
    files : list of pathlib.Path
        The image files, class by class, each class's files sorted by name.
    y : ndarray of shape (n_images,), int
        Index of each file's class in ``class_names``.
    class_names : list of str
        The class (sub-folder) names.

    Raises
    ------
    FileNotFoundError
        If ``path``, or a sub-folder named in ``classes``, does not exist.
    ValueError
        If ``path`` is not a folder or has no sub-folders, or if a class folder holds
        no image files.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from PIL import Image
    >>> from logitlab.data import list_image_folder
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     for name in ["cat", "dog"]:
    ...         (Path(tmp) / name).mkdir()
    ...         Image.new("RGB", (4, 4)).save(Path(tmp) / name / "a.png")
    ...     _ = (Path(tmp) / "dog" / "notes.txt").write_text("not an image")
    ...     files, y, class_names = list_image_folder(tmp)
    ...     [f.relative_to(tmp).as_posix() for f in files], y, class_names
    (['cat/a.png', 'dog/a.png'], array([0, 1]), ['cat', 'dog'])
    """
    root = Path(path)
    if not root.exists():
        raise FileNotFoundError(f"image folder {str(root)!r} does not exist")
    if not root.is_dir():
        raise ValueError(
            f"{str(root)!r} is not a folder: an image folder is a folder with one "
            "sub-folder of images per class"
        )
    class_names = _class_names(root, classes)

    files, counts = [], []
    for name in class_names:
        folder = root / name
        names = _image_names(folder)
        if not names:
            raise ValueError(
                f"class folder {str(folder)!r} holds no image files (extensions "
                f"{', '.join(IMAGE_EXTENSIONS)}, any case)"
            )
        files.extend(folder / n for n in names)
        counts.append(len(names))
    y = np.repeat(np.arange(len(class_names), dtype=np.intp), counts)
    return files, y, class_names


def check_size_color(size: int, color: str) -> tuple[int, str, int]:
    """Validate ``size`` and ``color``; return (size, Pillow mode, channels).

    ``size × size`` may not exceed Pillow's decompression-bomb limit
    (``PIL.Image.MAX_IMAGE_PIXELS``), which guards every image made here too.

    Examples
    --------
    >>> from logitlab.data.images import check_size_color
    >>> check_size_color(64, "grayscale")
    (64, 'L', 1)
    """
    if not isinstance(size, Integral) or isinstance(size, bool) or size < 1:
        raise ValueError(f"size must be a positive integer, got {size!r}")
    limit = Image.MAX_IMAGE_PIXELS
    if limit is not None and size * size > limit:
        raise ValueError(
            f"size={size} makes images of {size * size} pixels, more than Pillow's "
            f"limit of {limit} (PIL.Image.MAX_IMAGE_PIXELS)"
        )
    key = color.lower() if isinstance(color, str) else color
    if key not in _COLORS:
        raise ValueError(f"color must be 'rgb' or 'grayscale', got {color!r}")
    mode, channels = _COLORS[key]
    return int(size), mode, channels


def _class_names(root, classes):
    if classes is None:
        with os.scandir(root) as entries:
            names = sorted(e.name for e in entries if e.is_dir() and not e.name.startswith("."))
        if not names:
            raise ValueError(
                f"image folder {str(root)!r} has no sub-folders: put the images of each "
                "class in a sub-folder named after the class"
            )
        return names
    if isinstance(classes, (str, bytes)):
        raise ValueError(f"classes must be a sequence of sub-folder names, got {classes!r}")
    names = [os.fspath(c) for c in classes]
    if not names:
        raise ValueError("classes must name at least one sub-folder, got an empty sequence")
    if len(set(names)) != len(names):
        raise ValueError(f"classes holds duplicate names: {names!r}")
    for name in names:
        if not (root / name).is_dir():
            raise FileNotFoundError(
                f"class folder {str(root / name)!r} (from classes) does not exist"
            )
    return names


def _image_names(folder):
    """Names of the image files in ``folder``, sorted."""
    with os.scandir(folder) as entries:
        return sorted(
            e.name
            for e in entries
            if not e.name.startswith(".")
            and os.path.splitext(e.name)[1].lower() in IMAGE_EXTENSIONS
            and e.is_file()
        )


def to_8bit(img: Image.Image, mode: str) -> Image.Image:
    """Any image Pillow hands over, as an 8-bit ``"RGB"`` or ``"L"`` image.

    The rules of the module's *Pixel values* (see the module docstring): alpha is
    dropped, palettes expanded, 16-bit and wider grey values rounded to 8 bits
    (``v -> round(v / 257)``, clipped to [0, 65535] first), CMYK converted by Pillow's
    formula, and grayscale is the luma of the RGB image.

    Parameters
    ----------
    img : PIL.Image.Image
        An image in any mode.
    mode : {"RGB", "L"}
        The mode wanted.

    Returns
    -------
    PIL.Image.Image
        In ``mode``; the same size.

    Examples
    --------
    >>> import numpy as np
    >>> from PIL import Image
    >>> from logitlab.data.images import to_8bit
    >>> grey16 = Image.fromarray(np.array([[0, 300, 65535]], np.uint16))  # mode I;16
    >>> np.asarray(to_8bit(grey16, "L"))  # not clipped at 255: scaled
    array([[  0,   1, 255]], dtype=uint8)
    >>> np.asarray(to_8bit(Image.new("RGBA", (1, 1), (10, 20, 30, 0)), "RGB"))
    array([[[10, 20, 30]]], dtype=uint8)
    """
    if mode not in ("RGB", "L"):
        raise ValueError(f"mode must be 'RGB' or 'L', got {mode!r}")
    if img.mode in _WIDE_GREY:
        # Pillow's own convert("L") clips these at 255: scale the 16-bit range instead
        v = np.nan_to_num(np.asarray(img, dtype=np.float64), nan=0.0)
        img = Image.fromarray(np.rint(np.clip(v, 0, 65535) / 257).astype(np.uint8))
    elif img.mode in ("P", "PA"):
        img = img.convert("RGBA")  # the palette's colours, transparency as alpha (dropped)
    if img.mode == mode:
        return img
    if mode == "L" and img.mode in ("1", "LA", "La"):
        return img.convert("L")  # grey already: only alpha (dropped) or depth changes
    if mode == "L":
        return img.convert("RGB").convert("L")  # the luma of the colours
    return img.convert("RGB")


def read_image(file: str | os.PathLike, size: int, mode: str) -> np.ndarray:
    r"""Decode an image file as a ``(size, size, 3)`` (``"RGB"``) or ``(size, size)``
    (``"L"``) uint8 array: the pixels of `load_image_folder`, times 255.

    Only JPEG, PNG, BMP and GIF files are decoded, whatever the file's name; the file
    is turned upright by its EXIF orientation, converted by `to_8bit`, and resized
    with Lanczos resampling (not at all when it has the size already).

    Parameters
    ----------
    file : str or os.PathLike
        The image file.
    size : int
        Side of the square result, in pixels.
    mode : {"RGB", "L"}
        Pillow's name of the colours wanted.

    Returns
    -------
    ndarray of uint8

    Raises
    ------
    DataError
        (a ``ValueError``) naming the file, for a file that is not a regular file,
        not a JPEG, PNG, BMP or GIF image (e.g. PostScript or TIFF named ``.png``),
        is truncated or corrupt, or is larger than Pillow's decompression-bomb limit
        (``PIL.Image.MAX_IMAGE_PIXELS`` pixels; the warning Pillow gives between the
        limit and twice it is an error here too).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from PIL import Image
    >>> from logitlab.data.images import read_image
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     Image.new("RGB", (4, 4), (255, 0, 0)).save(Path(tmp) / "red.png")
    ...     _ = (Path(tmp) / "fake.png").write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n")
    ...     print(read_image(Path(tmp) / "red.png", 2, "RGB")[0, 0])
    ...     try:
    ...         read_image(Path(tmp) / "fake.png", 2, "RGB")
    ...     except ValueError as exc:
    ...         print(str(exc).replace(tmp, "TMP"))
    [255   0   0]
    cannot read image file 'TMP/fake.png': not a JPEG, PNG, BMP or GIF image
    """
    if mode not in ("RGB", "L"):
        raise ValueError(f"mode must be 'RGB' or 'L', got {mode!r}")
    name = f"image file {os.fspath(file)!r}"
    check_path(file, "file", "image file")
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that: refuse it too
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file, formats=IMAGE_FORMATS) as im:
                if im.format == "JPEG":
                    # DCT-domain downscaling while decoding; a no-op unless the image is
                    # at least twice 2·size on each side
                    im.draft(im.mode, (2 * size, 2 * size))
                im.load()
                img = ImageOps.exif_transpose(im)
            img = to_8bit(img, mode)
    except UnidentifiedImageError:
        raise DataError(f"cannot read {name}: not a JPEG, PNG, BMP or GIF image") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise DataError(f"cannot read {name}: too large to decode safely: {exc}") from None
    except _DECODE_ERRORS as exc:
        raise DataError(f"cannot read {name}: {type(exc).__name__}: {exc}") from None
    if img.size != (size, size):
        img = img.resize((size, size), Image.Resampling.LANCZOS)
    return np.asarray(img)


class ImageFiles(LazyRows):
    """Image files as the rows of a feature matrix, decoded only when read: a `LazyRows`.

    ``ImageFiles(files, size)[i]`` is row ``i`` of ``load_image_folder``'s ``X``: the
    file decoded, resized to ``size × size``, unrolled and scaled to [0, 1]. Only the
    file names are held in memory, so a folder larger than RAM can be split, streamed
    in mini-batches and evaluated chunk by chunk (``load_source(..., lazy=True)``).

    Parameters
    ----------
    files : sequence of str or os.PathLike
        One image file per row.
    size : int, default=64
        Side of the square images, in pixels.
    color : {"rgb", "grayscale"}, default="rgb"
        3 channels or 1.

    Attributes
    ----------
    files : list of str
    shape : tuple of int
        ``(n_images, n_x)``, ``n_x = size · size · channels``.
    image_shape : tuple of int
        ``(size, size, channels)``.

    Notes
    -----
    ``X[i]`` (an int) gives a row of shape ``(n_x,)``; ``X[index]`` (a slice, an
    index array or a boolean mask) reads those files into an ``(k, n_x)`` float64
    array; ``X.take(index)`` gives an `ImageFiles` of those files without reading
    them; ``np.asarray(X)`` reads every file. A file that cannot be decoded raises
    ``ValueError`` naming it, when it is read.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from PIL import Image
    >>> from logitlab.data import ImageFiles
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     files = [Path(tmp) / f"{k}.png" for k in range(3)]
    ...     for k, f in enumerate(files):
    ...         Image.new("L", (8, 8), 100 * k).save(f)
    ...     X = ImageFiles(files, size=2, color="grayscale")
    ...     print(X.shape, X[1], X[[0, 2]].max(axis=1), X.take([2, 0]).shape)
    (3, 4) [0.39215686 0.39215686 0.39215686 0.39215686] [0.         0.78431373] (2, 4)
    """

    def __init__(self, files: Sequence[str | os.PathLike], size: int = 64, color: str = "rgb"):
        self.size, self._mode, channels = check_size_color(size, color)
        self.color = color
        self.files = [os.fspath(f) for f in files]
        self.image_shape = (self.size, self.size, channels)
        self.shape = (len(self.files), self.size * self.size * channels)

    def read_rows(self, rows: np.ndarray) -> np.ndarray:
        out = np.empty((len(rows), self.shape[1]), dtype=np.float64)
        for k, i in enumerate(rows.tolist()):
            out[k] = read_image(self.files[i], self.size, self._mode).reshape(-1) / 255.0
        return out

    def take_rows(self, rows: np.ndarray) -> ImageFiles:
        return ImageFiles([self.files[i] for i in rows.tolist()], self.size, self.color)

    def __repr__(self):
        return f"ImageFiles({len(self)} files, size={self.size}, color={self.color!r})"


def shift_augment(X, image_shape, radius):
    """Copies of each unrolled image moved by every shift of up to ``radius`` pixels.

    A hand photographed a pixel to the left is still the same sign; a fully connected
    network does not know that, because each pixel is its own feature. Training on
    shifted copies teaches it (on the sign-language digits at 16×16 pixels, shifts of
    one pixel take an MLP's test accuracy from about 89% to about 96%). Only training
    data should be augmented: the test set stays the photos as taken.

    Parameters
    ----------
    X : array-like of shape (m, H * W * C)
        Images unrolled row-major over (height, width, channel), as `load_image_folder`
        returns them.
    image_shape : tuple of int
        ``(H, W, C)``.
    radius : int
        Largest shift, in pixels, along each axis. Every ``(dy, dx)`` with
        ``|dy|, |dx| <= radius`` is made, ``(0, 0)`` (the originals) included, so the
        result has ``(2 * radius + 1) ** 2`` times as many rows. Pixels shifted in
        from outside repeat the edge.

    Returns
    -------
    X_aug : ndarray of shape ((2 * radius + 1) ** 2 * m, H * W * C)
        Block ``k`` (rows ``k * m`` to ``(k + 1) * m``) holds every image moved by the
        ``k``-th shift, ``(dy, dx)`` in row-major order from ``(-radius, -radius)``
        (up and left) to ``(radius, radius)``, so labels follow with
        ``np.tile(y, (2 * radius + 1) ** 2)``
        (``np.tile(y, (n, 1))`` for a label matrix).

    Examples
    --------
    >>> import numpy as np
    >>> from logitlab.data import shift_augment
    >>> img = np.arange(9.0).reshape(1, 9)     # one 3x3 grayscale image
    >>> shift_augment(img, (3, 3, 1), 1).shape
    (9, 9)
    >>> shift_augment(img, (3, 3, 1), 1)[0].reshape(3, 3)   # moved up and left
    array([[4., 5., 5.],
           [7., 8., 8.],
           [7., 8., 8.]])
    >>> shift_augment(img, (3, 3, 1), 1)[8].reshape(3, 3)   # moved down and right
    array([[0., 0., 1.],
           [0., 0., 1.],
           [3., 3., 4.]])
    """
    X = np.asarray(X)
    H, W, C = (int(v) for v in image_shape)
    if X.ndim != 2 or X.shape[1] != H * W * C:
        raise ValueError(
            f"X of shape {X.shape} does not hold unrolled {H}x{W}x{C} images "
            f"(expected (m, {H * W * C}))"
        )
    if not isinstance(radius, Integral) or radius < 0:
        raise ValueError(f"radius must be a non-negative integer, got {radius!r}")
    if radius == 0:
        return X.copy()
    r = int(radius)
    m = X.shape[0]
    padded = np.pad(X.reshape(m, H, W, C), ((0, 0), (r, r), (r, r), (0, 0)), mode="edge")
    out = np.empty(((2 * r + 1) ** 2 * m, H * W * C), dtype=X.dtype)
    k = 0
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            # content at (i, j) comes from (i - dy, j - dx): the image moves by (dy, dx)
            out[k * m : (k + 1) * m] = padded[
                :, r - dy : r - dy + H, r - dx : r - dx + W, :
            ].reshape(m, -1)
            k += 1
    return out
