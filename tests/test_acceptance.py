"""The figures the README promises, on the real data sets in ../shared/data.

Each test runs the exact ``logitlab train`` command the README recommends (read from
README.md, so the two cannot drift apart), pointed at the shared data instead of the
README's placeholder file names. They skip where ../shared is absent.
"""

import json
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from logitlab.cli import cli

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_command(starts_with):
    """The README's ``sh`` command that starts with `starts_with`, as argv after
    ``logitlab``, with backslash continuations joined."""
    text = README.read_text(encoding="utf-8")
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        joined = block.replace("\\\n", " ")
        for line in joined.splitlines():
            if line.strip().startswith(starts_with):
                argv = shlex.split(line.split("#", 1)[0])
                assert argv[0] == "logitlab"
                return argv[1:]
    raise AssertionError(f"README.md has no command starting with {starts_with!r}")


def replace_option(argv, option, value):
    i = argv.index(option)
    return argv[: i + 1] + [str(value)] + argv[i + 2 :]


def train(argv):
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 0, result.output + result.stderr
    out = Path(argv[argv.index("--out") + 1])
    return json.loads((out / "metrics.json").read_text())


def test_the_flag_free_command_on_the_sign_photos(shared_data, tmp_path):
    """The README's first command, nothing but the data and the model kind: at least
    scikit-learn's MLPClassifier() on the same standardised pixels (0.775-0.780 over
    seeds 0-2; the README gives this command's 0.816 for seed 0, and the 85% goal as
    missed)."""
    folder = shared_data / "sign-language-digits"
    if not folder.is_dir():
        pytest.skip(f"sign-language-digits not found at {folder}")
    argv = readme_command("logitlab train --data photos/ --model mlp")
    assert argv == ["train", "--data", "photos/", "--model", "mlp", "--out", "runs/photos"]
    argv = replace_option(argv, "--data", folder)
    argv = replace_option(argv, "--out", tmp_path / "signs")
    metrics = train(argv)
    assert metrics["accuracy"] >= 0.78, metrics


def test_sign_language_photos_reach_90_percent(shared_data, tmp_path):
    folder = shared_data / "sign-language-digits"
    if not folder.is_dir():
        pytest.skip(f"sign-language-digits not found at {folder}")
    argv = readme_command("logitlab train --data photos/ --size 16")
    argv = replace_option(argv, "--data", folder)
    argv = replace_option(argv, "--out", tmp_path / "signs")
    assert "--test" not in argv and "--test-size" not in argv  # the default 20% split
    metrics = train(argv)
    assert metrics["accuracy"] >= 0.90, metrics


def test_yeast_from_arff_and_csv_gives_the_same_hamming_loss(shared_data, tmp_path):
    folder = shared_data / "yeast"
    if not folder.is_dir():
        pytest.skip(f"yeast data not found at {folder}")
    argv = readme_command("logitlab train --data yeast-train.csv")
    results = []
    for kind in ("csv", "arff"):
        a = replace_option(argv, "--data", folder / f"yeast-train.{kind}")
        a = replace_option(a, "--test", folder / f"yeast-test.{kind}")
        a = replace_option(a, "--out", tmp_path / kind)
        if kind == "arff":  # the ARFF's trailing {0,1} attributes are found on their own
            i = a.index("--labels")
            a = a[:i] + a[i + 2 :]
        results.append(train(a))
    csv, arff = results
    assert csv["hamming_loss"] == arff["hamming_loss"]
    # the README's figure; binary relevance with scikit-learn's LogisticRegression: 0.199
    assert csv["hamming_loss"] <= 0.193, csv  # README: 0.191; seeds 0-2 span 0.1912-0.1919
