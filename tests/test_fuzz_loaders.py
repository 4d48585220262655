"""Property-based fuzzing of every loader: mutated files give a DataError or good data.

Each test starts from small valid files of one format (CSV, ARFF, NPZ, HDF5, an image
folder, a manifest), damages them (byte flips, truncations, insertions, deletions,
field and line edits, arrays of other shapes and dtypes) and asserts that
`load_source` either raises `DataError` or returns a `LoadedData` that is consistent:
finite float64 ``X`` of shape ``(n, n_x)``, ``y`` with ``n`` rows, class names that
match ``y``. Any other exception (or a hang, caught by the deadline) is a bug.

The examples are fixed (``derandomize``) so the suite is stable. For a longer, random
campaign: ``LOGITLAB_FUZZ_EXAMPLES=2000 pytest tests/test_fuzz_loaders.py``.
"""

import io
import os
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

import h5py
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays
from PIL import Image

from logitlab.data import DataError, LoadedData, load_source

_CAMPAIGN = "LOGITLAB_FUZZ_EXAMPLES" in os.environ
FUZZ = settings(
    max_examples=int(os.environ.get("LOGITLAB_FUZZ_EXAMPLES", 40)),
    deadline=timedelta(seconds=5),  # a loader that blocks or spins fails, not hangs
    derandomize=not _CAMPAIGN,
    database=None,
    suppress_health_check=list(HealthCheck),
)

# --------------------------------------------------------------------------- checks


def check_loaded(data):
    """The invariants every LoadedData must satisfy."""
    assert isinstance(data, LoadedData)
    if sp.issparse(data.X):  # a sparse ARFF file: CSR, each entry once, in order
        assert data.X.format == "csr" and data.X.has_canonical_format
        X = data.X.toarray()
    else:
        X = np.asarray(data.X)  # lazy rows are read here (a DataError is allowed)
    n = X.shape[0]
    assert X.dtype == np.float64 and X.ndim == 2 and n > 0 and X.shape[1] > 0
    assert X.shape == (data.n_samples, data.n_features)
    assert np.isfinite(X).all()
    y = data.y
    assert y.dtype.kind == "i" and y.shape[0] == n
    names = data.class_names
    assert all(isinstance(c, str) for c in names)
    assert len(set(names)) == len(names), names
    if data.task == "multilabel":
        assert y.ndim == 2 and y.shape[1] == len(names)
        assert set(np.unique(y)) <= {0, 1}
    else:
        assert y.ndim == 1 and y.min() >= 0 and y.max() < len(names)
        assert data.task == ("binary" if len(names) == 2 else "multiclass")
    if data.feature_names is not None:
        assert len(data.feature_names) == X.shape[1]
    if data.image_shape is not None:
        assert int(np.prod(data.image_shape)) == X.shape[1]
        if data.files is not None:  # decoded pixels are in [0, 1]
            assert 0 <= X.min() and X.max() <= 1
    if data.files is not None:
        assert len(data.files) == n


def load_or_refuse(src, **options):
    """load_source either raises DataError or returns consistent data; nothing else."""
    try:
        data = load_source(src, **options)
        check_loaded(data)
    except DataError as exc:
        message = str(exc)
        assert message and "\n" not in message.strip(), message
        return None
    return data


# --------------------------------------------------------------------------- mutations


@st.composite
def mutated_bytes(draw, data, head=256):
    """``data`` with 1-3 byte-level edits; positions favour the first ``head`` bytes,
    where file headers and structures lie."""
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 3))):
        n = len(data)
        if n == 0:
            break
        pos = draw(st.one_of(st.integers(0, min(head, n) - 1), st.integers(0, n - 1)))
        kind = draw(st.sampled_from(["flip", "flip", "truncate", "insert", "delete", "copy"]))
        if kind == "flip":
            data[pos] ^= draw(st.integers(1, 255))
        elif kind == "truncate":
            del data[pos:]
        elif kind == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del data[pos : pos + draw(st.integers(1, 16))]
        else:  # a chunk of the file copied over another place
            src = draw(st.integers(0, n - 1))
            data[pos : pos + 8] = data[src : src + 8]
    return bytes(data)


_ODD_FIELDS = [
    "",
    " ",
    "nan",
    "inf",
    "-inf",
    "1e309",
    "?",
    "'",
    '"',
    '"x',
    "{",
    "}",
    "1.5",
    "-1",
    "0",
    "1",
    "2",
    "1.0",
    "99999999999999999999999",
    "@data",
    "@attribute",
    "%",
    "cat",
    "dog;cat",
    ";",
    "\t",
    "\x00",
    "é",
]


