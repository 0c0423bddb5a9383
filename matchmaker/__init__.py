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

    from matchmaker import db, errors, i18n, labels, security
    from matchmaker.extensions import babel, csrf, limiter, login_manager

    db.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.init_app(app)
    labels.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://")
    limiter.init_app(app)
    login_manager.init_app(app)
    security.init_app(app)
    errors.init_app(app)

    from matchmaker import (
        admin,
        api,
        audit_views,
        auth,
        batches,
        capabilities,
        dashboard_views,
        docking,
        inbox,
        interest,
        io_views,
        main,
        ops,
        review,
        scenarios,
    )

    # main first: it owns "/" and the language switch every other page links to.
    for module in (
        main,
        auth,
        admin,
        scenarios,
        capabilities,
        ops,
        docking,
        interest,
        inbox,
        audit_views,
        io_views,
        dashboard_views,
        api,
        api.account,
        review,
        batches,
    ):
        app.register_blueprint(module.bp)

    from matchmaker import cli

    cli.init_app(app)
    ops.init_app(app)
    return app
