"""Starting up: the command line and the app load no library they may not need.

The matcher (scikit-learn, SciPy, NumPy, rapidfuzz), word segmentation (jieba), charts
(pygal), spreadsheets (openpyxl), migrations (Alembic), the BM25 baseline and Dask are
imported where they are used. Each check runs in a fresh interpreter, whose imports are its
own.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

HEAVY = (
    "sklearn",
    "scipy",
    "numpy",
    "pandas",
    "rapidfuzz",
    "sparse_dot_topn",
    "bm25s",
    "jieba",
    "pygal",
    "openpyxl",
    "alembic",
    "dask",
    "distributed",
)


def imported_after(code: str, tmp_path: Path) -> set[str]:
    """The modules a fresh interpreter holds after running `code`, with their packages."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'startup.db'}",
        "SECRET_KEY": "startup",
    }
    output = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    modules = json.loads(output.strip().splitlines()[-1])
    return {*modules, *(name.split(".")[0] for name in modules)}


def test_the_app_and_its_commands_start_without_the_heavy_libraries(tmp_path):
    loaded = imported_after(
        "from matchmaker.commands import main\n"
        "from matchmaker import create_app\n"
        f"create_app({{'INSTANCE_PATH': {str(tmp_path / 'instance')!r}}})",
        tmp_path,
    )
    assert {"flask", "sqlalchemy", "matchmaker.api"} <= loaded
    assert sorted(set(HEAVY) & loaded) == []


def test_listing_the_commands_builds_no_app(tmp_path):
    loaded = imported_after(
        "from click.testing import CliRunner\n"
        "from matchmaker.commands import main\n"
        "result = CliRunner().invoke(main, ['--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        "for name in ('init-db', 'seed', 'serve', 'match', 'remind', 'backup', 'eval', 'rank'):\n"
        "    assert name in result.output, name",
        tmp_path,
    )
    assert "sqlalchemy" not in loaded and "matchmaker.web" not in loaded
    # Other packages' plugin commands are not loaded either (flask-limiter's pulls in rich).
    assert "flask_limiter" not in loaded
    assert sorted(set(HEAVY) & loaded) == []


def test_the_matcher_loads_when_it_is_used(tmp_path):
    loaded = imported_after(
        "from matchmaker import matching\nmatching.Matcher(matching.MatcherConfig())", tmp_path
    )
    assert {"sklearn", "scipy", "numpy"} <= loaded
