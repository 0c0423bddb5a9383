"""matchmaker: the scenario supply-demand matching platform (场景供需对接平台)."""

from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure the app: config, extensions, blueprints, CLI."""
    app = Flask(
        __name__,
        instance_path=(test_config or {}).get("INSTANCE_PATH"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from matchmaker import config

    app.config.from_mapping(config.from_environment(Path(app.instance_path)))
    if test_config:
        app.config.from_mapping(test_config)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(Path(__file__).parent / "translations")

    from matchmaker.extensions import babel, csrf, limiter, login_manager
    from matchmaker.web import caching, dates, db, errors, freshness, i18n, labels, security

    db.init_app(app)
    freshness.init_app(app)
    # Before login_manager: after_request hooks run in reverse, so the cache headers are set
    # once Flask-Login has touched the session (a session that changed is never shared).
    caching.init_app(app, ROOT)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.init_app(app)
    labels.init_app(app)
    dates.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://")
    limiter.init_app(app)
    login_manager.init_app(app)
    security.init_app(app)
    errors.init_app(app)

    # Imported here, not at module level, so that importing the package does no work.
    from matchmaker import api, commands
    from matchmaker.admin import views as admin
    from matchmaker.audit import views as audit
    from matchmaker.auth import views as auth
    from matchmaker.batches import views as batches
    from matchmaker.dashboard import views as dashboard
    from matchmaker.docking import views as docking
    from matchmaker.entries import views as entries
    from matchmaker.inbox import views as inbox
    from matchmaker.interest import views as interest
    from matchmaker.main import views as main
    from matchmaker.members import views as members
    from matchmaker.ops import views as ops
    from matchmaker.review import views as review
    from matchmaker.spreadsheets import views as spreadsheets

    # main first: it owns "/" and the language switch every other page links to.
    for blueprint in (
        main.bp,
        auth.bp,
        admin.bp,
        entries.scenarios_bp,
        entries.capabilities_bp,
        ops.bp,
        docking.bp,
        interest.bp,
        inbox.bp,
        audit.bp,
        spreadsheets.bp,
        dashboard.bp,
        api.bp,
        api.account.bp,
        review.bp,
        batches.bp,
        members.bp,
    ):
        app.register_blueprint(blueprint)

    from matchmaker.dashboard import rollup

    rollup.init_app(app)  # the dashboard's tallies are recounted as each write commits
    commands.init_app(app)
    return app
