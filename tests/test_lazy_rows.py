"""LazyRows: ImageFiles and HDF5Rows read rows on demand; load_source(lazy=True) for HDF5."""

import pickle

import h5py
import numpy as np
import pytest
from PIL import Image

from logitlab.data import (
    DataError,
    HDF5Rows,
    ImageFiles,
    LazyRows,
    load_source,
    split,
)


def _h5(path, x, y=None, **extra):
    with h5py.File(path, "w") as f:
        f.create_dataset("X", data=x)
        if y is not None:
            f.create_dataset("y", data=y)
        for k, v in extra.items():
            f.create_dataset(k, data=v)
    return path


@pytest.fixture
def pixels(tmp_path):
    x = np.random.default_rng(0).integers(0, 256, size=(9, 2, 3, 3), dtype=np.uint8)
    return _h5(tmp_path / "px.h5", x, np.arange(9) % 3), x.reshape(9, -1) / 255.0


def test_hdf5_rows_index_like_an_array(pixels):
    file, expected = pixels
    X = HDF5Rows(file, "X")
    assert isinstance(X, LazyRows) and X.shape == (9, 18) and len(X) == 9
    assert X.ndim == 2 and X.dtype == np.float64 and X.image_shape == (2, 3, 3)
    np.testing.assert_array_equal(X[4], expected[4])
    np.testing.assert_array_equal(X[-1], expected[8])
    np.testing.assert_array_equal(X[2:7:2], expected[2:7:2])
    order = [8, 0, 3, 3, 1]  # any order, repeats: h5py itself wants increasing and distinct
    np.testing.assert_array_equal(X[order], expected[order])
    np.testing.assert_array_equal(X[np.array([-2, 1])], expected[[7, 1]])
    mask = np.arange(9) % 2 == 0
    np.testing.assert_array_equal(X[mask], expected[mask])
    np.testing.assert_array_equal(np.asarray(X), expected)
    np.testing.assert_array_equal(np.stack(list(X)), expected)
    assert X[[]].shape == (0, 18)
    with pytest.raises(IndexError, match="row 9 is out of range for 9 rows"):
        X[9]
    with pytest.raises(IndexError, match="out of range"):
        X[[0, 12]]
    with pytest.raises(IndexError, match="mask of shape"):
        X[np.ones(4, bool)]
    with pytest.raises(TypeError, match="rows only"):
        X[0, 1]
    X.close()


def test_hdf5_rows_take_is_unread_and_composes(pixels):
    file, expected = pixels
    X = HDF5Rows(file, "X")
    X[0]
    assert X.handle is not None
    part = X.take([7, 2, 5])
    assert isinstance(part, HDF5Rows) and part.shape == (3, 18)
    assert part.handle is None  # a take opens nothing and shares no handle
    np.testing.assert_array_equal(part[:], expected[[7, 2, 5]])
    np.testing.assert_array_equal(part.take([False, True, True])[:], expected[[2, 5]])
    np.testing.assert_array_equal(X.take(slice(None, None, -1))[0], expected[8])
    copy = pickle.loads(pickle.dumps(part))
    assert copy.handle is None and len(pickle.dumps(part)) < 2048
    np.testing.assert_array_equal(copy[1], expected[2])
    X.close()
    assert X.handle is None


def test_hdf5_rows_scaling_and_dtypes(tmp_path):
    floats = np.linspace(-3, 3, 12, dtype=np.float32).reshape(4, 3)
    X = HDF5Rows(_h5(tmp_path / "f.h5", floats), "X")
    np.testing.assert_array_equal(X[:], floats.astype(np.float64))  # no scaling
    assert X.image_shape is None
    ints = np.array([0, 255, 1000, -7], np.int16)  # 1-D: one feature; only uint8 is scaled
    X = HDF5Rows(_h5(tmp_path / "i.h5", ints), "X")
    assert X.shape == (4, 1)
    np.testing.assert_array_equal(X[:], ints[:, None].astype(np.float64))


def test_hdf5_rows_non_finite_values_named_when_read(tmp_path):
    x = np.ones((5, 3))
    x[3, 2] = np.nan
    X = HDF5Rows(_h5(tmp_path / "nan.h5", x), "X")
    np.testing.assert_array_equal(X[[0, 4]], np.ones((2, 3)))  # other rows read fine
    with pytest.raises(DataError, match=r"nan.h5', key 'X': example 3 \(row 4\) holds nan"):
        X[3]
    with pytest.raises(DataError, match="example 3"):
        np.asarray(X)


def test_hdf5_rows_errors_are_data_errors_and_the_usual_types(tmp_path):
    file = _h5(tmp_path / "d.h5", np.zeros((3, 2)), names=np.array([b"a", b"b"]))
    with h5py.File(file, "a") as f:
        f.create_group("grp")
    with pytest.raises(FileNotFoundError, match="does not exist") as err:
        HDF5Rows(tmp_path / "none.h5", "X")
    assert isinstance(err.value, DataError)
    with pytest.raises(KeyError) as err:
        HDF5Rows(file, "Z")
    assert isinstance(err.value, DataError)
    assert str(err.value) == f"HDF5 file {str(file)!r} has no key 'Z'; its datasets: 'X', 'names'"
    with pytest.raises(DataError, match="'grp' is a group"):
        HDF5Rows(file, "grp")
    with pytest.raises(DataError, match="'names' must be numeric"):
        HDF5Rows(file, "names")
    (tmp_path / "text.h5").write_text("plain text")
    with pytest.raises(OSError, match=r"cannot open HDF5 file .*text.h5") as err:
        HDF5Rows(tmp_path / "text.h5", "X")
    assert isinstance(err.value, DataError)


