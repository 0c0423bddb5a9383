"""The tree tells the architecture, and imports keep to it (docs/ARCHITECTURE.md).

`matchmaker/<area>/views.py` holds an area's blueprint; the area's other modules hold domain
functions that never touch the request. Imports run views → domain → records/web → models,
never back, and the pure matcher (`matchmaker/matching/`) imports neither Flask nor the database.
"""

import ast
from pathlib import Path
from typing import NamedTuple

import pytest

import matchmaker

PACKAGE = Path(matchmaker.__file__).parent
# Lower layers every area may use; they use no area themselves.
SHARED = {"web", "records"}
# Not areas: the factory's own modules, the migrations and the pure matcher.
TOP_LEVEL = {"__init__", "config", "extensions"}
# Where handling a request is the module's job: each area's views, the request plumbing, the
# JSON API (one HTTP area with its own plumbing: problems, tokens, spec) and the CLI.
REQUEST_LAYERS = {"web", "api", "commands"}
FRAMEWORKS = ("flask", "flask_", "sqlmodel", "sqlalchemy", "alembic", "models")


class Module(NamedTuple):
    """One module of the package, by its dotted name and its parsed source."""

    name: str  # e.g. "matchmaker.docking.views"
    tree: ast.Module

    @property
    def parts(self) -> list[str]:
        """The dotted name, split: ["matchmaker", "docking", "views"]."""
        return self.name.split(".")

    @property
    def area(self) -> str:
        """The package directly under matchmaker/ ("docking"), or the module's own name."""
        return self.parts[1] if len(self.parts) > 1 else ""

    @property
    def handles_requests(self) -> bool:
        """A views module, or a module of a layer whose job is the request."""
        return self.parts[-1] == "views" or self.area in REQUEST_LAYERS


def modules() -> list[Module]:
    """Every module of the package except the Alembic migrations."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        if "migrations" in relative.parts:
            continue
        name = ".".join(p for p in relative.parts if p != "__init__")
        found.append(Module(name, ast.parse(path.read_text(encoding="utf-8"))))
    return found


def imported(module: Module) -> set[str]:
    """Dotted names the module imports, anywhere in it: modules and `module.name` pairs."""
    names: set[str] = set()
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def touches_request(module: Module) -> bool:
    """Whether the module imports Flask's request object (directly or as `flask.request`)."""
    if {"flask.request", "flask.globals.request"} & imported(module):
        return True
    return any(
        isinstance(node, ast.Attribute)
        and node.attr == "request"
        and isinstance(node.value, ast.Name)
        and node.value.id == "flask"
        for node in ast.walk(module.tree)
    )


def views_imported(module: Module) -> set[str]:
    """The views modules (`matchmaker.<area>.views`) the module imports."""
    return {
        ".".join(name.split(".")[:3])
        for name in imported(module)
        if name.startswith("matchmaker.") and name.split(".")[2:3] == ["views"]
    }


def areas_imported(module: Module) -> set[str]:
    """The packages under matchmaker/ that the module imports from."""
    return {
        name.split(".")[1]
        for name in imported(module)
        if name.startswith("matchmaker.") and name.split(".")[1] not in TOP_LEVEL
    }


ALL = modules()


def test_the_matcher_imports_neither_flask_nor_the_database() -> None:
    """The matcher is pure: tested and benchmarked without the app."""
    matcher = [m for m in ALL if m.area == "matching"]
    assert len(matcher) >= 5
    offences = {
        m.name: sorted(
            name
            for name in imported(m)
            if name.split(".")[0].startswith(FRAMEWORKS)
            or (name.startswith("matchmaker.") and not name.startswith("matchmaker.matching"))
        )
        for m in matcher
    }
    assert {name: found for name, found in offences.items() if found} == {}


def test_domain_modules_never_touch_the_request() -> None:
    """Domain functions take a session and plain values; only views read the request."""
    domain = [m for m in ALL if not m.handles_requests and m.area not in TOP_LEVEL]
    assert len(domain) >= 20
    assert [m.name for m in domain if touches_request(m)] == []


def test_no_module_imports_another_areas_views() -> None:
    """An area is used through its domain functions; only the factory registers the views."""
    offences = {
        m.name: sorted(v for v in views_imported(m) if v.split(".")[1] != m.area)
        for m in ALL
        if m.name != "matchmaker"
    }
    assert {name: found for name, found in offences.items() if found} == {}


def test_domain_modules_never_import_views() -> None:
    """Imports run views → domain, never back."""
    domain = [m for m in ALL if not m.handles_requests and m.name != "matchmaker"]
    assert {m.name: sorted(views_imported(m)) for m in domain if views_imported(m)} == {}


def test_the_shared_layers_use_no_area() -> None:
    """web/ and records/ sit under every area, so they import none of them."""
    shared = [m for m in ALL if m.area in SHARED]
    offences = {m.name: sorted(areas_imported(m) - SHARED - {"matching"}) for m in shared}
    assert {name: found for name, found in offences.items() if found} == {}


def test_every_area_keeps_its_routes_in_views() -> None:
    """A blueprint is declared only in a views module (or the JSON API's package)."""
    declaring = {
        m.name
        for m in ALL
        for node in ast.walk(m.tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "Blueprint"
    }
    assert {name for name in declaring if not name.endswith(".views")} <= {
        "matchmaker.api",
        "matchmaker.api.account",
    }
    assert len(declaring) >= 14


@pytest.mark.parametrize(
    "name, source, rule",
    [
        ("matchmaker.docking.followup", "from flask import request", touches_request),
        ("matchmaker.docking.followup", "import flask\nflask.request.args", touches_request),
        (
            "matchmaker.review.views",
            "from matchmaker.docking import views",
            lambda m: views_imported(m) == {"matchmaker.docking.views"},
        ),
        (
            "matchmaker.web.htmx",
            "def f():\n    from matchmaker.pairing.recommend import fit",
            lambda m: areas_imported(m) == {"pairing"},
        ),
    ],
)
def test_the_checks_catch_what_they_look_for(name: str, source: str, rule) -> None:  # type: ignore[no-untyped-def]
    """Each rule above finds a violation written in the forms code really uses."""
    assert rule(Module(name, ast.parse(source)))
