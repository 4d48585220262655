"""Sparse ARFF (``{index value, ...}`` rows): read into CSR, never densified, with the
dense reader's kind of errors; and which attributes are labels when many are {0,1}."""

import re
import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from _cli import one_line_error, run
from logitlab.data import DataError, load_source, split
from logitlab.data.arff import write_sparse_arff
from logitlab.data.synthetic import make_sparse_text

HEADER = """% MULAN-style, sparse
@relation 'toy'
@attribute Att1 numeric
@attribute Att2 real
@attribute word {0,1}
@attribute Class1 {0,1}
@attribute Class2 {0,1}
@data
"""
DENSE_ROWS = "0.5,0,1,0,1\n0,-2,0,1,0\n0,0,0,0,0\n3,0,1,1,1\n"
SPARSE_ROWS = "{0 0.5,2 1,4 1}\n{1 -2,3 1}\n{}\n{0 3, 2 1, 3 1, 4 1}\n"


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_sparse_rows_read_into_csr_equal_to_the_dense_file(tmp_path):
    dense = load_source(_write(tmp_path / "d.arff", HEADER + DENSE_ROWS), labels="last:2")
    sparse = load_source(_write(tmp_path / "s.arff", HEADER + SPARSE_ROWS), labels="last:2")
    assert sp.issparse(sparse.X) and sparse.X.format == "csr"
    assert sparse.X.dtype == np.float64 and sparse.X.has_canonical_format
    assert sparse.X.nnz == 5  # only the non-zero features are stored
    np.testing.assert_array_equal(sparse.X.toarray(), dense.X)
    np.testing.assert_array_equal(sparse.y, dense.y)
    assert sparse.task == dense.task == "multilabel"
    assert sparse.feature_names == dense.feature_names == ["Att1", "Att2", "word"]
    assert sparse.class_names == dense.class_names == ["Class1", "Class2"]


def test_a_file_may_mix_sparse_and_dense_rows(tmp_path):
    mixed = "0.5,0,1,0,1\n{1 -2,3 1}\n0,0,0,0,0\n{0 3,2 1,3 1,4 1}\n"
    data = load_source(_write(tmp_path / "m.arff", HEADER + mixed), labels="last:2")
    dense = load_source(_write(tmp_path / "d.arff", HEADER + DENSE_ROWS), labels="last:2")
    assert sp.issparse(data.X)
    np.testing.assert_array_equal(data.X.toarray(), dense.X)
    np.testing.assert_array_equal(data.y, dense.y)


def test_nominal_values_quoted_names_and_a_nominal_class(tmp_path):
    text = (
        "@relation r\n@attribute 'a b' numeric\n@attribute \"c\" numeric\n"
        "@attribute animal {cat,'big dog',rabbit}\n@data\n"
        "{0 1,2 'big dog'}\n{1 2}\n{0 4,1 1,2 rabbit}\n{2 cat}\n"
    )
    data = load_source(_write(tmp_path / "n.arff", text))
    assert data.feature_names == ["a b", "c"] and data.task == "multiclass"
    # an omitted nominal value is its first declared one (cat)
    assert data.class_names == ["big dog", "cat", "rabbit"]
    np.testing.assert_array_equal(data.y, [0, 1, 2, 1])
    np.testing.assert_array_equal(data.X.toarray(), [[1, 0], [0, 2], [4, 1], [0, 0]])


# a valid sparse file's rows, each made wrong in one way: (data rows, message)
BAD_ROWS = [
    ("{0 1,9 1}\n", r"line 9 \(data row 1\): index 9 is out of range: the header declares 5"),
    ("{0 1}\n{2 1,1 1}\n", r"line 10 \(data row 2\): index 1 comes after 2; indices must increase"),
    ("{2 1,2 1}\n", r"index 2 comes after 2; .* \(each once\)"),
    ("{0 abc}\n", r"attribute 'Att1' is numeric but holds 'abc'"),
    ("{2 7}\n", r"value '7' of attribute 'word' is not one of its declared values \{0,1\}"),
    ("{3 yes}\n", r"value 'yes' of attribute 'Class1' is not one of its declared values"),
    ("{1 ?}\n", r"attribute 'Att2' is missing \('\?'\); features must be given"),
    ("{4 ?}\n", r"label attribute 'Class2' is missing"),
    ("{0 1,2 1\n", r"line 9 \(data row 1\): a sparse row must end with '\}'"),
    ("{0 1}, {2 1}\n", r"braces inside a sparse row"),
    ("{0 1,,2 1}\n", r"'' is not an 'index value' pair"),
    ("{0}\n", r"'0' is not an 'index value' pair"),
    ("{x 1}\n", r"index 'x' is not an integer"),
    ("{-1 1}\n", r"index '-1' is not an integer"),
    (
        "{0 1}\n1,2,3\n",
        r"line 10 \(data row 2\): a dense row of 3 values, but the header declares 5",
    ),
    ("{0 'unclosed}\n", r"quote is not closed"),
]


