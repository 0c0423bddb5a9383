"""Bad evidence files are refused with a clear message and the right status, and change
nothing: no row, no file left in the evidence folder, no audit entry."""

import io
from pathlib import Path

import pytest
from evidence_files import hidden_script_pdf, image, image_bomb, pdf, pdf_without_xref
from evidence_files import upload as upload_as_browser
from posting_data import member_of, sign_in
from pypdf import PdfWriter
from sqlmodel import select

from matchmaker.evidence import files
from models import AuditEntry, Evidence, Organisation, OrgKind
from pairings import make_capability
from support import login


def encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


BAD_FILES = {
    "a text file named .pdf": (b"not a certificate, just text\n" * 10, "证书.pdf", 415),
    "a Word document": (b"PK\x03\x04" + b"\x00" * 200, "证书.docx", 415),
    "an empty file": (b"", "证书.pdf", 400),
    "a file over 10 MB": (b"%PDF-1.4\n" + b"0" * files.MAX_BYTES, "证书.pdf", 413),
    "a PDF that runs JavaScript on opening": (pdf(script="app.alert('hi')"), "证书.pdf", 400),
    "a PDF that launches a program": (pdf(launch=True), "证书.pdf", 400),
    "a PDF hiding its script behind #xx escapes": (hidden_script_pdf(), "证书.pdf", 400),
    "a password-protected PDF": (encrypted_pdf(), "证书.pdf", 400),
    "a truncated PDF": (pdf()[:60], "证书.pdf", 400),
    "a truncated PNG": (image("PNG")[:100], "证书.png", 400),
    "an image bomb past Pillow's limit": (image_bomb(20_000), "证书.png", 413),
    "an image bomb near Pillow's limit": (image_bomb(10_000), "证书.png", 413),
    "an image over our pixel limit": (image("PNG", (8_000, 6_000), mode="1"), "证书.png", 413),
}
MESSAGES = {
    415: "Only PDF, JPEG and PNG files are accepted",
    413: "",
    400: "",
}


@pytest.fixture
def firm(app, session):
    user = member_of(session, OrgKind.supply, "重庆星河软件有限公司")
    make_capability(
        session, session.get(Organisation, user.organisation_id), qualifications=["高新技术企业"]
    )
    return sign_in(app, user)


def upload(client, data, filename):
    return upload_as_browser(client, "高新技术企业", data, filename=filename)


def nothing_changed(app, session):
    session.expire_all()
    assert session.exec(select(Evidence)).all() == []
    assert session.exec(select(AuditEntry).where(AuditEntry.object_type == "evidence")).all() == []
    folder = Path(app.config["EVIDENCE_DIR"])
    assert not folder.exists() or list(folder.iterdir()) == []


@pytest.mark.parametrize("what", BAD_FILES)
def test_a_bad_file_is_refused_with_its_reason_and_changes_nothing(app, session, firm, what):
    data, filename, status = BAD_FILES[what]
    response = upload(firm, data, filename)
    assert response.status_code == status, response.get_data(as_text=True)[-3000:]
    page = response.get_data(as_text=True)
    assert 'role="alert"' in page  # the reason, next to the claim it was for
    assert MESSAGES[status] in page
    nothing_changed(app, session)


def test_the_reasons_are_given_in_chinese_by_default(app, session):
    user = member_of(session, OrgKind.supply, "重庆星河软件有限公司")
    make_capability(
        session, session.get(Organisation, user.organisation_id), qualifications=["高新技术企业"]
    )
    client = app.test_client()
    login(client, user)
    page = upload(client, pdf(script="app.alert(1)"), "证书.pdf").get_data(as_text=True)
    assert "JavaScript" in page and "不接受" in page
    too_big = upload(client, b"%PDF-1.4\n" + b"0" * files.MAX_BYTES, "证书.pdf")
    assert too_big.status_code == 413 and "10 MB" in too_big.get_data(as_text=True)
    nothing_changed(app, session)


def test_a_body_declared_larger_than_the_limit_is_refused_before_it_is_read(app, session, firm):
    # Only the Content-Length is looked at: the 413 comes before any of the body is read.
    response = firm.post(
        "/evidence/upload",
        data=b"x" * 100,
        content_type="multipart/form-data; boundary=x",
        environ_overrides={"CONTENT_LENGTH": str(files.MAX_BYTES * 2)},
    )
    assert response.status_code == 413
    assert "larger than 10 MB" in response.get_data(as_text=True)
    nothing_changed(app, session)


@pytest.mark.parametrize(
    "data, filename, media_type",
    [
        (pdf(), "营业执照.PDF", "application/pdf"),
        (image("JPEG"), "scan", "image/jpeg"),
        (image("PNG"), "证书.jpg", "image/png"),  # typed by content, not by name
    ],
)
def test_pdf_jpeg_and_png_are_accepted_by_their_content(
    app, session, firm, data, filename, media_type
):
    assert upload(firm, data, filename).status_code == 302
    evidence = session.exec(select(Evidence)).one()
    assert evidence.media_type == media_type and evidence.size == len(data)
    assert evidence.stored_name.endswith(files.TYPES[media_type])


def test_a_file_just_at_the_limit_is_accepted(app, session, firm):
    data = pdf(size=files.MAX_BYTES)
    assert upload(firm, data, "大文件.pdf").status_code == 302
    assert session.exec(select(Evidence)).one().size == files.MAX_BYTES


def test_a_pdf_whose_end_marker_is_far_from_its_end_is_refused_at_once(app, session, firm):
    # pypdf would search 10 MB for the marker line by line; the check stops first.
    body = pdf()
    data = body + b"%" + b"0" * (files.MAX_BYTES - len(body) - 2) + b"\n"
    response = upload(firm, data, "证书.pdf")
    assert response.status_code == 400 and "damaged" in response.get_data(as_text=True)
    nothing_changed(app, session)


def test_a_file_name_cannot_hide_its_end_or_a_path(app, session, firm):
    assert upload(firm, pdf(), "../证书\u202efdp.exe").status_code == 302
    evidence = session.exec(select(Evidence)).one()
    assert evidence.filename == ".._证书fdp.exe"  # shown as it is, nothing reversed
    assert evidence.media_type == "application/pdf"  # and served as what it is


@pytest.mark.slow
def test_a_pdf_that_would_take_a_minute_to_read_is_refused_within_its_budget(app, session, firm):
    # Rebuilding 200,000 objects takes pypdf about a minute; the check stops at 3 s of CPU.
    response = upload(firm, pdf_without_xref(200_000), "证书.pdf")
    assert response.status_code == 400 and "too complex" in response.get_data(as_text=True)
    nothing_changed(app, session)


def test_a_file_for_a_claim_no_longer_named_is_refused_with_a_message_at_the_top(
    app, session, firm
):
    # The claim was taken off the capability while the page was open (or never there).
    response = upload_as_browser(firm, "国家重点软件企业", pdf(), filename="证书.pdf")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert '<p class="flash flash-error" role="alert">' in page
    assert "Attach evidence to a qualification or case that your organisation claims." in page
    nothing_changed(app, session)
