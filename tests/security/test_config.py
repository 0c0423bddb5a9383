"""Settings that matter for security when several worker processes start at once."""

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_workers_starting_together_on_a_fresh_install_share_one_secret_key(tmp_path):
    """gunicorn without --preload builds the app in every worker at once: one key for all,
    or sessions signed by one worker would be refused by the next (and CSRF tokens too)."""
    instance = tmp_path / "instance"
    start = time.time() + 4  # every process waits for the same moment, then reads or makes it
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from matchmaker import config\n"
        f"while time.time() < {start}: pass\n"
        f"print(config.from_environment(Path({str(instance)!r}))['SECRET_KEY'])\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT
        )
        for _ in range(8)
    ]
    keys = {worker.communicate(timeout=120)[0].strip() for worker in workers}
    assert len(keys) == 1 and len(keys.pop()) == 64
    assert [path.name for path in instance.iterdir()] == ["secret_key"]  # no drafts left over
    assert (instance / "secret_key").stat().st_mode & 0o077 == 0