@pytest.mark.parametrize("rows, message", BAD_ROWS)
def test_bad_sparse_rows_are_named(tmp_path, rows, message):
    file = _write(tmp_path / "bad.arff", HEADER + rows)
    if not message.startswith("line"):  # every message names the line and the row
        message = r"line \d+ \(data row \d\): .*" + message
    with pytest.raises(DataError, match=r"ARFF file '.*bad\.arff', " + message):
        load_source(file, labels="last:2")


def test_bad_headers_and_values(tmp_path):
    head = HEADER.split("@data")[0]
    with pytest.raises(DataError, match=r"e\.arff': no data rows"):
        load_source(_write(tmp_path / "e.arff", HEADER + "% only a comment\n"), labels="last:2")
    inf = _write(tmp_path / "inf.arff", HEADER + "{0 1}\n{1 inf,3 1}\n")
    with pytest.raises(DataError, match=r"inf\.arff: column 'Att2' holds inf in row 2"):
        load_source(inf, labels="last:2")
    # the first declared value of a nominal feature is what a sparse row leaves out
    one_first = _write(
        tmp_path / "o.arff", head.replace("word {0,1}", "word {1,0}") + "@data\n{}\n"
    )
    with pytest.raises(DataError, match=r"'word' is nominal \{1,0\}: in sparse rows a value left"):
        load_source(one_first, labels="last:2")
    named = _write(tmp_path / "w.arff", head.replace("word {0,1}", "word {no,yes}") + "@data\n{}\n")
    with pytest.raises(DataError, match=r"attribute 'word' is nominal \{no,yes\}; feature"):
        load_source(named, labels="last:2")
    text = head.replace("@attribute word {0,1}", "@attribute word text") + "@data\n{}\n"
    with pytest.raises(DataError, match=r"line 5: attribute 'word' has an unknown type 'text'"):
        load_source(_write(tmp_path / "t.arff", text), labels="last:2")
    stray = head.replace("@attribute word {0,1}", "word {0,1}") + "@data\n{}\n"
    with pytest.raises(DataError, match=r"line 5: 'word \{0,1\}' is not an @relation, @attr"):
        load_source(_write(tmp_path / "s.arff", stray), labels="last:2")


def test_reading_keeps_memory_to_the_non_zeros(tmp_path):
    # 20 000 rows of 30 000 features would take 4.8 GB dense; 4 non-zeros a row
    rng = np.random.default_rng(0)
    n, m = 20_000, 30_000
    lines = [
        "{"
        + ",".join(f"{j} 1" for j in sorted(rng.choice(m, 4, replace=False)))
        + f",{m} {i % 2}}}"
        for i in range(n)
    ]
    head = "@relation big\n" + "".join(f"@attribute w{j} numeric\n" for j in range(m))
    file = _write(tmp_path / "big.arff", head + "@attribute c {0,1}\n@data\n" + "\n".join(lines))
    tracemalloc.start()
    try:
        data = load_source(file, labels="c")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert data.X.shape == (n, m) and data.X.nnz == 4 * n and sp.issparse(data.X)
    # the names of 30 000 attributes and 80 000 entries: megabytes, not gigabytes
    assert peak < 64 * 2**20, peak


# ---------------------------------------------------------------- property-based

_SETTINGS = settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)


@st.composite
def matrices(draw):
    n = draw(st.integers(1, 6))
    m = draw(st.integers(1, 5))
    values = st.one_of(st.just(0.0), st.integers(-3, 3).map(float), st.floats(-1e6, 1e6))
    X = draw(arrays(np.float64, (n, m), elements=values))
    Y = draw(arrays(np.int64, (n, draw(st.integers(2, 4))), elements=st.integers(0, 1)))
    return X, Y


def _number(v):
    """A value as a dense ARFF file writes it ({0,1} features as 0 and 1)."""
    return str(int(v)) if v == int(v) and abs(v) < 1e15 else repr(v)


