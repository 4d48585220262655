"""Loaders behind ``logitlab train --data SRC``: built-ins, images, HDF5, CSV, ARFF, NPZ."""

import re

import h5py
import numpy as np
import pytest
from PIL import Image
from sklearn.preprocessing import StandardScaler

from logitlab import LogisticRegression, SoftmaxRegression
from logitlab.data import DataError, LoadedData, align, builtin_names, load_source, split

# --------------------------------------------------------------------------- built-ins


@pytest.mark.parametrize(
    "name, task, shape, n_classes",
    [
        ("digits", "multiclass", (1797, 64), 10),
        ("breast_cancer", "binary", (569, 30), 2),
        ("iris", "multiclass", (150, 4), 3),
        ("moons", "binary", (500, 2), 2),
        ("blobs", "multiclass", (500, 2), 3),
    ],
)
def test_builtin_tables(name, task, shape, n_classes):
    data = load_source(name)
    assert isinstance(data, LoadedData)
    assert data.task == task and data.X.shape == shape and data.X.dtype == np.float64
    assert data.y.shape == (shape[0],) and len(data.class_names) == n_classes
    assert set(np.unique(data.y)) == set(range(n_classes))
    assert data.source == name and data.files is None
    assert len(data.feature_names) == shape[1]
    if name in ("moons", "blobs"):
        assert data.feature_names == ["x1", "x2"]
    if name == "digits":
        assert data.image_shape == (8, 8, 1) and data.X.min() == 0 and data.X.max() == 1
    else:
        assert data.image_shape is None


@pytest.mark.parametrize(
    "name, task, y_shape",
    [
        ("shapes", "multiclass", (600,)),
        ("shapes-multiclass", "multiclass", (600,)),
        ("shapes-binary", "binary", (600,)),
        ("shapes:multilabel", "multilabel", (600, 3)),
    ],
)
def test_builtin_shapes_variants(name, task, y_shape):
    data = load_source(name, size=12)
    assert data.task == task and data.y.shape == y_shape
    assert data.X.shape == (600, 12 * 12 * 3) and data.image_shape == (12, 12, 3)
    assert 0 <= data.X.min() and data.X.max() <= 1
    if task == "binary":
        assert data.class_names == ["no circle", "circle"] and data.y.mean() == 0.5
    else:
        assert data.class_names == ["circle", "square", "triangle"]
    if task == "multilabel":
        assert set(np.unique(data.y)) == {0, 1} and (data.y.sum(axis=1) >= 1).all()
        assert (data.y.sum(axis=1) > 1).any()
    if task == "multiclass":
        np.testing.assert_array_equal(np.bincount(data.y), [200, 200, 200])


def test_builtin_shapes_default_size_and_grayscale():
    data = load_source("shapes")
    assert data.X.shape == (600, 64 * 64 * 3) and data.image_shape == (64, 64, 3)
    gray = load_source("shapes-binary", size=8, color="grayscale")
    assert gray.X.shape == (600, 64) and gray.image_shape == (8, 8, 1)


def test_builtin_names_lists_every_builtin_and_they_all_load():
    names = builtin_names()
    assert {
        "digits",
        "breast_cancer",
        "iris",
        "moons",
        "blobs",
        "shapes",
        "shapes-binary",
        "shapes-multiclass",
        "shapes-multilabel",
    } <= set(names)
    assert all(isinstance(v, str) and v for v in names.values())
    for name in names:
        load_source(name, size=8)


def test_shapes_are_deterministic_for_a_seed():
    a = load_source("shapes-multilabel", size=10, random_state=3)
    b = load_source("shapes:multilabel", size=10, random_state=3)
    c = load_source("shapes-multilabel", size=10, random_state=4)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.X, c.X)
    moons1, moons2 = load_source("moons", random_state=1), load_source("moons", random_state=2)
    assert not np.array_equal(moons1.X, moons2.X)


def _accuracy(model, data, random_state=0):
    train, test = split(data, test_size=0.25, random_state=random_state)
    scaler = StandardScaler().fit(train.X)
    model.fit(scaler.transform(train.X), train.y)
    return model.score(scaler.transform(test.X), test.y)


