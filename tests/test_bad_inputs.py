"""Inputs that used to escape as tracebacks, hang, or load wrongly: each is one DataError
line naming the file (or loads as documented)."""

import csv
import os
import signal
import zipfile

import h5py
import numpy as np
import pytest
from PIL import Image

from logitlab.data import DataError, HDF5Rows, ImageFiles, load_image_folder, load_source
from logitlab.data import errors as data_errors


@pytest.fixture(autouse=True)
def no_hang():
    """A read that blocks (a named pipe opened) fails the test instead of hanging it."""

    def fail(signum, frame):
        raise AssertionError("the loader blocked")

    old = signal.signal(signal.SIGALRM, fail)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def _write(path, text):
    path.write_text(text)
    return path


def _fails(src, pattern, **options):
    """load_source(src) raises a DataError whose message matches ``pattern`` and names
    the file (``src`` itself, or ``name``)."""
    with pytest.raises(DataError, match=pattern) as err:
        load_source(src, **options)
    assert "\n" not in str(err.value)
    return str(err.value)


# --------------------------------------------------------------------------- HDF5


def test_hdf5_without_datasets(tmp_path):
    h5py.File(tmp_path / "empty.h5", "w").close()
    _fails(tmp_path / "empty.h5", r"empty.h5': no features found: the file holds no datasets")


def test_hdf5_with_no_examples_or_no_features(tmp_path):
    with h5py.File(tmp_path / "zero.h5", "w") as f:
        f["X"], f["y"] = np.zeros((0, 3)), np.zeros(0)
    _fails(tmp_path / "zero.h5", r"zero.h5': dataset 'X' holds no examples \(shape \(0, 3\)\)")
    with h5py.File(tmp_path / "flat.h5", "w") as f:
        f["X"], f["y"] = np.zeros((3, 0)), np.arange(3)
    _fails(tmp_path / "flat.h5", r"flat.h5': dataset 'X' of shape \(3, 0\) holds no features")


def test_hdf5_zero_bytes_empty_labels_and_repeated_class_names(tmp_path):
    (tmp_path / "zero.h5").write_bytes(b"")
    _fails(tmp_path / "zero.h5", r"cannot open HDF5 file .*zero.h5' \(not HDF5")
    with h5py.File(tmp_path / "nolabels.h5", "w") as f:
        f["X"] = np.zeros((3, 2))
        f.create_dataset("y", data=h5py.Empty("i"))
    _fails(tmp_path / "nolabels.h5", r"nolabels.h5', key 'y' is empty")
    with h5py.File(tmp_path / "names.h5", "w") as f:
        f["X"], f["y"], f["list_classes"] = np.zeros((3, 2)), [0, 1, 0], [b"cat", b"cat"]
    _fails(tmp_path / "names.h5", r"names.h5': the class names repeat 'cat'")


def test_hdf5_too_large_for_memory_is_refused_before_reading(tmp_path, monkeypatch):
    with h5py.File(tmp_path / "big.h5", "w") as f:
        f["X"], f["y"] = np.ones((100, 100)), np.arange(100) % 2
    monkeypatch.setattr(data_errors, "available_memory", lambda: 5000)

    def no_read(self, rows):
        raise AssertionError("read before the memory check")

    monkeypatch.setattr(HDF5Rows, "read_rows", no_read)
    message = _fails(tmp_path / "big.h5", r"big.h5', 'X'.*needs .*\(240000 bytes\)")
    assert "4.9 KiB (5000 bytes) available" in message and "--stream" in message
    monkeypatch.undo()
    monkeypatch.setattr(data_errors, "available_memory", lambda: 5000)
    lazy = load_source(tmp_path / "big.h5", lazy=True)  # streamed: row by row, it fits
    np.testing.assert_array_equal(lazy.X[7], np.ones(100))


# --------------------------------------------------------------------------- ARFF


def test_empty_arff(tmp_path):
    _fails(_write(tmp_path / "zero.arff", ""), r"ARFF file .*zero.arff' is empty")
    _fails(_write(tmp_path / "blank.arff", "\n  \n"), r"blank.arff' is empty")
    header = "@relation r\n@attribute a numeric\n@attribute c {x,y}\n"
    _fails(_write(tmp_path / "nodata.arff", header), r"nodata.arff': no @data line")
    _fails(_write(tmp_path / "header.arff", header + "@data\n"), r"header.arff': no data rows")


