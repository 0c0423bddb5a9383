"""The matching package stands alone: no web framework, no database layer."""

import subprocess
import sys
from pathlib import Path

import matchmaker

# Load matchmaker.matching under a stand-in parent package, so that only the matching
# package's own imports run (the real matchmaker/__init__.py builds the Flask app).
PROBE = f"""
import sys, types
parent = types.ModuleType("matchmaker")
parent.__path__ = [{str(Path(matchmaker.__file__).parent)!r}]
sys.modules["matchmaker"] = parent
import matchmaker.matching, matchmaker.matching.evaluate
matchmaker.matching.Matcher
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("flask", "sqlmodel", "sqlalchemy"))
assert not loaded, loaded
"""


def test_the_matching_package_imports_neither_flask_nor_sqlmodel():
    subprocess.run([sys.executable, "-c", PROBE], check=True)
