"""Evidence: a firm's claims and their files (/evidence/), the officials' queue, the files.

Files are served only here, to their organisation and to officials, never from static/.
"""

from pathlib import Path
from typing import Any

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
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from matchmaker.evidence import cards, claims, files, operations, queue
from matchmaker.evidence.forms import ApproveForm, RejectForm, UploadForm
from matchmaker.evidence.operations import EvidenceRefused
from matchmaker.extensions import csrf
from matchmaker.web.access import STAFF, current_org, is_staff, roles_required, side_required
from matchmaker.web.access import signed_in as signed_in_only
from matchmaker.web.dates import local_today
from matchmaker.web.db import get_session
from matchmaker.web.security import parse_int
from models import ClaimKind, Evidence, EvidenceStatus, OrgKind

bp = Blueprint("evidence", __name__, url_prefix="/evidence")
# Firms prepare their evidence while they wait for verification, as they prepare drafts.
firms = side_required(OrgKind.supply, drafts=True)
# Room for the form's other fields and the multipart framing around a 10 MB file.
FORM_ALLOWANCE = 64 * 1024
# A served file is a document, not a page: nothing in it may run or load anything.
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"


bp.add_app_template_global(cards.verified_claims)


def _directory() -> Path:
    return Path(current_app.config["EVIDENCE_DIR"])


# ----- the firm's page ---------------------------------------------------------------------


@bp.route("/")
@firms
def mine() -> tuple[str, int]:
    """My organisation's qualifications and reference cases, each with its evidence."""
    return _mine_page()


