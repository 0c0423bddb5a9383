"""Excel/CSV in and out: the import flow (upload → preview → confirm) and the list exports."""

import io
from collections.abc import Sequence

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from sqlalchemy.exc import SQLAlchemyError
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice

from matchmaker.dashboard import aggregates
from matchmaker.spreadsheets import exports, imports
from matchmaker.spreadsheets.downloads import XLSX, send_sheets
from matchmaker.spreadsheets.files import LAYOUTS, FileRefused, read_table, template_workbook
from matchmaker.spreadsheets.imports import Importer
from matchmaker.web.access import current_org, is_staff, public, signed_in
from matchmaker.web.dates import local_today
from matchmaker.web.db import get_session
from matchmaker.web.text import Form
from models import RecommendationStatus

bp = Blueprint("io", __name__, url_prefix="/io")

KIND = "<any(scenarios, capabilities):kind>"
FORMAT = "<any(xlsx, csv):fmt>"
KIND_LABELS = {"scenarios": _l("application scenarios"), "capabilities": _l("capabilities")}
PREVIEW_ROWS = 50
ERRORS_SHOWN = 500


class UploadForm(Form):
    file = FileField(
        _l("Spreadsheet (.xlsx or .csv)"), validators=[FileRequired(_l("Choose a file to upload."))]
    )


class ConfirmForm(Form):
    status = RadioField(
        _l("Save the entries as"),
        choices=[
            SelectChoice("draft", _l("Drafts: I will check and submit them myself")),
            SelectChoice("submitted", _l("Submitted: send them to the officials for review")),
        ],
        default="draft",
    )


def _importer() -> Importer:
    return Importer(current_user.id, current_user.organisation_id, is_staff())


def _allowed_kinds() -> list[str]:
    org = current_org()
    return imports.kinds_for(
        staff=is_staff(), side=org.kind if org else None, verified=bool(org and org.verified)
    )


def _check_kind(kind: str) -> None:
    if kind not in _allowed_kinds():
        abort(403)


# ---- import -------------------------------------------------------------------------------


@bp.route("/")
@public
def index() -> str:
    """What this visitor may import and export."""
    signed = current_user.is_authenticated
    org = current_org()
    return render_template(
        "io/index.html",
        import_kinds=_allowed_kinds() if signed else [],
        own_kinds=imports.kinds_for(staff=False, side=org.kind if org else None, verified=True),
        kind_labels=KIND_LABELS,
        staff=is_staff(),
        signed=signed,
    )


@bp.route(f"/template/{KIND}.xlsx")
@public
def template(kind: str) -> Response:
    """The import template: headers, an example row, notes and the allowed values."""
    data = template_workbook(LAYOUTS[kind], with_organisation=is_staff())
    return send_file(
        io.BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=f"{kind}-template.xlsx"
    )


@bp.route(f"/import/{KIND}", methods=["GET", "POST"])
@signed_in
def upload(kind: str) -> str | Response | tuple[str, int]:
    """Upload a list; it is read and kept for the preview, nothing is saved yet."""
    _check_kind(kind)
    form = UploadForm()
    problem = None
    if form.validate_on_submit():
        file = form.file.data
        filename = file.filename or ""
        try:
            table = read_table(filename, file.read())
            imports.check_headers(kind, table.headers, staff=is_staff())
        except FileRefused as err:
            problem = str(err)
        else:
            token = imports.stash(
                current_app.instance_path,
                kind=kind,
                filename=filename,
                table=table,
                user_id=current_user.id,
            )
            return redirect(url_for("io.review", kind=kind, token=token))
    elif request.method == "POST":
        problem = " ".join(str(e) for e in form.file.errors) or _("Choose a file to upload.")
    page = render_template(
        "io/upload.html",
        form=form,
        kind=kind,
        kind_labels=KIND_LABELS,
        problem=problem,
        staff=is_staff(),
    )
    return (page, 400) if problem else page


def _stash_or_redirect(kind: str, token: str) -> imports.Stash | Response:
    kept = imports.load_stash(current_app.instance_path, token, kind=kind, user_id=current_user.id)
    if kept is None:
        flash(_("That upload has expired or is not yours. Please upload the file again."), "error")
        return redirect(url_for("io.upload", kind=kind))
    return kept