# --------------------------------------------------------------------------- NPZ


def test_npz_that_is_not_a_zip(tmp_path):
    (tmp_path / "noise.npz").write_bytes(np.random.default_rng(0).bytes(300))
    _fails(tmp_path / "noise.npz", r"noise.npz' is not an .npz archive \(not a zip archive\)")
    _write(tmp_path / "table.npz", "a,b,y\n1,2,0\n3,4,1\n")
    _fails(tmp_path / "table.npz", r"table.npz' is not an .npz archive \(not a zip")
    with open(tmp_path / "one.npz", "wb") as fh:
        np.save(fh, np.zeros((3, 2)))
    _fails(tmp_path / "one.npz", r"one.npz' is not an .npz archive \(a single .npy array\)")
    (tmp_path / "zero.npz").write_bytes(b"")
    _fails(tmp_path / "zero.npz", r"zero.npz' is not an .npz archive")


def test_npz_with_broken_or_object_members(tmp_path):
    with zipfile.ZipFile(tmp_path / "bad.npz", "w") as zf:
        zf.writestr("X.npy", b"hello")
        zf.writestr("y.npy", b"hello")
    _fails(tmp_path / "bad.npz", r"cannot read .npz file .*bad.npz' \(truncated or corrupt\?\)")
    np.savez(tmp_path / "obj.npz", X=np.array([[1, None]], dtype=object), y=np.array([0]))
    _fails(tmp_path / "obj.npz", r"obj.npz': member 'X' holds Python objects")


def test_npz_too_large_for_memory_is_refused_from_its_header(tmp_path, monkeypatch):
    np.savez(tmp_path / "big.npz", X=np.ones((100, 100)), y=np.arange(100) % 2)
    monkeypatch.setattr(data_errors, "available_memory", lambda: 50_000)
    _fails(
        tmp_path / "big.npz",
        r"big.npz', key 'X' \(shape \(100, 100\), dtype float64\) needs .*\(160000 bytes\)",
    )


# --------------------------------------------------------------------------- labels


def test_labels_mixing_numbers_and_names_are_refused(tmp_path):
    csv_file = _write(tmp_path / "mixed.csv", "a,y\n1,1\n2,cat\n3,2\n4,10\n")
    _fails(
        csv_file,
        r"mixed.csv': label column 'y': labels mix numbers \('1' in row 1 \(line 2\)\) "
        r"and names \('cat' in row 2 \(line 3\)\)",
    )
    np.savez(tmp_path / "mixed.npz", X=np.ones((4, 2)), y=np.array(["1", "cat", "2", "10"]))
    _fails(tmp_path / "mixed.npz", r"mixed.npz': labels 'y': labels mix numbers")
    with h5py.File(tmp_path / "mixed.h5", "w") as f:
        f["X"], f["y"] = np.ones((3, 2)), [b"1", b"cat", b"2"]
    _fails(tmp_path / "mixed.h5", r"mixed.h5': labels 'y': labels mix numbers")
    arff = "@relation r\n@attribute a numeric\n@attribute c {1,2,cat}\n@data\n1,1\n2,cat\n3,2\n"
    _fails(_write(tmp_path / "mixed.arff", arff), r"mixed.arff': label column 'c': labels mix")
    # all numbers: sorted numerically, 1 and 1.0 one class; all names: sorted as strings
    numbers = load_source(_write(tmp_path / "n.csv", "a,y\n1,10\n2,1.0\n3,2\n4,1\n"))
    assert numbers.class_names == ["1", "2", "10"] and numbers.y.tolist() == [2, 0, 1, 0]


def test_integer_labels_beyond_int64(tmp_path):
    big = "99999999999999999999999"
    data = load_source(_write(tmp_path / "big.csv", f"a,y\n1,{big}\n2,1\n3,{big}\n"))
    assert data.class_names == ["1", big] and data.y.tolist() == [1, 0, 1]


# --------------------------------------------------------------------------- CSV


