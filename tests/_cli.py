"""Helpers for the tests that invoke the ``logitlab`` command (test_cli, test_run,
test_tune)."""

from click.testing import CliRunner

from logitlab.cli import cli


def run(*args):
    """Invoke ``logitlab ARGS`` in-process; the click Result."""
    return CliRunner().invoke(cli, [str(a) for a in args])


def one_line_error(result, *needles):
    """Assert the command failed with one line (no traceback) naming each needle."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.stderr)
    err = result.stderr.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    for needle in needles:
        assert needle in err, err
    return err