def test_image_files_are_lazy_rows(tmp_path):
    files = []
    for k in range(4):
        files.append(tmp_path / f"{k}.png")
        Image.new("L", (3, 3), 60 * k).save(files[-1])
    X = ImageFiles(files, size=3, color="grayscale")
    assert isinstance(X, LazyRows) and X.shape == (4, 9) and X.image_shape == (3, 3, 1)
    np.testing.assert_allclose(X[[3, 1]][:, 0], [180 / 255, 60 / 255])
    part = X.take(np.array([True, False, True, False]))
    assert isinstance(part, ImageFiles) and part.files == [str(files[0]), str(files[2])]
    np.testing.assert_allclose(np.asarray(part)[:, 4], [0, 120 / 255])


# --------------------------------------------------------------------------- load_source


def test_load_source_lazy_hdf5_equals_in_memory(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.integers(0, 256, (12, 4, 4, 3), dtype=np.uint8)
    y = (np.arange(12) % 2).reshape(1, 12)
    file = _h5(tmp_path / "cats.h5", x, y, list_classes=[b"non-cat", b"cat"])
    eager = load_source(file)
    lazy = load_source(file, lazy=True)
    assert isinstance(lazy.X, HDF5Rows) and isinstance(eager.X, np.ndarray)
    assert lazy.class_names == eager.class_names == ["non-cat", "cat"]
    assert lazy.image_shape == eager.image_shape == (4, 4, 3)
    np.testing.assert_array_equal(lazy.y, eager.y)
    np.testing.assert_array_equal(np.asarray(lazy.X), eager.X)
    tr, te = split(lazy, test_size=0.25, random_state=0)
    tr_e, te_e = split(eager, test_size=0.25, random_state=0)
    assert isinstance(tr.X, HDF5Rows) and isinstance(te.X, HDF5Rows)
    np.testing.assert_array_equal(te.X[:], te_e.X)
    np.testing.assert_array_equal(tr.y, tr_e.y)


def test_load_source_lazy_hdf5_checks_features_as_read(tmp_path):
    x = np.ones((4, 2))
    x[2, 0] = np.inf
    file = _h5(tmp_path / "inf.h5", x, np.array([0, 1, 0, 1]))
    with pytest.raises(DataError, match=r"inf.h5.*example 2 \(row 3\) holds inf"):
        load_source(file)  # in memory: every row read, and checked, now
    lazy = load_source(file, lazy=True)  # the labels are read; the features are not
    np.testing.assert_array_equal(lazy.X[[0, 1, 3]], np.ones((3, 2)))
    with pytest.raises(DataError, match=r"inf.h5', key 'X': example 2 \(row 3\) holds inf"):
        lazy.X[2]


# --------------------------------------------------------------------------- torch


def test_lazy_rows_dataset_streams_hdf5_rows(tmp_path):
    torch = pytest.importorskip("torch")
    from logitlab import LogisticRegression
    from logitlab.torch_engine.data import (
        HDF5Dataset,
        ImageFilesDataset,
        LazyRowsDataset,
        make_loader,
    )

    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 64)
    x = (rng.integers(0, 120, (64, 3, 3, 3)) + 100 * y[:, None, None, None]).astype(np.uint8)
    file = _h5(tmp_path / "t.h5", x, y)
    data = load_source(file, lazy=True)
    train, test = split(data, test_size=0.25, random_state=0)
    ds = LazyRowsDataset(train.X, train.y, classes=train.class_names)
    assert ImageFilesDataset is LazyRowsDataset and len(ds) == 48 and ds.n_features == 27
    # a batch read at once (__getitems__) equals the examples read one by one
    xb, yb = next(iter(make_loader(ds, batch_size=48, shuffle=False)))
    items = [ds[i] for i in range(48)]
    assert torch.equal(xb, torch.stack([a for a, _ in items]))
    assert torch.equal(yb, torch.stack([b for _, b in items]))
    np.testing.assert_array_equal(xb.numpy(), train.X[:].astype(np.float32))
    # what the old HDF5Dataset gives, through the same reader
    full = HDF5Dataset(file, "X", "y")
    assert isinstance(full.X, HDF5Rows)
    np.testing.assert_array_equal(full[5][0].numpy(), data.X[5].astype(np.float32))

    clf = LogisticRegression(
        solver="sgd",
        learning_rate=0.5,
        batch_size=16,
        max_iter=15,
        tol=0,
        engine="torch",
        device="cpu",
    ).fit_dataset(ds, num_workers=2)
    assert list(clf.classes_) == ["0", "1"]
    assert clf.score(test.X[:], np.asarray(test.class_names)[test.y]) > 0.9
    with pytest.raises(TypeError, match="LazyRows"):
        LazyRowsDataset(np.zeros((3, 2)), [0, 1, 0])
