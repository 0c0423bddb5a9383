"""Sign-up of an organisation and its first user, sign-in, sign-out, password change."""

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from matchmaker.api import tokens as api_tokens
from matchmaker.auth import resets
from matchmaker.auth.forms import (
    JoinForm,
    LoginForm,
    NewPasswordForm,
    PasswordForm,
    RegisterForm,
)
from matchmaker.extensions import limiter, login_manager
from matchmaker.members import requests
from matchmaker.records import audit
from matchmaker.web.access import public, signed_in
from matchmaker.web.db import get_session
from matchmaker.web.errors import render_error
from matchmaker.web.security import account_key
from matchmaker.web.text import Form
from models import JoinRequest, JoinStatus, Organisation, OrgKind, Role, User
from models._types import utcnow

bp = Blueprint("auth", __name__, url_prefix="/auth")

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please sign in to continue.")


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Load a user from the session id `<id>:<session_version>`; stale versions fail."""
    user_id, _sep, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = get_session().get(User, int(user_id))
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user


def same_site_path(target: str) -> bool:
    """True for a path on this site, so that ?next= is never an open redirect.

    Browsers read "/\\host" as "//host" and drop tabs and newlines inside URLs, so those are
    refused along with anything that has a scheme or a host.
    """
    if not target.startswith("/") or "\\" in target:
        return False
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _password_limit() -> str:
    return current_app.config["PASSWORD_RATE_LIMIT"]


def _login_key() -> str:
    """Rate-limit key for one account, whatever address it is tried from."""
    return "login:" + (request.form.get("email") or "").strip().lower()


def _start_session(user: User, *, remember: bool) -> None:
    """Sign `user` in here, noting when and in which language (their messages' language)."""
    login_user(user, remember=remember)
    user.last_login_at = utcnow()
    user.language = str(get_locale())


def _form_status(form: Form) -> int:
    """A form drawn again after a post is a refusal of what was typed (422); else 200."""
    return 422 if form.is_submitted() else 200


@bp.route("/register", methods=["GET", "POST"])
@public
@limiter.limit("20 per hour", methods=["POST"])
def register() -> tuple[str, int] | Response:
    """Register an organisation and its first user; both wait for an official's check."""
    form = RegisterForm()
    if form.validate_on_submit():
        session = get_session()
        email = form.email.data.lower()
        if session.exec(select(User).where(User.email == email)).first():
            form.email.errors.append(_("An account with this e-mail already exists."))
        elif session.exec(
            select(Organisation).where(Organisation.credit_code == form.credit_code.data)
        ).first():
            form.credit_code.errors.append(_("This organisation is already registered."))
            # A colleague registered it first: offer to ask to join it instead.
            page = render_template("auth/register.html", form=form, join_code=form.credit_code.data)
            return page, 422
        else:
            org = Organisation(
                name=form.org_name.data,
                kind=OrgKind(form.org_kind.data),
                credit_code=form.credit_code.data,
                district=form.district.data,
            )
            session.add(org)
            session.flush()
            user = User(
                email=email,
                name=form.name.data,
                role=Role.org_admin,
                organisation_id=org.id,
                password_hash=generate_password_hash(form.password.data),
            )
            session.add(user)
            audit.record(session, "organisation.register", org, {"name": org.name})
            # Signed in at once: drafts can be prepared while the organisation waits.
            _start_session(user, remember=False)
            session.commit()
            flash(_("Registration received. An official will verify your organisation."), "info")
            return redirect(url_for("main.home"))
    return render_template("auth/register.html", form=form), _form_status(form)


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, key_func=_login_key, methods=["POST"])
def login() -> tuple[str, int] | Response:
    """Sign in with e-mail and password."""
    form = LoginForm()
    if form.validate_on_submit():
        session = get_session()
        email = form.email.data.lower()
        user = session.exec(select(User).where(User.email == email)).first()
        if user is None and (
            waiting := requests.waiting_for(session, email=email, password=form.password.data)
        ):
            form.email.errors.append(_join_answer(session, waiting))
        elif user is None or not check_password_hash(user.password_hash, form.password.data):
            form.password.errors.append(_("E-mail or password is wrong."))
        elif not user.is_active:
            form.email.errors.append(_("This account is disabled. Contact an administrator."))
        else:
            _start_session(user, remember=form.remember.data)
            session.commit()
            target = request.args.get("next", "")
            return redirect(target if same_site_path(target) else url_for("main.home"))
    return render_template("auth/login.html", form=form), _form_status(form)


