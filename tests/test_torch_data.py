"""torch_engine.data: Dataset classes (arrays, HDF5, image folders) and make_loader."""

import os
import pickle
import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the torch engine's data loading needs PyTorch")
h5py = pytest.importorskip("h5py", reason="HDF5Dataset needs h5py")

from PIL import Image  # noqa: E402
from torch.utils.data import Dataset, DistributedSampler, get_worker_info  # noqa: E402

from logitlab.data import load_image_folder  # noqa: E402
from logitlab.torch_engine.data import (  # noqa: E402
    ArrayDataset,
    HDF5Dataset,
    ImageFolderDataset,
    make_loader,
    set_epoch,
)

# ----------------------------------------------------------------------------- helpers


def _course_h5(path, m=20, *, seed=0, y=None, **x_options):
    """An HDF5 file in the notes' format: train_set_x (m, 8, 8, 3) uint8, train_set_y
    (m,) int, list_classes (bytes)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, size=(m, 8, 8, 3), dtype=np.uint8)
    y = rng.integers(0, 2, size=m) if y is None else y
    with h5py.File(path, "w") as f:
        f.create_dataset("train_set_x", data=x, **x_options)
        f.create_dataset("train_set_y", data=y)
        f.create_dataset("list_classes", data=np.array([b"non-cat", b"cat"]))
    return path


def _read_h5_directly(path):
    with h5py.File(path, "r") as f:
        x = f["train_set_x"][:]
        y = f["train_set_y"][:]
    return (x.reshape(len(x), -1) / 255.0).astype(np.float32), y


def _order(loader):
    """The example ids a loader yields in one epoch (x holds the id as its feature)."""
    return [int(v) for xb, _ in loader for v in xb[:, 0]]


def _id_dataset(n):
    return ArrayDataset(np.arange(n, dtype=np.float32)[:, None], np.arange(n) % 3)


def _tag_with_worker_handle(x):
    """transform run inside the workers: append this process's id and whether the
    dataset's open handle was opened by this very process."""
    info = get_worker_info()
    if info is None:  # in the main process
        return torch.cat([x, torch.tensor([float(os.getpid()), -1.0])])
    handle = info.dataset.X.handle  # None unless this very process opened it
    own = handle is not None and bool(handle.id.valid)
    return torch.cat([x, torch.tensor([float(os.getpid()), float(own)])])