@st.composite
def mutated_text(draw, text, delimiter=","):
    """``text`` with 1-3 edits of fields or lines."""
    lines = text.split("\n")
    field = st.one_of(st.sampled_from(_ODD_FIELDS), st.text(max_size=8))
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["field", "field", "field", "dup", "del", "swap", "add"]))
        if kind == "field":
            cells = lines[i].split(delimiter)
            j = draw(st.integers(0, len(cells) - 1))
            cells[j] = draw(field)
            lines[i] = delimiter.join(cells)
        elif kind == "dup":
            lines.insert(i, lines[i])
        elif kind == "del" and len(lines) > 1:
            del lines[i]
        elif kind == "swap":
            k = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[k] = lines[k], lines[i]
        else:
            lines.insert(i, delimiter.join(draw(st.lists(field, min_size=1, max_size=4))))
    return "\n".join(lines)


# --------------------------------------------------------------------------- seeds

CSV = "weight,height,animal\n4,25,cat\n30,60,dog\n3.5,23,cat\n9,30,rabbit\n"
CSV_MULTI = "x1,x2,sun,rain\n0.5,1,1,0\n2,3,0,1\n4,5,1,1\n6,7,0,0\n"
ARFF = """% MULAN-style
@relation 'toy'
@attribute Att1 numeric
@attribute Att2 real
@attribute Class1 {0,1}
@attribute Class2 {0,1}
@data
0.09,0.13,0,1
-0.02,-0.05,1,0
2.5,3,0,1
1,2,1,1
"""
ARFF_SPARSE = """% MULAN-style, sparse rows (and one dense)
@relation 'toy'
@attribute Att1 numeric
@attribute 'Att 2' real
@attribute Class1 {0,1}
@attribute Class2 {0,1}
@data
{0 0.09,1 0.13,3 1}
{1 -0.05, 2 1}
2.5,3,0,1
{}
{0 1,1 2,2 1,3 1}
"""
ARFF_CLASS = """@relation pets
@attribute w numeric
@attribute h numeric
@attribute animal {cat,dog,rabbit}
@data
4,25,cat
30,60,dog
9,30,rabbit
3,20,cat
"""


def _npz_bytes(compressed=False, **arrays_):
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrays_)
    return buf.getvalue()


def _h5_bytes(**datasets):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.h5"
        with h5py.File(path, "w") as f:
            for key, value in datasets.items():
                f.create_dataset(key, data=value)
        return path.read_bytes()


_RNG = np.random.default_rng(0)
NPZ = _npz_bytes(X=_RNG.random((6, 3)), y=np.array(["a", "b", "a", "c", "b", "c"]))
NPZ_ZIPPED = _npz_bytes(
    compressed=True,
    X=_RNG.integers(0, 256, (4, 2, 2, 3), dtype=np.uint8),
    y=np.array([0, 1, 1, 0]),
    class_names=np.array(["no", "yes"]),
)
H5 = _h5_bytes(
    train_set_x=_RNG.integers(0, 256, (6, 2, 2, 3), dtype=np.uint8),
    train_set_y=np.array([[0, 1, 1, 0, 1, 0]]),
    list_classes=np.array([b"non-cat", b"cat"]),
)
H5_FLOAT = _h5_bytes(
    X=_RNG.normal(size=(5, 4)), y=np.array([[1, 0], [0, 1], [1, 1], [0, 0], [1, 0]])
)


def _image_bytes(fmt, colour, size=(5, 4)):
    buf = io.BytesIO()
    im = Image.new("RGB", size, colour)
    if fmt == "GIF":
        im = im.convert("P")
    im.save(buf, fmt)
    return buf.getvalue()


IMAGES = {
    "cat/a.png": _image_bytes("PNG", (200, 30, 30)),
    "cat/b.jpg": _image_bytes("JPEG", (180, 40, 20)),
    "dog/c.gif": _image_bytes("GIF", (20, 30, 200)),
    "dog/d.bmp": _image_bytes("BMP", (30, 60, 220)),
}
MANIFEST = "file,labels\ncat/a.png,cat;small\ncat/b.jpg,cat\ndog/c.gif,dog\ndog/d.bmp,\n"