def test_shapes_binary_is_learnable_by_logistic_regression():
    data = load_source("shapes-binary", size=16)
    acc = _accuracy(LogisticRegression(alpha=10.0, max_iter=200, random_state=0), data)
    assert 0.62 < acc < 0.99, acc  # chance is 0.5; not trivial either


def test_shapes_multiclass_is_learnable_by_softmax_regression():
    data = load_source("shapes", size=16)
    acc = _accuracy(SoftmaxRegression(alpha=10.0, max_iter=200, random_state=0), data)
    assert 0.5 < acc < 0.99, acc  # chance is 1/3


# --------------------------------------------------------------------------- HDF5


def _course_files(tmp_path, m_train=10, m_test=4):
    rng = np.random.default_rng(0)
    files = {}
    for prefix, m in (("train", m_train), ("test", m_test)):
        x = rng.integers(0, 256, size=(m, 4, 4, 3), dtype=np.uint8)
        y = (np.arange(m) % 2).reshape(1, m)  # the course stores (1, m) labels
        file = tmp_path / f"{prefix}_catvnoncat.h5"
        with h5py.File(file, "w") as f:
            f.create_dataset(f"{prefix}_set_x", data=x)
            f.create_dataset(f"{prefix}_set_y", data=y)
            f.create_dataset("list_classes", data=[b"non-cat", b"cat"])
        files[prefix] = (file, x, y.ravel())
    return files


def test_course_hdf5_train_and_test_files(tmp_path):
    files = _course_files(tmp_path)
    file, x, y = files["train"]
    data = load_source(file)
    assert data.task == "binary" and data.class_names == ["non-cat", "cat"]
    assert data.X.shape == (10, 48) and data.image_shape == (4, 4, 3)
    np.testing.assert_allclose(data.X, x.reshape(10, -1) / 255)
    np.testing.assert_array_equal(data.y, y)
    test_file, x_test, y_test = files["test"]
    test = load_source(test_file)
    np.testing.assert_allclose(test.X, x_test.reshape(4, -1) / 255)
    train, test2 = split(data, test=test_file)
    assert train is data and test2.class_names == ["non-cat", "cat"]
    np.testing.assert_array_equal(test2.y, y_test)


def test_generic_hdf5_with_keys(tmp_path):
    file = tmp_path / "generic.hdf5"
    X = np.arange(24, dtype=np.float32).reshape(4, 2, 3)
    with h5py.File(file, "w") as f:
        f.create_dataset("features", data=X)
        f.create_dataset("group/targets", data=np.array([[1], [0], [2], [1]]))
    data = load_source(file, x_key="features", y_key="group/targets")
    assert data.X.shape == (4, 6) and data.task == "multiclass" and data.image_shape is None
    np.testing.assert_array_equal(data.X, X.reshape(4, 6))
    np.testing.assert_array_equal(data.y, [1, 0, 2, 1])
    assert data.class_names == ["0", "1", "2"]
    with pytest.raises(DataError, match=r"no dataset 'labels'.*features, group/targets"):
        load_source(file, x_key="features", y_key="labels")
    with pytest.raises(DataError, match=r"no features found.*features, group/targets"):
        load_source(file)


def test_hdf5_multilabel_and_bad_labels(tmp_path):
    file = tmp_path / "ml.h5"
    Y = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0]])
    with h5py.File(file, "w") as f:
        f.create_dataset("X", data=np.ones((3, 2)))
        f.create_dataset("y", data=Y)
    data = load_source(file)
    assert data.task == "multilabel" and data.class_names == ["label0", "label1", "label2"]
    np.testing.assert_array_equal(data.y, Y)
    with h5py.File(file, "w") as f:
        f.create_dataset("train_set_x", data=np.zeros((3, 2, 2, 3), np.uint8))
        f.create_dataset("train_set_y", data=np.array([[0, 1, 2]]))
        f.create_dataset("list_classes", data=[b"non-cat", b"cat"])
    with pytest.raises(DataError, match=r"label 2 \(row 3 of 'train_set_y'\) is not a class index"):
        load_source(file)


