import signal
import subprocess
import time
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data():
    """../shared/data beside the repository; tests that need it skip where it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data sets not found at {SHARED_DATA} (../shared/data is absent)")
    return SHARED_DATA


def _signal_when_ready(cmd, ready, sig=signal.SIGINT, settle=0.0, poll=0.05):
    """Run ``cmd``; once the file ``ready`` exists (and ``settle`` seconds more), send it
    ``sig``; return (return code, stderr, whether ``ready`` appeared). A background
    test run inherits an ignored SIGINT (POSIX shells ignore it in background jobs):
    the child takes it back, as a terminal user's run would. A failed test never
    leaves the process behind."""
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 120
        while not ready.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(poll)
        appeared = ready.exists()
        time.sleep(settle)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        return proc.returncode, err, appeared
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.fixture
def signal_when_ready():
    """:func:`_signal_when_ready`: a training process interrupted at a chosen point."""
    return _signal_when_ready