def _mine_page(problem: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    """The claims page; `problem` (kind, claim, message) is shown at the claim it is about."""
    found = claims.claims_of(get_session(), current_org(), today=local_today())
    problem = problem or {}
    if not any((c.kind, c.name) == (problem.get("kind"), problem.get("claim")) for c in found):
        # About no claim on the page (one taken off a capability meanwhile): said at the top.
        problem = {"message": problem["message"]} if problem.get("message") else {}
    return (
        render_template(
            "evidence/mine.html",
            claims=found,
            kinds=list(ClaimKind),
            problem=problem,
            max_mb=files.MAX_BYTES >> 20,
        ),
        status,
    )


@bp.route("/upload", methods=["POST"])
@firms
@csrf.exempt  # checked below, once the body may be as large as an evidence file
def upload() -> Response | tuple[str, int]:
    """Attach a file to one of my organisation's claims; a refused file changes nothing."""
    # The app-wide limit is smaller; the token is in the body, so the limit comes first.
    request.max_content_length = files.MAX_BYTES + FORM_ALLOWANCE
    try:
        csrf.protect()
        form = UploadForm()
        valid = form.validate()
    except RequestEntityTooLarge:
        return _mine_page({"message": str(files.too_large())}, status=413)
    kind, name = form.kind.data or "", form.claim.data or ""
    if not valid:
        message = " ".join(str(e) for e in form.file.errors) or _(
            "Attach evidence to a qualification or case that your organisation claims."
        )
        return _mine_page({"kind": kind, "claim": name, "message": message}, status=400)
    upload_file = form.file.data
    session = get_session()
    try:
        evidence = operations.attach(
            session,
            user=current_user,
            kind=ClaimKind(kind),
            name=name,
            source=upload_file.stream,
            filename=upload_file.filename or "",
            directory=_directory(),
        )
    except files.FileRefused as refused:
        return _mine_page(
            {"kind": kind, "claim": name, "message": str(refused)}, status=refused.status
        )
    except EvidenceRefused as refused:
        return _mine_page({"kind": kind, "claim": name, "message": str(refused)}, status=400)
    try:
        session.commit()
    except Exception:
        files.remove(_directory(), evidence.stored_name)  # no row, so no file either
        raise
    flash(_("The file was received; an official will check it."), "info")
    return redirect(url_for("evidence.mine"))


@bp.route("/<int:evidence_id>/withdraw", methods=["POST"])
@firms
def withdraw(evidence_id: int) -> Response:
    """Delete one of my organisation's files that no official has approved."""
    session = get_session()
    evidence = session.get(Evidence, evidence_id)
    if evidence is None or evidence.organisation_id != current_user.organisation_id:
        abort(404)
    stored_name = operations.withdraw(
        session, evidence, version=parse_int(request.form.get("version"))
    )
    session.commit()
    files.remove(_directory(), stored_name)  # after the commit: a rollback keeps the file
    flash(_("The file was deleted."), "info")
    return redirect(url_for("evidence.mine"))


# ----- the file itself ---------------------------------------------------------------------


@bp.route("/<int:evidence_id>/file")
@signed_in_only
def file(evidence_id: int) -> Response:
    """The file, to its organisation and to officials; anyone else is told it does not exist."""
    evidence = get_session().get(Evidence, evidence_id)
    mine = evidence is not None and evidence.organisation_id == current_user.organisation_id
    if evidence is None or evidence.status == EvidenceStatus.withdrawn or not (mine or is_staff()):
        abort(404)
    path = files.path_of(_directory(), evidence.stored_name)
    if path is None:
        current_app.logger.error("Evidence file %s is missing", evidence.stored_name)
        abort(404)
    response = send_file(
        path,
        mimetype=evidence.media_type,
        download_name=files.download_name(evidence.claim, evidence.id, evidence.media_type),
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = FILE_CSP
    return response


# ----- the officials' queue ----------------------------------------------------------------


@bp.route("/queue", endpoint="queue")
@roles_required(*STAFF)
def waiting() -> tuple[str, int]:
    """Files waiting for an official, oldest first."""
    return _queue_page()


def _queue_page(
    deciding: int | None = None,
    *,
    approve_form: ApproveForm | None = None,
    reject_form: RejectForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    found = queue.waiting(
        get_session(),
        page=parse_int(request.args.get("page")) or 1,
        page_size=current_app.config["PAGE_SIZE"],
    )
    return (
        render_template(
            "evidence/queue.html",
            found=found,
            deciding=deciding,
            approve_form=approve_form or ApproveForm(formdata=None),
            reject_form=reject_form or RejectForm(formdata=None),
            today=local_today(),
        ),
        status,
    )


def _waiting_or_404(evidence_id: int) -> Evidence:
    evidence = get_session().get(Evidence, evidence_id)
    if evidence is None:
        abort(404)
    return evidence


def _back_to_queue() -> Response:
    page = parse_int(request.args.get("page"))
    return redirect(url_for("evidence.queue", **({"page": page} if page else {})))


def _decision(evidence_id: int, form: ApproveForm | RejectForm, decide: Any) -> Any:
    """Apply an official's decision from `form`; a refusal is shown at the form's field."""
    evidence = _waiting_or_404(evidence_id)
    field = form.expires_on if isinstance(form, ApproveForm) else form.reason
    forms = {"approve_form" if isinstance(form, ApproveForm) else "reject_form": form}
    if not form.validate_on_submit():
        return _queue_page(evidence.id, status=422, **forms)
    session = get_session()
    try:
        decide(session, evidence)
    except EvidenceRefused as refused:
        session.rollback()
        field.errors = [str(refused)]
        return _queue_page(evidence.id, status=422, **forms)
    session.commit()
    return evidence


@bp.route("/<int:evidence_id>/approve", methods=["POST"])
@roles_required(*STAFF)
def approve(evidence_id: int) -> Any:
    """Approve a file until the expiry date printed on it; the firm is told."""
    form = ApproveForm()
    decided = _decision(
        evidence_id,
        form,
        lambda session, evidence: operations.approve(
            session,
            evidence,
            version=form.version.data,
            expires_on=form.expires_on.data,
            today=local_today(),
            user_id=current_user.id,
        ),
    )
    if not isinstance(decided, Evidence):
        return decided
    flash(_("Approved: %(claim)s.", claim=decided.claim), "info")
    return _back_to_queue()


@bp.route("/<int:evidence_id>/reject", methods=["POST"])
@roles_required(*STAFF)
def reject(evidence_id: int) -> Any:
    """Reject a file with the reason the firm is told."""
    form = RejectForm()
    decided = _decision(
        evidence_id,
        form,
        lambda session, evidence: operations.reject(
            session,
            evidence,
            version=form.version.data,
            reason=form.reason.data or "",
            user_id=current_user.id,
        ),
    )
    if not isinstance(decided, Evidence):
        return decided
    flash(_("Rejected: %(claim)s.", claim=decided.claim), "info")
    return _back_to_queue()
