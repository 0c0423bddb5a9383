"""The account page where a signed-in user creates (sees once) and revokes API tokens."""

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import StringField
from wtforms.validators import DataRequired, Regexp

from matchmaker.api import tokens as api_tokens
from matchmaker.api.schemas import PRINTABLE
from matchmaker.extensions import limiter
from matchmaker.web.access import signed_in
from matchmaker.web.db import get_session
from matchmaker.web.security import account_key
from matchmaker.web.text import Form, Length

bp = Blueprint("account", __name__, url_prefix="/account")


class TokenForm(Form):
    name = StringField(
        _l("What the token is for"),
        validators=[
            DataRequired(),
            Length(1, 60),
            Regexp(
                PRINTABLE, message=_l("Enter printable text: not blank, no control characters.")
            ),
        ],
        description=_l("e.g. “ERP sync” — so you know which token to revoke later."),
    )


def _token_limit() -> str:
    return current_app.config["TOKEN_RATE_LIMIT"]


@bp.route("/tokens", methods=["GET", "POST"])
@signed_in
@limiter.limit(_token_limit, methods=["POST"])
@limiter.limit(_token_limit, key_func=account_key, methods=["POST"])
def tokens() -> Response:
    """The user's API tokens; a new token's secret is shown in this answer only."""
    session = get_session()
    form = TokenForm()
    issued = None
    if form.validate_on_submit():
        # Rendered straight into this response, never flashed: a flash would keep the secret
        # in the (signed, not encrypted) session cookie.
        issued = api_tokens.issue(session, user=current_user, name=form.name.data)
        form = TokenForm(formdata=None)
    response = make_response(
        render_template(
            "account/tokens.html",
            form=form,
            issued=issued,
            tokens=api_tokens.of_user(session, user_id=current_user.id),
        ),
        422 if form.errors else 200,
    )
    response.headers["Cache-Control"] = "no-store"  # the page may hold a new token's secret
    return response


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@signed_in
def revoke(token_id: int) -> Response:
    """Revoke one of the user's tokens; it stops working at once."""
    token = api_tokens.revoke(get_session(), user_id=current_user.id, token_id=token_id)
    if token is None:
        abort(404)
    flash(_("The token “%(name)s” is revoked.", name=token.name), "info")
    return redirect(url_for("account.tokens"))