def test_hdf5_corrupt_file_named(tmp_path):
    file, _, _ = _course_files(tmp_path)["train"]
    data = file.read_bytes()
    file.write_bytes(data[: len(data) // 3])
    with pytest.raises(DataError, match=re.escape(str(file))):
        load_source(file)
    bogus = tmp_path / "bogus.h5"
    bogus.write_bytes(b"this is not HDF5")
    with pytest.raises(DataError, match="bogus.h5.*not HDF5"):
        load_source(bogus)


# --------------------------------------------------------------------------- CSV


def _write(path, text):
    path.write_text(text)
    return path


def test_csv_string_labels_default_last_column(tmp_path):
    file = _write(
        tmp_path / "pets.csv",
        "weight,height,animal\n4,25,cat\n30,60,dog\n3.5,23,cat\n9,30,rabbit\n",
    )
    data = load_source(file)
    assert data.task == "multiclass" and data.class_names == ["cat", "dog", "rabbit"]
    np.testing.assert_array_equal(data.y, [0, 1, 0, 2])
    np.testing.assert_array_equal(data.X, [[4, 25], [30, 60], [3.5, 23], [9, 30]])
    assert data.feature_names == ["weight", "height"] and data.source == str(file)
    binary = load_source(file, positive="dog")
    assert binary.task == "binary" and binary.class_names == ["not dog", "dog"]
    np.testing.assert_array_equal(binary.y, [0, 1, 0, 0])


def test_csv_labels_by_name_and_integer_labels(tmp_path):
    file = _write(tmp_path / "d.csv", "a,label,b\n1,2,3\n4,5,6\n7,2,9\n")
    data = load_source(file, labels="label")
    assert data.feature_names == ["a", "b"] and data.task == "binary"
    np.testing.assert_array_equal(data.X, [[1, 3], [4, 6], [7, 9]])
    np.testing.assert_array_equal(data.y, [0, 1, 0])
    assert data.class_names == ["2", "5"]


def test_csv_multilabel_last_n_and_names(tmp_path):
    file = _write(tmp_path / "ml.csv", "x1,x2,sun,rain\n0.5,1,1,0\n2,3,0,1\n4,5,1,1\n6,7,0,0\n")
    data = load_source(file, labels="last:2")
    assert data.task == "multilabel" and data.class_names == ["sun", "rain"]
    np.testing.assert_array_equal(data.y, [[1, 0], [0, 1], [1, 1], [0, 0]])
    assert data.feature_names == ["x1", "x2"]
    same = load_source(file, labels="sun, rain")
    np.testing.assert_array_equal(same.y, data.y)
    swapped = load_source(file, labels=["rain", "sun"])
    np.testing.assert_array_equal(swapped.y, data.y[:, ::-1])
    bad = _write(tmp_path / "bad.csv", "x,a,b\n1,0,1\n2,1,2\n")
    with pytest.raises(DataError, match=r"label column 'b' holds '2' in row 2"):
        load_source(bad, labels="last:2")


def test_csv_errors_name_column_value_and_row(tmp_path):
    file = _write(tmp_path / "d.csv", "a,b,y\n1,2,0\n3,oops,1\n")
    with pytest.raises(
        DataError, match=r"column 'b' is not numeric: value 'oops' in row 2 \(line 3\)"
    ):
        load_source(file)
    file = _write(tmp_path / "n.csv", "a,b,y\n1,2,0\n3,4,1\n5,nan,1\n")
    with pytest.raises(DataError, match=r"column 'b' holds nan in row 3"):
        load_source(file)
    file = _write(tmp_path / "i.csv", "a,b,y\n1,inf,0\n3,4,1\n")
    with pytest.raises(DataError, match=r"column 'b' holds inf in row 1"):
        load_source(file)
    file = _write(tmp_path / "h.csv", "1,2,0\n3,4,1\n")
    with pytest.raises(DataError, match="header row"):
        load_source(file)
    file = _write(tmp_path / "u.csv", "a,b,y\n1,2,0\n3,4,1\n")
    with pytest.raises(
        DataError, match=r"no label column\(s\) 'target', 'z'; available columns: a, b, y"
    ):
        load_source(file, labels="target,z")
    with pytest.raises(DataError, match=r"every example is of class '0'"):
        load_source(_write(tmp_path / "one.csv", "a,y\n1,0\n2,0\n"))
    with pytest.raises(DataError, match=r"line 3 has 2 fields"):
        load_source(_write(tmp_path / "r.csv", "a,b,y\n1,2,0\n3,4\n"))
    with pytest.raises(DataError, match=r"positive='bird' is not one of the classes: 0, 1"):
        load_source(file, positive="bird")


# --------------------------------------------------------------------------- ARFF

_ARFF = """% a MULAN-style multi-label data set
@relation 'toy'

@attribute Att1 numeric
@attribute Att2 numeric
@attribute Att3 real
@attribute Class1 {0,1}
@attribute Class2 {0,1}
@attribute Class3 {0,1}

@data
0.093700,0.139771,-0.5,0,1,1
-0.022711,-0.050504,1e-3,1,0,0
2.5,3,4,0,0,1
1,2,3,1,1,0
"""
_CSV = """Att1,Att2,Att3,Class1,Class2,Class3
0.093700,0.139771,-0.5,0,1,1
-0.022711,-0.050504,1e-3,1,0,0
2.5,3,4,0,0,1
1,2,3,1,1,0
"""


def test_arff_mulan_labels_detected_and_equal_to_csv(tmp_path):
    arff = load_source(_write(tmp_path / "toy.arff", _ARFF))
    csv = load_source(_write(tmp_path / "toy.csv", _CSV), labels="last:3")
    assert arff.task == csv.task == "multilabel"
    assert arff.class_names == csv.class_names == ["Class1", "Class2", "Class3"]
    assert arff.feature_names == csv.feature_names == ["Att1", "Att2", "Att3"]
    np.testing.assert_array_equal(arff.X, csv.X)
    np.testing.assert_array_equal(arff.y, csv.y)
    assert arff.y.dtype.kind == "i"
    np.testing.assert_array_equal(arff.y, [[0, 1, 1], [1, 0, 0], [0, 0, 1], [1, 1, 0]])
    # labels given explicitly, and MEKA's -C option in the relation name
    two = load_source(tmp_path / "toy.arff", labels="Class2,Class3")
    assert two.feature_names == ["Att1", "Att2", "Att3", "Class1"]
    meka = load_source(_write(tmp_path / "meka.arff", _ARFF.replace("'toy'", "'toy: -C -2'")))
    assert meka.class_names == ["Class2", "Class3"] and meka.n_features == 4


def test_arff_nominal_class(tmp_path):
    text = (
        "@relation pets\n@attribute w numeric\n@attribute h numeric\n"
        "@attribute animal {cat,dog,rabbit}\n@data\n4,25,cat\n30,60,dog\n9,30,rabbit\n3,20,cat\n"
    )
    data = load_source(_write(tmp_path / "pets.arff", text))
    assert data.task == "multiclass" and data.class_names == ["cat", "dog", "rabbit"]
    np.testing.assert_array_equal(data.y, [0, 1, 2, 0])
    binary = "@relation b\n@attribute w numeric\n@attribute c {0,1}\n@data\n1,0\n2,1\n"
    data = load_source(_write(tmp_path / "b.arff", binary))
    assert data.task == "binary" and data.class_names == ["0", "1"] and data.X.shape == (2, 1)


def test_arff_missing_feature_value_is_named(tmp_path):
    text = _ARFF.replace("2.5,3,4,0,0,1", "2.5,?,4,0,0,1")
    with pytest.raises(DataError, match=r"column 'Att2' holds nan in row 3"):
        load_source(_write(tmp_path / "missing.arff", text))


def test_arff_errors_name_the_file(tmp_path):
    bad = _write(
        tmp_path / "bad.arff", "@relation r\n@attribute a numeric\n@attribute c {x,y}\n@data\n1,z\n"
    )
    with pytest.raises(DataError, match=r"cannot parse ARFF file .*bad.arff.*z value not in"):
        load_source(bad)
    with pytest.raises(DataError, match=r"no label column\(s\) 'Nope'.*Att1, Att2"):
        load_source(_write(tmp_path / "t.arff", _ARFF), labels="Nope")


# --------------------------------------------------------------------------- NPZ


def test_npz_default_and_custom_keys(tmp_path):
    X = np.random.default_rng(0).random((6, 3))
    np.savez(tmp_path / "d.npz", X=X, y=np.array(["a", "b", "a", "c", "b", "c"]))
    data = load_source(tmp_path / "d.npz")
    np.testing.assert_array_equal(data.X, X)
    assert data.class_names == ["a", "b", "c"] and data.task == "multiclass"
    np.testing.assert_array_equal(data.y, [0, 1, 0, 2, 1, 2])
    images = np.zeros((4, 5, 5, 3), np.uint8)
    images[1::2] = 255
    np.savez(tmp_path / "img.npz", pics=images, targets=np.array([0, 1, 0, 1]))
    data = load_source(tmp_path / "img.npz", x_key="pics", y_key="targets")
    assert data.image_shape == (5, 5, 3) and data.X.max() == 1 and data.task == "binary"
    with pytest.raises(DataError, match=r"no dataset 'X'.*pics, targets"):
        load_source(tmp_path / "img.npz", x_key="X", y_key="targets")
    np.savez(tmp_path / "obj.npz", X=np.array([[1, None]], dtype=object), y=np.array([0]))
    with pytest.raises(DataError, match="obj.npz"):
        load_source(tmp_path / "obj.npz")


# --------------------------------------------------------------------------- images


def _image_folder(root, classes=("cat", "dog", "other"), n=3):
    for k, name in enumerate(classes):
        (root / name).mkdir(parents=True)
        for i in range(n):
            Image.new("RGB", (10, 8), (80 * k, 20 * i, 200)).save(root / name / f"{i}.png")
    return root


def test_image_folder_and_positive(tmp_path):
    root = _image_folder(tmp_path / "photos")
    data = load_source(root, size=4)
    assert data.task == "multiclass" and data.class_names == ["cat", "dog", "other"]
    assert data.X.shape == (9, 48) and data.image_shape == (4, 4, 3)
    assert data.files[3].endswith("dog/0.png") and len(data.files) == 9
    binary = load_source(root, size=4, positive="dog")
    assert binary.task == "binary" and binary.class_names == ["not dog", "dog"]
    np.testing.assert_array_equal(binary.y, [0, 0, 0, 1, 1, 1, 0, 0, 0])
    with pytest.raises(
        DataError, match=r"positive='bird' is not one of the classes: cat, dog, other"
    ):
        load_source(root, positive="bird")
    gray = load_source(root, size=4, color="grayscale")
    assert gray.X.shape == (9, 16) and gray.image_shape == (4, 4, 1)


def test_image_folder_with_manifest(tmp_path):
    root = tmp_path / "pics"
    root.mkdir()
    for i in range(4):
        Image.new("RGB", (6, 6), (60 * i, 0, 0)).save(root / f"p{i}.png")
    (root / "labels.csv").write_text(
        "file,labels\np0.png,cat;dog\np1.png,dog\np2.png,\np3.png,baby chick;cat\n"
    )
    data = load_source(root, size=3, manifest="labels.csv")
    assert data.task == "multilabel" and data.class_names == ["baby chick", "cat", "dog"]
    np.testing.assert_array_equal(data.y, [[0, 1, 1], [0, 0, 1], [0, 0, 0], [1, 1, 0]])
    assert data.X.shape == (4, 27) and [f[-6:] for f in data.files] == [
        f"p{i}.png" for i in range(4)
    ]
    (root / "bad.csv").write_text("file,labels\np0.png,cat\nmissing.png,dog\n")
    with pytest.raises(DataError, match=r"line 3: image file .*missing.png.* does not exist"):
        load_source(root, manifest=root / "bad.csv")
    with pytest.raises(DataError, match="manifest 'nope.csv' does not exist"):
        load_source(root, manifest="nope.csv")
    # split with a test folder: its manifest of the same name is used
    test_root = tmp_path / "test_pics"
    test_root.mkdir()
    Image.new("RGB", (6, 6), (9, 9, 9)).save(test_root / "q.png")
    with pytest.raises(DataError, match="test folder .*test_pics.* has no manifest 'labels.csv'"):
        split(data, test=test_root)
    (test_root / "labels.csv").write_text("file,labels\nq.png,dog;cat\n")
    _, test = split(data, test=test_root)
    assert test.class_names == data.class_names
    np.testing.assert_array_equal(test.y, [[0, 1, 1]])


def test_image_folder_errors(tmp_path):
    with pytest.raises(DataError, match="no sub-folders"):
        load_source(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="empty.*holds no image files"):
        load_source(tmp_path)
    (tmp_path / "empty" / "broken.jpg").write_bytes(b"not a jpeg at all")
    with pytest.raises(DataError, match=r"cannot read image file .*broken\.jpg"):
        load_source(tmp_path)


def test_missing_path_and_unsupported_extension(tmp_path):
    with pytest.raises(DataError, match=r"does not exist"):
        load_source(tmp_path / "nothing.csv")
    with pytest.raises(
        DataError, match=r"'digitz' does not exist \(and is not a built-in data set: digits"
    ):
        load_source("digitz")
    (tmp_path / "data.xlsx").write_bytes(b"PK")
    with pytest.raises(DataError, match=r"data.xlsx.*unsupported data source"):
        load_source(tmp_path / "data.xlsx")
    with pytest.raises(DataError, match=r"option labels does not apply to HDF5 file"):
        load_source(_course_files(tmp_path)["train"][0], labels="y")


# --------------------------------------------------------------------------- split


def test_split_stratified_keeps_metadata(tmp_path):
    root = _image_folder(tmp_path / "photos", n=5)
    data = load_source(root, size=4)
    train, test = split(data, test_size=0.4, random_state=1)
    assert train.n_samples + test.n_samples == 15
    np.testing.assert_array_equal(np.bincount(test.y), [2, 2, 2])
    for part in (train, test):
        assert part.image_shape == (4, 4, 3) and part.class_names == data.class_names
        assert len(part.files) == part.n_samples
        for row, file in zip(part.X, part.files):
            np.testing.assert_array_equal(row, data.X[data.files.index(file)])
    a, b = split(data, test_size=0.4, random_state=1)
    np.testing.assert_array_equal(a.X, train.X)
    ml = load_source("shapes-multilabel", size=6)
    ml_train, ml_test = split(ml, test_size=0.25)
    assert ml_test.y.shape == (150, 3) and ml_train.task == "multilabel"


def test_split_with_a_test_source(tmp_path):
    train_csv = _write(tmp_path / "train.csv", "a,b,y\n1,2,cat\n3,4,dog\n5,6,fish\n")
    test_csv = _write(tmp_path / "test.csv", "a,b,y\n7,8,fish\n9,9,cat\n")  # fewer classes
    train, test = split(load_source(train_csv), test=test_csv)
    assert test.class_names == ["cat", "dog", "fish"] and test.task == "multiclass"
    np.testing.assert_array_equal(test.y, [2, 0])
    wide = _write(tmp_path / "wide.csv", "a,b,c,y\n1,2,3,cat\n")
    with pytest.raises(
        DataError, match=r"wide.csv' has column\(s\) 'c' that .*train.csv' does not"
    ):
        split(load_source(train_csv), test=wide)
    unknown = _write(tmp_path / "unknown.csv", "a,b,y\n1,2,bird\n")
    with pytest.raises(DataError, match="'bird' unknown to"):
        split(train_csv, test=unknown)
    # the same options: a manifest of the same name in the test folder, and positive=
    photos = _image_folder(tmp_path / "photos")
    tr, te = split(load_source(photos, size=4, positive="cat"), test=photos)
    assert te.class_names == ["not cat", "cat"] and te.X.shape == (9, 48)


def test_align_reorders_multilabel_columns():
    data = load_source("shapes-multilabel", size=6)
    other = data.subset(np.arange(5))
    other.y = other.y[:, ::-1]
    other.class_names = other.class_names[::-1]
    np.testing.assert_array_equal(align(other, data).y, data.y[:5])


# --------------------------------------------------------------------------- real data


def test_yeast_arff_and_csv_agree(shared_data):
    folder = shared_data / "yeast"
    if not folder.is_dir():
        pytest.skip(f"yeast data not found at {folder}")
    header = (folder / "yeast-train.csv").read_text().split("\n", 1)[0].split(",")
    assert header[-14:] == [f"Class{i}" for i in range(1, 15)]
    arff = load_source(folder / "yeast-train.arff")
    csv = load_source(folder / "yeast-train.csv", labels="last:14")
    assert arff.X.shape == csv.X.shape == (1500, 103)
    assert arff.y.shape == csv.y.shape == (1500, 14)
    assert arff.task == csv.task == "multilabel"
    assert arff.class_names == csv.class_names == header[-14:]
    np.testing.assert_array_equal(arff.X, csv.X)
    np.testing.assert_array_equal(arff.y, csv.y)
    _, test = split(arff, test=folder / "yeast-test.arff")
    assert test.X.shape == (917, 103) and test.y.shape == (917, 14)