@bp.route("/logout", methods=["POST"])
@signed_in
def logout() -> Response:
    """Sign out here and on every other device."""
    session = get_session()
    user = session.get(User, current_user.id)
    user.session_version += 1
    session.commit()
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("main.home"))


@bp.route("/password", methods=["GET", "POST"])
@signed_in
@limiter.limit(_password_limit, methods=["POST"])
@limiter.limit(_password_limit, key_func=account_key, methods=["POST"])
def change_password() -> tuple[str, int] | Response:
    """Change the password; other sessions are signed out."""
    form = PasswordForm()
    if form.validate_on_submit():
        session = get_session()
        user = session.get(User, current_user.id)
        if not check_password_hash(user.password_hash, form.current.data):
            form.current.errors.append(_("The current password is wrong."))
        else:
            user.password_hash = generate_password_hash(form.password.data)
            user.session_version += 1
            audit.record(session, "user.password", user)
            revoked = 0
            if not form.keep_tokens.data:
                revoked = api_tokens.revoke_all(session, user_id=user.id)
            session.commit()
            login_user(user)  # keep this session, with the new version
            flash(_("Your password has been changed."), "info")
            if revoked:
                flash(
                    ngettext(
                        "Your API token was revoked; programs using it need a new one.",
                        "Your %(num)d API tokens were revoked; programs using them need new ones.",
                        revoked,
                    ),
                    "info",
                )
            return redirect(url_for("main.home"))
    return render_template("auth/password.html", form=form), _form_status(form)


# ---- a one-time reset link, handed out by an admin (matchmaker.auth.resets) ----------------


@bp.route("/reset/<token>", methods=["GET", "POST"])
@public  # the link's secret is the credential: it works once, until it expires
def reset_password(token: str) -> str | Response | tuple[str, int]:
    """Set a new password with a one-time link; the link is spent, other sessions end."""
    session = get_session()
    found = resets.find(session, token)
    if found is None:
        return render_error(
            404, _("This link has expired or was already used. Ask an administrator for a new one.")
        )
    reset, user = found
    form = NewPasswordForm()
    if not form.validate_on_submit():
        return render_template("auth/reset.html", form=form, user=user), (
            422 if form.is_submitted() else 200
        )
    resets.use(session, reset, user, password=form.password.data)
    session.commit()
    flash(_("Your new password is set. Please sign in with it."), "info")
    return redirect(url_for("auth.login"))


# ---- asking to join an organisation a colleague registered (matchmaker.members) --------------


@bp.route("/join", methods=["GET", "POST"])
@public
@limiter.limit("20 per hour", methods=["POST"])
def join() -> str | Response | tuple[str, int]:
    """Ask to join a registered organisation; its admin or an official decides."""
    form = JoinForm()
    if request.method == "GET":
        form.credit_code.data = request.args.get("credit_code", "")[:18]
    if not form.validate_on_submit():
        return render_template("auth/join.html", form=form), 422 if form.is_submitted() else 200
    session = get_session()
    try:
        asked = requests.ask(
            session,
            credit_code=form.credit_code.data,
            name=form.name.data,
            email=form.email.data,
            password=form.password.data,
            message=form.message.data or "",
        )
    except requests.JoinRefused as refused:
        form[refused.field].errors.append(str(refused))
        return render_template("auth/join.html", form=form), 422
    session.commit()
    org = session.get(Organisation, asked.organisation_id)
    flash(
        _(
            "Your request to join %(org)s was sent. Its administrator or an official decides; "
            "you can sign in once it is approved.",
            org=org.name,
        ),
        "info",
    )
    return redirect(url_for("auth.login"))


def _join_answer(session: Session, waiting: JoinRequest) -> str:
    """What an applicant who tries to sign in is told about their request."""
    org = session.get(Organisation, waiting.organisation_id)
    if waiting.status == JoinStatus.declined:
        return _(
            "Your request to join %(org)s was declined: %(reason)s",
            org=org.name,
            reason=waiting.reason,
        )
    return _(
        "Your request to join %(org)s is waiting for its administrator's approval.", org=org.name
    )