@_SETTINGS
@given(case=matrices())
def test_written_sparse_arff_reads_back_as_the_dense_text(tmp_path_factory, case):
    X, Y = case
    folder = tmp_path_factory.mktemp("w")
    written = write_sparse_arff(folder / "s.arff", sp.csr_matrix(X), Y)
    data = load_source(written, labels=f"last:{Y.shape[1]}")
    assert sp.issparse(data.X) and data.X.has_canonical_format
    np.testing.assert_array_equal(data.X.toarray(), X)
    np.testing.assert_array_equal(data.y, Y)
    # the same rows written dense, read by SciPy's reader: the same data
    head = written.read_text().split("@data")[0]
    rows = "".join(
        ",".join([*(_number(v) for v in x.tolist()), *(str(v) for v in y.tolist())]) + "\n"
        for x, y in zip(X, Y)
    )
    dense = load_source(
        _write(folder / "d.arff", head + "@data\n" + rows), labels=f"last:{len(Y[0])}"
    )
    np.testing.assert_array_equal(dense.X, X)
    np.testing.assert_array_equal(dense.y, data.y)


# ---------------------------------------------------------------------- labels

ALL01 = """@relation 'words'
@attribute w1 {0,1}
@attribute w2 {0,1}
@attribute w3 {0,1}
@attribute L1 {0,1}
@attribute L2 {0,1}
@data
"""


@pytest.mark.parametrize("rows", ["1,0,1,0,1\n0,1,1,1,0\n", "{0 1,2 1,4 1}\n{1 1,2 1,3 1}\n"])
def test_all_binary_attributes_ask_for_the_labels(tmp_path, rows):
    file = _write(tmp_path / "w.arff", ALL01 + rows)
    with pytest.raises(DataError, match=r"the last 5 of the 5 attributes are nominal \{0,1\}, so "):
        load_source(file)
    data = load_source(file, labels="last:2")
    assert data.class_names == ["L1", "L2"] and data.feature_names == ["w1", "w2", "w3"]
    named = load_source(file, labels="L1,L2")
    np.testing.assert_array_equal(named.y, data.y)
    meka = load_source(
        _write(tmp_path / "m.arff", ALL01.replace("'words'", "'words: -C -2'") + rows)
    )
    np.testing.assert_array_equal(meka.y, data.y)
    assert meka.feature_names == data.feature_names


@pytest.mark.parametrize("sparse", [False, True])
def test_a_short_prefix_before_many_binary_attributes_asks_too(tmp_path, sparse):
    # one numeric id, then 30 {0,1} attributes: 30 labels for one feature is a guess
    head = "@relation r\n@attribute id numeric\n" + "".join(
        f"@attribute a{j} {{0,1}}\n" for j in range(30)
    )
    row = (
        "{0 7,3 1}\n"
        if sparse
        else "7," + ",".join("1" if j == 2 else "0" for j in range(30)) + "\n"
    )
    file = _write(tmp_path / "p.arff", head + "@data\n" + row * 2)
    with pytest.raises(DataError, match=r"the last 30 of the 31 attributes are nominal"):
        load_source(file)
    assert load_source(file, labels="last:3").n_features == 28


@pytest.mark.parametrize("sparse", [False, True])
def test_numeric_features_then_binary_labels_are_still_found(tmp_path, sparse):
    rows = "{0 0.5,3 1}\n{1 2,4 1}\n" if sparse else "0.5,0,0,1,0\n0,2,0,0,1\n"
    head = HEADER.replace("@attribute word {0,1}", "@attribute word numeric")
    data = load_source(_write(tmp_path / "y.arff", head + rows))
    assert data.class_names == ["Class1", "Class2"] and data.task == "multilabel"


def test_the_command_asks_for_labels_in_one_line(tmp_path):
    file = _write(tmp_path / "w.arff", ALL01 + "{0 1,2 1,4 1}\n{1 1,2 1,3 1}\n" * 4)
    err = one_line_error(run("train", "--data", file, "--out", tmp_path / "run"), "w.arff")
    assert re.search(r"last 5 of the 5 attributes .* --labels last:N", err), err


def test_a_sparse_test_file_is_read_like_the_training_file(tmp_path):
    X, Y = make_sparse_text(60, 40, 4, length=8, random_state=0)
    write_sparse_arff(tmp_path / "train.arff", X[:40], Y[:40])
    write_sparse_arff(tmp_path / "test.arff", X[40:], Y[40:])
    train, test = split(
        load_source(tmp_path / "train.arff", labels="last:4"), test=tmp_path / "test.arff"
    )
    assert sp.issparse(train.X) and sp.issparse(test.X)
    assert test.class_names == train.class_names == ["l0", "l1", "l2", "l3"]
    np.testing.assert_array_equal(test.X.toarray(), X[40:].toarray())
    np.testing.assert_array_equal(test.y, Y[40:])
    # a random split keeps the rows sparse too
    tr, te = split(train, test_size=0.25, random_state=0)
    assert sp.issparse(tr.X) and sp.issparse(te.X) and tr.n_samples + te.n_samples == 40