@bp.route(f"/import/{KIND}/<token>", methods=["GET", "POST"])
@signed_in
def review(kind: str, token: str) -> str | Response | tuple[str, int]:
    """The preview with every row's problems; confirming saves all entries or none."""
    _check_kind(kind)
    kept = _stash_or_redirect(kind, token)
    if isinstance(kept, Response):
        return kept
    session = get_session()
    form = ConfirmForm()
    problem = None
    try:
        checked = imports.preview(
            session, kind, kept.table, importer=_importer(), today=local_today()
        )
    except FileRefused as err:  # e.g. the user lost the right to import for an organisation
        checked, problem = None, str(err)
    if checked is not None and form.validate_on_submit():
        if not imports.claim(current_app.instance_path, token):  # a double click
            flash(_("This upload is already being saved."), "info")
            return redirect(url_for("io.upload", kind=kind))
        try:
            saved = imports.commit(
                session,
                checked,
                status=form.status.data,
                importer=_importer(),
                filename=kept.filename,
            )
        except (FileRefused, SQLAlchemyError) as err:
            session.rollback()
            imports.release(current_app.instance_path, token)
            if not isinstance(err, FileRefused):
                current_app.logger.exception("Import not saved", exc_info=err)
                err = FileRefused(_("Nothing was saved: the database refused the entries."))
            problem = str(err)
        else:
            imports.discard(current_app.instance_path, token)
            flash(
                ngettext("%(num)d entry imported.", "%(num)d entries imported.", len(saved)), "info"
            )
            return redirect(url_for("io.upload", kind=kind))
    elif request.method == "POST" and problem is None:
        problem = _("Choose whether to save the entries as drafts or submit them.")
    page = render_template(
        "io/preview.html",
        form=form,
        kind=kind,
        kind_labels=KIND_LABELS,
        kept=kept,
        checked=checked,
        no_rows=imports.NO_ROWS,
        problem=problem,
        layout=LAYOUTS[kind],
        preview_rows=PREVIEW_ROWS,
        errors_shown=ERRORS_SHOWN,
    )
    return (page, 400) if problem else page


@bp.route(f"/import/{KIND}/<token>/discard", methods=["POST"])
@signed_in
def discard(kind: str, token: str) -> Response:
    """Forget an upload without saving anything."""
    _check_kind(kind)
    kept = imports.load_stash(current_app.instance_path, token, kind=kind, user_id=current_user.id)
    if kept is not None:
        imports.discard(current_app.instance_path, token)
    flash(_("The upload was discarded; nothing was saved."), "info")
    return redirect(url_for("io.upload", kind=kind))


def _export_scope(model_statuses: Sequence[str]) -> exports.ExportScope:
    """Who asks, and for what: ?mine=1 is the user's own organisation; staff may filter."""
    mine = request.args.get("mine") == "1"
    if mine and not current_user.is_authenticated:
        abort(401)
    status = request.args.get("status", "")
    return exports.ExportScope(
        staff=is_staff() and not mine,
        organisation_id=current_user.organisation_id if mine else None,
        status=status if status in model_statuses else "",
        filters=aggregates.parse_filters(request.args),
    )


@bp.route(f"/export/<any(scenarios, capabilities, pairings):dataset>.{FORMAT}")
@public
def export(dataset: str, fmt: str) -> Response:
    """Published scenarios, capabilities or pairings for everyone; more for owners and staff."""
    session = get_session()
    if dataset == "pairings":
        sheet = exports.pairings(session, _export_scope([s.value for s in RecommendationStatus]))
    else:
        model = exports.MODELS[dataset]
        statuses = [s.value for s in model.model_fields["status"].annotation]
        sheet = exports.entries(session, dataset, _export_scope(statuses))
    return send_sheets([sheet], fmt, dataset)


@bp.route(f"/export/docking.{FORMAT}")
@signed_in
def export_docking(fmt: str) -> Response:
    """Docking follow-up: officials see all published pairings, others their own."""
    mine = not is_staff() or request.args.get("mine") == "1"
    scope = exports.ExportScope(
        staff=is_staff() and not mine,
        organisation_id=current_user.organisation_id if mine else None,
        filters=aggregates.parse_filters(request.args),
    )
    return send_sheets([exports.docking(get_session(), scope)], fmt, "docking")
