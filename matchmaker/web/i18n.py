"""Language choice: Simplified Chinese by default, English by ?lang=en, remembered."""

from flask import Flask, current_app, request, session, url_for
from flask_babel import get_locale
from flask_login import current_user

from matchmaker.web.db import get_session


def select_locale() -> str:
    """The locale for this request: ?lang= (remembered), else the remembered choice, else zh."""
    languages = current_app.config["LANGUAGES"]
    asked = request.args.get("lang")
    if asked in languages:
        session["lang"] = asked
        return asked
    remembered = session.get("lang")
    return remembered if remembered in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def remember_for_mail() -> None:
    """A signed-in user who switches language gets their e-mails in it from then on."""
    asked = request.args.get("lang")
    if (
        asked in current_app.config["LANGUAGES"]
        and current_user.is_authenticated
        and current_user.language != asked
    ):
        current_user.language = asked
        get_session().commit()


def init_app(app: Flask) -> None:
    """Remember signed-in users' language; expose the language and its switch to templates."""
    # Before the view, so that this commit carries nothing of the view's own work.
    app.before_request(remember_for_mail)

    @app.context_processor
    def _language() -> dict[str, object]:
        locale = str(get_locale())
        return {
            "current_lang": locale,
            "html_lang": "zh-CN" if locale == "zh" else "en",
            "language_url": language_url,
        }


def language_url(lang: str) -> str:
    """This page in another language (the switch is remembered by select_locale)."""
    if request.endpoint is None or request.method != "GET":
        return url_for("main.home", lang=lang)
    args = {**request.args.to_dict(), **(request.view_args or {}), "lang": lang}
    return url_for(request.endpoint, **args)