def test_csv_field_longer_than_the_limit(tmp_path):
    file = _write(tmp_path / "long.csv", "a,y\n1," + "x" * 200_000 + "\n2,1\n")
    _fails(file, r"long.csv': line 2: a field of 200000 characters, more than 131072")
    old = csv.field_size_limit(1000)  # the csv module's own error, when its limit is lower
    try:
        _fails(
            _write(tmp_path / "mid.csv", "a,y\n1," + "x" * 5000 + "\n2,1\n"),
            r"mid.csv': line 2: malformed CSV: field larger than field limit \(1000\)",
        )
    finally:
        csv.field_size_limit(old)


def test_csv_nul_and_unclosed_quote(tmp_path):
    (tmp_path / "nul.csv").write_bytes(b"a,y\n1,\x000\n2,1\n")
    _fails(tmp_path / "nul.csv", r"nul.csv': line 2 holds a NUL character; not a text file")
    quote = _write(tmp_path / "quote.csv", 'a,y\n1,"0\n2,1\n3,0\n')
    _fails(quote, r"quote.csv': line 4: malformed CSV: unexpected end of data")
    _fails(_write(tmp_path / "after.csv", 'a,y\n1,"0"x\n'), r"after.csv': line 2: malformed CSV")


# --------------------------------------------------------------------------- paths


def test_named_pipes_are_refused_at_once(tmp_path):
    for name in ("pipe.csv", "pipe.h5", "pipe.npz", "pipe.arff"):
        os.mkfifo(tmp_path / name)
        _fails(tmp_path / name, rf"{name}' is a named pipe \(FIFO\), not a regular file")
    root = tmp_path / "pictures"
    root.mkdir()
    Image.new("RGB", (2, 2)).save(root / "a.png")
    os.mkfifo(root / "b.png")
    _write(root / "labels.csv", "file,labels\na.png,x\nb.png,y\n")
    _fails(root, r"labels.csv': line 3: image file .*b.png' is a named pipe", manifest="labels.csv")
    os.mkfifo(root / "fifo.csv")
    _fails(root, r"manifest .*fifo.csv' is a named pipe", manifest="fifo.csv")
    with pytest.raises(DataError, match=r"image file .*b.png' is a named pipe"):
        ImageFiles([root / "b.png"], 2)[0]
    with pytest.raises(DataError, match=r"HDF5 file .*pipe.h5' is a named pipe"):
        HDF5Rows(tmp_path / "pipe.h5", "X")


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_devices_are_refused_at_once(tmp_path):
    _fails("/dev/zero", r"'/dev/zero' is a character device, not a regular file")
    os.symlink("/dev/zero", tmp_path / "zeros.csv")  # read_text would never end
    _fails(tmp_path / "zeros.csv", r"zeros.csv' is a character device")


def test_symlink_loop_and_dangling_symlink(tmp_path):
    os.symlink(tmp_path / "loop.csv", tmp_path / "loop.csv")
    _fails(tmp_path / "loop.csv", r"cannot access .*loop.csv': Too many levels of symbolic links")
    os.symlink(tmp_path / "nowhere.csv", tmp_path / "link.csv")
    _fails(tmp_path / "link.csv", r"link.csv' does not exist \(a symbolic link to nothing\)")


def test_directory_where_a_file_is_expected_and_the_reverse(tmp_path):
    for name, kind in [("d.csv", "a CSV file"), ("d.h5", "an HDF5 file"), ("d.npz", "an .npz")]:
        (tmp_path / name).mkdir()
        _fails(tmp_path / name, rf"{name}' is a directory, not {kind}")
    root = tmp_path / "pictures"
    (root / "labels.csv").mkdir(parents=True)
    Image.new("RGB", (2, 2)).save(root / "a.png")
    _fails(root, r"manifest .*labels.csv' is a directory, not a file", manifest="labels.csv")
    (root / "sub").mkdir()
    _write(root / "m.csv", "file,labels\nsub,x\n")
    _fails(root, r"m.csv': line 2: image file .*sub' is a directory, not a file", manifest="m.csv")
    table = _write(tmp_path / "t.csv", "a,y\n1,0\n2,1\n")
    with pytest.raises(ValueError, match=r"t.csv' is not a folder"):
        load_image_folder(table)
    _fails(table, r"option manifest does not apply to CSV file .*t.csv'", manifest="m.csv")
    with pytest.raises(DataError, match=r"HDF5 file .*d.h5' is a directory, not a file"):
        HDF5Rows(tmp_path / "d.h5", "X")