class _NumpyDraws(Dataset):
    """Each item: one draw from NumPy's global generator (seeded per worker)."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        return torch.tensor([float(np.random.randint(2**31)), float(get_worker_info().id)])


def _images(root, classes=("cat", "dog", "emu"), n=3, seed=0):
    """Noise images of varied sizes and modes (RGB, RGBA, palette, grayscale)."""
    rng = np.random.default_rng(seed)
    for k, name in enumerate(classes):
        (root / name).mkdir(parents=True)
        for i in range(n):
            h, w = 7 + 3 * i, 11 + 2 * k
            rgb = rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
            im = Image.fromarray(rgb)
            if i == 1:
                im = im.convert("RGBA")
            elif i == 2:
                im = im.convert("P")
            if k == 2 and i == 0:
                im = im.convert("L")
            im.save(root / name / f"{i}.png")
    return root


# ----------------------------------------------------------------------------- ArrayDataset


def test_array_dataset_items_lengths_and_dtypes():
    X = np.arange(15, dtype=np.float32).reshape(5, 3)
    ds = ArrayDataset(X, [0, 2, 1, 1, 0])
    assert len(ds) == 5 and ds.n_features == 3
    x, y = ds[2]
    assert x.dtype == torch.float32 and x.shape == (3,) and x.tolist() == [6.0, 7.0, 8.0]
    assert y.dtype == torch.int64 and y.shape == () and int(y) == 1
    assert ds[-1][0].tolist() == [12.0, 13.0, 14.0]
    # zero-copy for an array of the right dtype: the tensor sees changes to X
    assert np.shares_memory(ds.X.numpy(), X)
    X[0, 0] = 99.0
    assert ds[0][0][0] == 99.0

    # float64 in, float32 (the default) out: a converted copy; dtype=float64 keeps it
    X64 = np.linspace(0, 1, 10).reshape(5, 2)
    assert ArrayDataset(X64).X.dtype == torch.float32
    assert not np.shares_memory(ArrayDataset(X64).X.numpy(), X64)
    d64 = ArrayDataset(X64, dtype=torch.float64)
    assert d64.X.dtype == torch.float64 and np.shares_memory(d64.X.numpy(), X64)

    # indicators: float labels of dtype, shape (n_labels,)
    Y = np.array([[1, 0, 1], [0, 0, 1], [1, 1, 0], [0, 1, 0], [0, 0, 0]])
    x, y = ArrayDataset(X, Y)[2]
    assert y.dtype == torch.float32 and y.tolist() == [1.0, 1.0, 0.0]
    # no labels: x alone
    only_x = ArrayDataset(X)
    assert only_x.y is None and torch.equal(only_x[1], torch.tensor([3.0, 4.0, 5.0]))
    # integral float labels are class indices
    assert ArrayDataset(X, np.array([0.0, 1, 2, 1, 0])).y.dtype == torch.int64


def test_array_dataset_errors():
    X = np.zeros((4, 2))
    with pytest.raises(ValueError, match=r"shape \(n_samples, n_features\).*\(4,\)"):
        ArrayDataset(np.zeros(4))
    with pytest.raises(ValueError, match="4 examples but y holds 3"):
        ArrayDataset(X, [0, 1, 0])
    with pytest.raises(ValueError, match="integer class indices"):
        ArrayDataset(X, [0, 0.5, 1, 0])
    with pytest.raises(ValueError, match=">= 0"):
        ArrayDataset(X, [0, -1, 1, 0])
    with pytest.raises(ValueError, match="floating torch dtype"):
        ArrayDataset(X, dtype=torch.int32)
    with pytest.raises(IndexError, match="index 4 is out of range.*4 examples"):
        ArrayDataset(X)[4]


# ----------------------------------------------------------------------------- make_loader


def test_loader_covers_every_index_once_per_epoch():
    n = 23
    loader = make_loader(_id_dataset(n), batch_size=5, seed=3)
    epochs = [_order(loader) for _ in range(3)]
    for order in epochs:
        assert sorted(order) == list(range(n))
    assert epochs[0] != epochs[1] != epochs[2]  # a new order every epoch
    assert [len(xb) for xb, _ in loader] == [5, 5, 5, 5, 3]
    assert [len(xb) for xb, _ in make_loader(_id_dataset(n), 5, drop_last=True)] == [5] * 4
    assert _order(make_loader(_id_dataset(n), 5, shuffle=False)) == list(range(n))
    xb, yb = next(iter(make_loader(_id_dataset(n), 5, shuffle=False)))
    assert xb.shape == (5, 1) and yb.tolist() == [0, 1, 2, 0, 1]


def test_loader_seed_gives_the_order():
    ds = _id_dataset(40)
    a = make_loader(ds, 8, seed=7)
    b = make_loader(ds, 8, seed=7)
    assert [_order(a) for _ in range(2)] == [_order(b) for _ in range(2)]
    assert _order(make_loader(ds, 8, seed=7)) != _order(make_loader(ds, 8, seed=8))


def test_loader_settings_and_argument_checks():
    loader = make_loader(_id_dataset(4), 2)
    assert loader.pin_memory == torch.cuda.is_available()
    assert not loader.persistent_workers and loader.num_workers == 0
    with pytest.raises(ValueError, match="batch_size"):
        make_loader(_id_dataset(4), 0)
    with pytest.raises(ValueError, match="num_workers"):
        make_loader(_id_dataset(4), 2, num_workers=-1)
    with pytest.raises(ValueError, match="seed"):
        make_loader(_id_dataset(4), 2, seed=1.5)
    if not torch.distributed.is_initialized():
        with pytest.raises(RuntimeError, match="init_process_group"):
            make_loader(_id_dataset(4), 2, distributed=True)


def test_workers_seed_numpy_reproducibly():
    def draws(seed):
        loader = make_loader(_NumpyDraws(), 2, shuffle=False, seed=seed, num_workers=2)
        assert loader.persistent_workers
        return torch.cat(list(loader)).numpy()

    a, b, c = draws(0), draws(0), draws(1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a[:, 0], c[:, 0])
    by_worker = {w: a[a[:, 1] == w, 0] for w in (0, 1)}
    assert not np.array_equal(by_worker[0], by_worker[1])  # not one stream copied


def test_distributed_sampler_and_set_epoch(tmp_path):
    dist = torch.distributed
    if not dist.is_available():
        pytest.skip("torch.distributed is not available in this build")
    if dist.is_initialized():
        pytest.skip("a process group is already initialized")
    dist.init_process_group("gloo", init_method=(tmp_path / "pg").as_uri(), rank=0, world_size=1)
    try:
        ds = _id_dataset(17)
        loader = make_loader(ds, 4, seed=5)  # distributed=None: on, a group is up
        assert isinstance(loader.sampler, DistributedSampler)
        orders = []
        for epoch in range(2):
            assert set_epoch(loader, epoch)
            orders.append(_order(loader))
        assert all(sorted(o) == list(range(17)) for o in orders)
        assert orders[0] != orders[1]
        assert _order(loader) == orders[1]  # no set_epoch: the same order again
        again = make_loader(ds, 4, seed=5)
        set_epoch(again, 1)
        assert _order(again) == orders[1]
        assert not isinstance(make_loader(ds, 4, distributed=False).sampler, DistributedSampler)
    finally:
        dist.destroy_process_group()
    assert not set_epoch(make_loader(ds, 4), 0)


# ----------------------------------------------------------------------------- HDF5Dataset


def test_hdf5_items_match_h5py(tmp_path):
    file = _course_h5(tmp_path / "train.h5")
    X, y = _read_h5_directly(file)
    ds = HDF5Dataset(file, "train_set_x", "train_set_y")
    assert len(ds) == 20 and ds.shape == (20, 8, 8, 3) and ds.n_features == 192
    assert ds.X.handle is None  # nothing open until the first item
    for i in (0, 7, 19, -1):
        x, yi = ds[i]
        assert x.dtype == torch.float32 and x.shape == (192,)
        np.testing.assert_array_equal(x.numpy(), X[i])
        assert yi.dtype == torch.int64 and int(yi) == y[i]
    assert 0 <= X.min() and X.max() <= 1
    xb, yb = next(iter(make_loader(ds, 6, shuffle=False)))
    np.testing.assert_array_equal(xb.numpy(), X[:6])
    np.testing.assert_array_equal(yb.numpy(), y[:6])
    ds.close()
    assert ds.X.handle is None and torch.equal(ds[3][0], torch.from_numpy(X[3]))  # reopens

    x64 = HDF5Dataset(file, "train_set_x", dtype=torch.float64)[2]  # no y: x alone
    with h5py.File(file, "r") as f:
        np.testing.assert_array_equal(x64.numpy(), f["train_set_x"][2].reshape(-1) / 255.0)
    halves = HDF5Dataset(file, "train_set_x", transform=lambda t: t / 2)
    np.testing.assert_allclose(halves[4].numpy(), X[4] / 2)


def test_hdf5_float_data_and_indicator_labels(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(6, 2, 5))
    Y = rng.integers(0, 2, size=(6, 3))
    with h5py.File(tmp_path / "f.h5", "w") as f:
        f["x"], f["Y"] = x, Y
    x0, y0 = HDF5Dataset(tmp_path / "f.h5", "x", "Y")[5]
    np.testing.assert_array_equal(x0.numpy(), x[5].reshape(-1).astype(np.float32))
    assert y0.dtype == torch.float32 and y0.tolist() == Y[5].tolist()


def test_hdf5_with_two_workers_each_opening_its_own_handle(tmp_path):
    file = _course_h5(tmp_path / "train.h5", m=24)
    X, y = _read_h5_directly(file)
    ds = HDF5Dataset(file, "train_set_x", "train_set_y", transform=_tag_with_worker_handle)
    assert ds[0][0][-1] == -1  # the parent opens the file first: forked workers
    parent_handle = ds.X.handle  # must not use its handle but open their own
    assert parent_handle is not None

    loader = make_loader(ds, 5, shuffle=False, num_workers=2)
    xb, yb = (torch.cat(t) for t in zip(*loader))
    np.testing.assert_array_equal(xb[:, :-2].numpy(), X)
    np.testing.assert_array_equal(yb.numpy(), y)
    pids, own = xb[:, -2].numpy(), xb[:, -1].numpy()
    assert len(set(pids)) == 2 and os.getpid() not in set(pids)
    assert own.all()  # every item read through a handle its own worker opened
    assert ds.X.handle is parent_handle and parent_handle.id.valid  # the parent's is untouched

    # shuffled with workers: the same batches as in one process, for the same seed
    plain = HDF5Dataset(file, "train_set_x", "train_set_y")
    ids = {row.tobytes(): i for i, row in enumerate(X)}
    with_workers = [
        ids[r.numpy().tobytes()] for b, _ in make_loader(plain, 5, seed=2, num_workers=2) for r in b
    ]
    in_process = [ids[r.numpy().tobytes()] for b, _ in make_loader(plain, 5, seed=2) for r in b]
    assert with_workers == in_process and sorted(in_process) == list(range(24))
    assert with_workers != list(range(24))


def test_hdf5_pickles_after_use(tmp_path):
    file = _course_h5(tmp_path / "train.h5")
    ds = HDF5Dataset(file, "train_set_x", "train_set_y")
    first = ds[5]
    assert ds.X.handle is not None
    copy = pickle.loads(pickle.dumps(ds))  # h5py handles cannot be pickled
    assert copy.X.handle is None and ds.X.handle is not None and ds.X.handle.id.valid
    for a, b in zip(copy[5], first):
        assert torch.equal(a, b)
    assert torch.equal(copy.y, ds.y)


def test_hdf5_errors_name_file_and_key(tmp_path):
    file = _course_h5(tmp_path / "train.h5")
    with pytest.raises(FileNotFoundError, match="missing.h5.*does not exist"):
        HDF5Dataset(tmp_path / "missing.h5", "train_set_x")
    with pytest.raises(KeyError, match=r"train.h5.*no key 'test_set_x'.*'train_set_x'"):
        HDF5Dataset(file, "test_set_x")
    with pytest.raises(KeyError, match=r"train.h5.*no key 'labels'"):
        HDF5Dataset(file, "train_set_x", "labels")
    with h5py.File(tmp_path / "grouped.h5", "w") as f:
        f.create_group("images")
    with pytest.raises(ValueError, match=r"grouped.h5.*'images' is a group"):
        HDF5Dataset(tmp_path / "grouped.h5", "images")

    _course_h5(tmp_path / "short_y.h5", y=np.zeros(19, dtype=np.int64))
    with pytest.raises(
        ValueError,
        match=r"short_y.h5.*'train_set_x'.*'train_set_y'.*"
        r"20 examples but y holds 19",
    ):
        HDF5Dataset(tmp_path / "short_y.h5", "train_set_x", "train_set_y")
    with pytest.raises(ValueError, match="numeric"):
        HDF5Dataset(file, "list_classes")
    _course_h5(tmp_path / "row_y.h5", y=np.zeros((1, 20), dtype=np.int64))
    with pytest.raises(ValueError, match=r"20 examples but y holds 1 \(y is a \(1, m\) row"):
        HDF5Dataset(tmp_path / "row_y.h5", "train_set_x", "train_set_y")

    data = file.read_bytes()
    (tmp_path / "truncated.h5").write_bytes(data[: len(data) // 2])
    with pytest.raises(OSError, match="cannot open HDF5 file.*truncated.h5"):
        HDF5Dataset(tmp_path / "truncated.h5", "train_set_x")
    (tmp_path / "notes.h5").write_text("not HDF5 at all")
    with pytest.raises(OSError, match="notes.h5"):
        HDF5Dataset(tmp_path / "notes.h5", "train_set_x")

    # a corrupt compressed chunk opens fine and fails when that example is read
    bad = _course_h5(tmp_path / "corrupt.h5", compression="gzip", chunks=(1, 8, 8, 3))
    with h5py.File(bad, "r") as f:
        info = f["train_set_x"].id.get_chunk_info(3)
    with open(bad, "r+b") as fh:
        fh.seek(info.byte_offset)
        fh.write(b"\xff" * info.size)
    ds = HDF5Dataset(bad, "train_set_x", "train_set_y")
    ds[2]
    with pytest.raises(OSError, match=r"example 3 of HDF5 file .*corrupt.h5.*'train_set_x'"):
        ds[3]
    with pytest.raises(IndexError, match="out of range"):
        ds[20]


# ----------------------------------------------------------------------------- images


def test_image_folder_dataset_equals_load_image_folder(tmp_path):
    root = _images(tmp_path / "images")
    for color in ("rgb", "grayscale"):
        X, y, names = load_image_folder(root, size=6, color=color)
        ds = ImageFolderDataset(root, size=6, color=color)
        assert len(ds) == len(X) == 9 and ds.classes == names
        np.testing.assert_array_equal(ds.targets, y)
        assert ds.n_features == X.shape[1]
        for i in range(len(ds)):
            x, yi = ds[i]
            assert x.dtype == torch.float32 and yi.dtype == torch.int64
            np.testing.assert_array_equal(x.numpy(), X[i].astype(np.float32))
            assert int(yi) == y[i]
        xb, yb = next(iter(make_loader(ds, 9, shuffle=False)))
        np.testing.assert_array_equal(xb.numpy(), X.astype(np.float32))
    x64 = ImageFolderDataset(root, size=6, dtype=torch.float64)[4][0]
    np.testing.assert_array_equal(x64.numpy(), load_image_folder(root, size=6)[0][4])

    X, y, names = load_image_folder(root, size=5, classes=["emu", "cat"])
    ds = ImageFolderDataset(root, size=5, classes=["emu", "cat"])
    assert ds.classes == ["emu", "cat"] and ds.targets.tolist() == y.tolist()
    np.testing.assert_array_equal(ds[5][0].numpy(), X[5].astype(np.float32))
    assert len(pickle.dumps(ds)) < 4096  # paths only, no pixels


def test_image_folder_dataset_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ImageFolderDataset(tmp_path / "missing")
    root = _images(tmp_path / "images", classes=("a",), n=1)
    with pytest.raises(ValueError, match="size must be a positive integer"):
        ImageFolderDataset(root, size=0)
    with pytest.raises(ValueError, match="color"):
        ImageFolderDataset(root, color="cmyk")
    (root / "a" / "zz_broken.jpg").write_bytes(b"not a jpeg at all")
    ds = ImageFolderDataset(root, size=4)  # decoding is lazy: the scan succeeds
    assert len(ds) == 2 and ds[0][0].shape == (48,)
    with pytest.raises(ValueError, match="zz_broken.jpg"):
        ds[1]


def test_image_folder_dataset_on_sign_language_digits(shared_data, tmp_path):
    root = shared_data / "sign-language-digits"
    if not root.is_dir():
        pytest.skip(f"sign-language-digits not found at {root}")
    ds = ImageFolderDataset(root)
    assert len(ds) == 2062 and ds.classes == [str(d) for d in range(10)]
    assert ds.n_features == 64 * 64 * 3
    picked = [0, 205, 1000, 2061]
    # load_image_folder on a folder of just those files, in the same layout and order
    for i in picked:
        dest = tmp_path / ds.classes[ds.targets[i]]
        dest.mkdir(exist_ok=True)
        shutil.copy(ds.files[i], dest / ds.files[i].name)
    X, y, names = load_image_folder(tmp_path)
    assert len(X) == len(picked)
    for row, i in enumerate(picked):
        x, yi = ds[i]
        np.testing.assert_array_equal(x.numpy(), X[row].astype(np.float32))
        assert ds.classes[int(yi)] == names[y[row]]
