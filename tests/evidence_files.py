"""Files a firm might upload as evidence: good scans, and the bad ones a platform must refuse."""

import io
import secrets

from PIL import Image
from pypdf import PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject, TextStringObject
from sqlmodel import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from support import csrf_token


def pdf(*, script: str | None = None, launch: bool = False, size: int | None = None) -> bytes:
    """A one-page PDF; with `script`, one that runs it on opening; with `launch`, one that
    launches a program when opened; with `size`, one of exactly that many bytes (its page's
    content stream padded, as a scan's image would fill it)."""
    if size is not None:
        padding = size
        for _attempt in range(3):  # the stream's /Length changes the size by a digit or two
            data = _padded_pdf(padding)
            if len(data) == size:
                return data
            padding += size - len(data)
        raise AssertionError("could not pad the PDF to the size asked for")
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if script:
        writer.add_open_action(JavaScript(script))
    if launch:
        action = DictionaryObject(
            {
                NameObject("/S"): NameObject("/Launch"),
                NameObject("/F"): TextStringObject("calc.exe"),
            }
        )
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _padded_pdf(padding: int) -> bytes:
    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    content = DecodedStreamObject()
    content.set_data(b"%" + b" " * max(padding, 0) + b"\n")
    page[NameObject("/Contents")] = writer._add_object(content)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def hidden_script_pdf() -> bytes:
    """A PDF whose open action names JavaScript with #xx escapes (/S /J#61vaScript, /J#53)."""
    body = [
        b"%PDF-1.4\n",
        b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R /OpenAction 3 0 R >>\nendobj\n",
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n",
        b"3 0 obj\n<< /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>\nendobj\n",
    ]
    offsets, position = [], 0
    for part in body:
        offsets.append(position)
        position += len(part)
    xref = b"xref\n0 4\n0000000000 65535 f \n" + b"".join(
        b"%010d 00000 n \n" % offset for offset in offsets[1:]
    )
    trailer = b"trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % position
    return b"".join(body) + xref + trailer


def image(fmt: str = "PNG", size: tuple[int, int] = (800, 600), mode: str = "RGB") -> bytes:
    """A plain image in `fmt` (PNG or JPEG)."""
    out = io.BytesIO()
    Image.new(mode, size, "white").save(out, fmt)
    return out.getvalue()


def image_bomb(side: int = 20_000) -> bytes:
    """A small PNG (a few hundred KB) that declares side × side pixels."""
    return image("PNG", (side, side), mode="1")


def upload(
    client, claim: str, data: bytes, *, kind: str = "qualification", filename: str = "证书.pdf"
):  # type: ignore[no-untyped-def]
    """Upload `data` as the evidence of a claim, as the browser's form does (with its token).

    The body is encoded in memory: the test client's own encoder spools a large body to a
    temporary file it never closes.
    """
    fields = {
        "csrf_token": csrf_token(client),
        "kind": kind,
        "claim": claim,
        "file": FileStorage(io.BytesIO(data), filename, content_type="application/octet-stream"),
    }
    boundary, body = encode_multipart(fields)
    return client.post(
        "/evidence/upload", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def approved_evidence(session, org, *claims: str, kind: str = "qualification", until=None):  # type: ignore[no-untyped-def]
    """Rows for evidence an official has approved (no file behind them: for pages that show
    only which claims are verified)."""
    from models import ClaimKind, Evidence, EvidenceStatus, User

    uploader = session.exec(select(User).where(User.organisation_id == org.id)).first()
    if uploader is None:
        uploader = User(
            email=f"uploader{org.id}@example.cn",
            name="上传人",
            organisation_id=org.id,
            password_hash="x",
        )
        session.add(uploader)
        session.flush()
    rows = [
        Evidence(
            organisation_id=org.id,
            kind=ClaimKind(kind),
            claim=claim,
            status=EvidenceStatus.approved,
            filename="证书.pdf",
            media_type="application/pdf",
            size=1000,
            sha256="0" * 64,
            stored_name=f"missing-{secrets.token_hex(8)}.pdf",
            expires_on=until,
            uploaded_by_id=uploader.id,
        )
        for claim in claims
    ]
    session.add_all(rows)
    session.commit()
    return rows


def pdf_without_xref(objects: int) -> bytes:
    """A PDF of many small objects and no cross-reference table, which a reader must rebuild
    object by object."""
    body = b"".join(b"%d 0 obj\n<< /A [1 2 3] >>\nendobj\n" % n for n in range(1, objects))
    return b"%PDF-1.4\n" + body + b"trailer\n<< /Root 1 0 R >>\nstartxref\n0\n%%EOF\n"