def test_available_memory_is_read_from_the_system():
    n = data_errors.available_memory()
    if os.path.exists("/proc/meminfo"):
        assert isinstance(n, int) and n > 0


# --------------------------------------------------------------------------- options


def test_options_of_the_wrong_type(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.ones((4, 2)), y=np.array([0, 1, 0, 1]))
    # these escaped as sklearn's InvalidParameterError, AttributeError and ValueError
    _fails(
        "moons",
        r"random_state must be an integer in \[0, 2\*\*32\) or None, got 'abc'",
        random_state="abc",
    )
    _fails("moons", r"random_state must be .*got -1", random_state=-1)
    _fails(tmp_path / "d.npz", r"x_key must be a string \(a dataset's name\), got 5", x_key=5)
    _fails(tmp_path, r"manifest must be a path, got 3", manifest=3)
    _fails("\x00", r"'\\x00' is not a valid path: it holds a NUL character")
    # "" was Path(""), the working folder, read as an image folder
    _fails("", r"a data source is a path or a built-in name, got an empty string")
    _fails(
        "shapes",
        r"size=100000 makes images of 10000000000 pixels, more than Pillow's",
        size=100_000,
    )


# --------------------------------------------------------------------------- found by fuzzing


def test_npz_labels_of_no_columns(tmp_path):
    # escaped as numpy's "need at least one array to concatenate"
    np.savez(tmp_path / "d.npz", X=np.ones((2, 3)), y=np.zeros((2, 0)))
    _fails(tmp_path / "d.npz", r"d.npz': 'y' of shape \(2, 0\) holds no labels")


def test_labels_that_are_not_utf8(tmp_path):
    # escaped as UnicodeDecodeError
    np.savez(tmp_path / "d.npz", X=np.ones((2, 3)), y=np.array([[b"\x80", b"1"], [b"0", b"1"]]))
    _fails(tmp_path / "d.npz", r"d.npz': label column 'y\[:, 0\]' holds '\ufffd' in row 1")


def test_corrupt_hdf5_objects_are_read_errors(tmp_path, monkeypatch):
    """h5py raises KeyError, TypeError ... for a damaged object header, datatype or
    name; each is one DataReadError naming the file (here h5py is made to raise them,
    as fuzzed files did)."""
    with h5py.File(tmp_path / "d.h5", "w") as f:
        f["X"], f["y"] = np.ones((4, 2)), np.array([0, 1, 0, 1])
    real_getitem = h5py.Group.__getitem__
    for error in (
        KeyError("Unable to synchronously open object (invalid dataset size)"),
        TypeError("No NumPy equivalent for TypeBitfieldID exists"),
        ValueError("Invalid dataset identifier"),
    ):

        def broken(self, name, error=error):
            if name == "X":
                raise error
            return real_getitem(self, name)

        monkeypatch.setattr(h5py.Group, "__getitem__", broken)
        with pytest.raises(DataError, match=r"HDF5 file .*d.h5' \(truncated or corrupt") as err:
            load_source(tmp_path / "d.h5")
        assert isinstance(err.value, OSError)
    monkeypatch.undo()

    real_visititems = h5py.Group.visititems

    def bytes_names(self, func):  # h5py gives names that are not UTF-8 as bytes
        return real_visititems(self, lambda name, obj: func(name.encode() + b"\xff", obj))

    monkeypatch.setattr(h5py.Group, "visititems", bytes_names)
    # was: TypeError comparing str and bytes while listing the keys
    _fails(tmp_path / "d.h5", r"d.h5': no features found: the file holds X\ufffd, y\ufffd")


def test_multilabel_columns_without_names_or_with_one_name_twice(tmp_path):
    # gave class_names ['', ''] (two labels no one can tell apart)
    nameless = _write(tmp_path / "nameless.csv", ",x2,,\n0.5,1,1,0\n2,3,0,1\n")
    _fails(nameless, r"nameless.csv': label column 1 of 2 has no name", labels="last:2")
    twice = _write(tmp_path / "twice.csv", "x1,x2,sun,sun\n0.5,1,1,0\n2,3,0,1\n")
    _fails(twice, r"twice.csv': label columns 'sun' appear more than once", labels="last:2")