@pytest.fixture
def workdir():
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


def _fresh(workdir, name):
    """A path in a fresh sub-folder of ``workdir`` (examples do not see each other)."""
    folder = Path(tempfile.mkdtemp(dir=workdir))
    return folder / name


# --------------------------------------------------------------------------- tables


@FUZZ
@given(data=st.data(), seed=st.sampled_from([CSV, CSV_MULTI]))
def test_fuzz_csv_fields(workdir, data, seed):
    text = data.draw(mutated_text(seed))
    file = _fresh(workdir, "t.csv")
    file.write_text(text, encoding="utf-8", errors="surrogatepass")
    labels = "last:2" if seed is CSV_MULTI else None
    load_or_refuse(file, labels=labels)


@FUZZ
@given(data=st.data(), seed=st.sampled_from([CSV, CSV_MULTI]))
def test_fuzz_csv_bytes(workdir, data, seed):
    file = _fresh(workdir, "t.csv")
    file.write_bytes(data.draw(mutated_bytes(seed.encode())))
    load_or_refuse(file, labels="last:2" if seed is CSV_MULTI else None)


@FUZZ
@given(data=st.data(), seed=st.sampled_from([ARFF, ARFF_SPARSE, ARFF_CLASS]))
def test_fuzz_arff(workdir, data, seed):
    if data.draw(st.booleans()):
        content = data.draw(mutated_text(seed)).encode("utf-8", errors="surrogatepass")
    else:
        content = data.draw(mutated_bytes(seed.encode()))
    file = _fresh(workdir, "t.arff")
    file.write_bytes(content)
    load_or_refuse(file)


# --------------------------------------------------------------------------- arrays


@FUZZ
@given(data=st.data(), seed=st.sampled_from([NPZ, NPZ_ZIPPED]))
def test_fuzz_npz_bytes(workdir, data, seed):
    file = _fresh(workdir, "d.npz")
    file.write_bytes(data.draw(mutated_bytes(seed, head=128)))
    load_or_refuse(file)


_DTYPES = st.sampled_from(
    [np.float64, np.float32, np.float16, np.int64, np.int8, np.uint8, np.bool_, "S3", "U3"]
)
_ARRAYS = _DTYPES.flatmap(
    lambda dt: arrays(dt, array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4))
)
_KEYS = st.sampled_from(["X", "y", "x", "Y", "train_set_x", "train_set_y", "class_names", "z"])


@FUZZ
@given(members=st.dictionaries(_KEYS, _ARRAYS, min_size=1, max_size=4))
def test_fuzz_npz_arrays(workdir, members):
    file = _fresh(workdir, "d.npz")
    np.savez(file, **members)
    load_or_refuse(file)


@FUZZ
@given(data=st.data(), seed=st.sampled_from([H5, H5_FLOAT]), lazy=st.booleans())
def test_fuzz_hdf5_bytes(workdir, data, seed, lazy):
    file = _fresh(workdir, "d.h5")
    file.write_bytes(data.draw(mutated_bytes(seed, head=2048)))
    load_or_refuse(file, lazy=lazy)


_H5_ARRAYS = st.sampled_from(
    [np.float64, np.float32, np.int64, np.int16, np.uint8, np.bool_, "S3"]
).flatmap(lambda dt: arrays(dt, array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4)))
_H5_KEYS = st.sampled_from(["X", "y", "train_set_x", "train_set_y", "list_classes", "g/X"])
# besides arrays: a group, a dataset with no dataspace, variable-length strings
_H5_VALUES = st.one_of(
    _H5_ARRAYS,
    st.sampled_from(["group", "empty"]),
    st.lists(st.sampled_from(["cat", "dog", "1", ""]), min_size=1, max_size=5),
)


@FUZZ
@given(
    datasets=st.dictionaries(_H5_KEYS, _H5_VALUES, min_size=1, max_size=4),
    lazy=st.booleans(),
)
def test_fuzz_hdf5_datasets(workdir, datasets, lazy):
    file = _fresh(workdir, "d.h5")
    with h5py.File(file, "w") as f:
        for key, value in datasets.items():
            if key == "g/X" and "X" in datasets:
                continue
            if isinstance(value, str):
                if value == "group":
                    f.create_group(key)
                else:
                    f.create_dataset(key, data=h5py.Empty("f8"))
            elif isinstance(value, list):
                f.create_dataset(key, data=value, dtype=h5py.string_dtype())
            else:
                f.create_dataset(key, data=value)
    load_or_refuse(file, lazy=lazy)


