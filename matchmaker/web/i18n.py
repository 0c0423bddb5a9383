"""Language choice: Simplified Chinese by default, English by ?lang=en, remembered in a cookie
of its own; and the request's catalogue, found once.

The choice lives in its own `lang` cookie, not in the session: a visitor who never signs in
gets no session cookie, and a reverse proxy can key its cache on the language alone.
"""

from collections.abc import Mapping
from functools import cache
from typing import Any, NamedTuple
from weakref import WeakKeyDictionary

from babel import Locale
from babel.support import NullTranslations
from flask import Flask, Response, current_app, g, request, url_for
from flask_babel import LazyString, get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

from matchmaker.web.db import get_session

COOKIE = "lang"
COOKIE_SECONDS = 365 * 24 * 3600


def language() -> str:
    """The request's language code: ?lang= (remembered), else the remembered choice, else zh."""
    languages = current_app.config["LANGUAGES"]
    asked = request.args.get("lang")
    if asked in languages:
        g.language_chosen = asked
        return asked
    remembered = request.cookies.get(COOKIE)
    return remembered if remembered in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def select_locale() -> Locale:
    """Flask-Babel's locale selector: the request's language."""
    return _parsed(language())


@cache
def _parsed(code: str) -> Locale:
    # Flask-Babel parses what the selector returns on every request; a Locale passes as it is.
    return Locale.parse(code)


def _remember_language(response: Response) -> Response:
    chosen = g.get("language_chosen")
    if chosen and request.cookies.get(COOKIE) != chosen:
        response.set_cookie(
            COOKIE,
            chosen,
            max_age=COOKIE_SECONDS,
            httponly=True,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response


class _Catalogue(NamedTuple):
    locale: Locale | None
    translations: NullTranslations
    tables: dict[int, dict[str, str]]  # id of a label mapping → the mapping translated


# Label mappings translated, per catalogue: Flask-Babel keeps a catalogue per language for as
# long as its app lives, and the mappings are module constants.
_tables: WeakKeyDictionary[NullTranslations, dict[int, dict[str, str]]] = WeakKeyDictionary()


def _catalogue() -> _Catalogue:
    """The request's catalogue and translated label tables.

    Flask-Babel finds the request context, the locale and its cache entry anew on every
    gettext (about 10 µs; the review queue made 700 such calls a page). This keeps what it
    found beside the locale it keeps for the request, and looks again only when that locale
    changes (force_locale, as the API uses, sets another). Were Flask-Babel to keep its state
    elsewhere, every call would simply take the long way.
    """
    try:
        state = g.get("_flask_babel")  # Flask-Babel's per-request namespace
    except RuntimeError:  # no app context: Flask-Babel answers untranslated
        state = None
    found = getattr(state, "matchmaker_catalogue", None)
    if found is not None and found.locale is getattr(state, "babel_locale", None):
        return found
    translations = get_translations()
    tables = _tables.get(translations)
    if tables is None:
        tables = _tables.setdefault(translations, {})
    found = _Catalogue(get_locale(), translations, tables)
    state = g.get("_flask_babel") if state is not None else None
    if state is not None and found.locale is not None:
        state.matchmaker_catalogue = found
    return found


def locale_code() -> str | None:
    """The request's locale ("zh", "en") as `_catalogue` keeps it, for code that runs once per
    number or row of a page (Flask-Babel's get_locale looks it up anew each time); None, as
    Flask-Babel answers, outside the app."""
    locale = _catalogue().locale
    return str(locale) if locale is not None else None


def gettext(message: str, **variables: Any) -> str:
    """Flask-Babel's gettext through the request's catalogue (see `_catalogue`), for code that
    runs once per row of a page."""
    text = _catalogue().translations.ugettext(message)
    return text % variables if variables else text


def in_language(labels: Mapping[str, LazyString]) -> dict[str, str]:
    """`labels` (code → lazy name) in the request's language, translated once per language."""
    tables = _catalogue().tables
    table = tables.get(id(labels))
    if table is None:
        table = tables[id(labels)] = {code: str(label) for code, label in labels.items()}
    return table


def _formatted(eval_ctx: EvalContext, text: str, variables: dict[str, Any]) -> str:
    # As jinja2.ext's newstyle gettext: always a format string, values escaped if autoescaping.
    # The text is the catalogue's own (trusted, like the template); `%` escapes the values.
    safe = Markup(text) if eval_ctx.autoescape else text  # noqa: S704  # nosec B704
    return safe % variables if variables or "%" in text else safe


@pass_eval_context
def _gettext(eval_ctx: EvalContext, message: str, /, **variables: Any) -> str:
    return _formatted(eval_ctx, _catalogue().translations.ugettext(message), variables)


@pass_eval_context
def _ngettext(
    eval_ctx: EvalContext, singular: str, plural: str, num: int, /, **variables: Any
) -> str:
    variables.setdefault("num", num)
    return _formatted(
        eval_ctx, _catalogue().translations.ungettext(singular, plural, num), variables
    )


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
    """Remember the language chosen (and a signed-in user's, for their e-mails), translate
    templates through `catalogue`, and expose the current language and the switch link to
    templates."""
    # Before the view, so that this commit carries nothing of the view's own work.
    app.before_request(remember_for_mail)
    app.after_request(_remember_language)
    # Flask-Babel installs Jinja's newstyle gettext, whose functions take the template's
    # context: called in a loop, each call copies every template global into a derived
    # context first (about 30 µs; a queue row makes a dozen such calls). These do the same
    # (translate, escape the values if the template autoescapes, always format) from the
    # evaluation context alone, which Jinja passes as it is.
    app.jinja_env.globals.update(_=_gettext, gettext=_gettext, ngettext=_ngettext)

    @app.context_processor
    def _language() -> dict[str, object]:
        locale = str(get_locale())
        return {
            "current_lang": locale,
            "html_lang": "zh-CN" if locale == "zh" else "en",
            "language_url": language_url,
        }


def language_url(lang: str) -> str:
    """This page in another language (the switch is remembered by select_locale). A form
    drawn again after a post switches to the same form, empty (a post cannot be repeated by
    a link); a page that only answers posts, to the home page."""
    rule = request.url_rule
    if request.endpoint is None or rule is None or "GET" not in (rule.methods or ()):
        return url_for("main.home", lang=lang)
    args = {**request.args.to_dict(), **(request.view_args or {}), "lang": lang}
    return url_for(request.endpoint, **args)