# --------------------------------------------------------------------------- images


def _image_folder(workdir, images=IMAGES):
    root = Path(tempfile.mkdtemp(dir=workdir)) / "photos"
    for name, content in images.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    return root


@FUZZ
@given(
    data=st.data(),
    name=st.sampled_from(sorted(IMAGES)),
    color=st.sampled_from(["rgb", "grayscale"]),
    lazy=st.booleans(),
)
def test_fuzz_image_folder_bytes(workdir, data, name, color, lazy):
    images = dict(IMAGES)
    images[name] = data.draw(mutated_bytes(IMAGES[name], head=128))
    root = _image_folder(workdir, images)
    load_or_refuse(root, size=3, color=color, lazy=lazy)


_MODES = st.sampled_from(["1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "I;16"])
_FORMATS = {"1": "PNG BMP GIF", "L": "PNG BMP GIF JPEG", "LA": "PNG", "P": "PNG BMP GIF"}
_FORMATS.update({"RGB": "PNG BMP JPEG", "RGBA": "PNG", "CMYK": "JPEG", "I;16": "PNG"})


@FUZZ
@given(
    data=st.data(),
    mode=_MODES,
    shape=st.tuples(st.integers(1, 6), st.integers(1, 6)),
    size=st.integers(1, 7),
    color=st.sampled_from(["rgb", "grayscale"]),
)
def test_fuzz_image_modes_and_sizes(workdir, data, mode, shape, size, color):
    fmt = data.draw(st.sampled_from(_FORMATS[mode].split()))
    bands = {"1": 1, "L": 1, "P": 1, "I;16": 1, "LA": 2, "RGB": 3, "RGBA": 4, "CMYK": 4}[mode]
    dtype = np.uint16 if mode == "I;16" else np.uint8
    pixels = data.draw(arrays(dtype, shape + (bands,)))
    if mode == "1":
        im = Image.fromarray(pixels[..., 0] > 127)
    elif mode == "I;16":
        im = Image.fromarray(pixels[..., 0])
    elif mode == "P":
        im = Image.fromarray(pixels[..., 0], "L").convert("P")
    else:
        im = Image.frombytes(mode, shape[::-1], pixels.tobytes())
    images = {}
    for k, cls in enumerate(["a", "b"]):
        buf = io.BytesIO()
        im.save(buf, fmt)
        images[f"{cls}/{k}.{fmt.lower()}"] = buf.getvalue()
    data_ = load_or_refuse(_image_folder(workdir, images), size=size, color=color)
    assert data_ is not None  # valid images of every mode load
    assert data_.X.shape == (2, size * size * (3 if color == "rgb" else 1))


@FUZZ
@given(data=st.data(), lazy=st.booleans())
def test_fuzz_manifest(workdir, data, lazy):
    root = _image_folder(workdir)
    if data.draw(st.booleans()):
        text = data.draw(mutated_text(MANIFEST))
        (root / "labels.csv").write_text(text, encoding="utf-8", errors="surrogatepass")
    else:
        (root / "labels.csv").write_bytes(data.draw(mutated_bytes(MANIFEST.encode())))
    load_or_refuse(root, size=2, manifest="labels.csv", lazy=lazy)


def test_seeds_load(workdir):
    """The unmutated seeds are valid, so the mutations start from good files."""
    for name, content, options in [
        ("a.csv", CSV.encode(), {}),
        ("b.csv", CSV_MULTI.encode(), {"labels": "last:2"}),
        ("a.arff", ARFF.encode(), {}),
        ("b.arff", ARFF_CLASS.encode(), {}),
        ("c.arff", ARFF_SPARSE.encode(), {}),
        ("a.npz", NPZ, {}),
        ("b.npz", NPZ_ZIPPED, {}),
        ("a.h5", H5, {}),
        ("b.h5", H5_FLOAT, {"lazy": True}),
    ]:
        file = workdir / name
        file.write_bytes(content)
        assert load_or_refuse(file, **options) is not None, name
    root = _image_folder(workdir)
    assert load_or_refuse(root, size=3) is not None
    (root / "labels.csv").write_text(MANIFEST)
    ml = load_or_refuse(root, size=2, manifest="labels.csv")
    assert ml.class_names == ["cat", "dog", "small"]
    shutil.rmtree(root)
