"""Files a firm might upload as evidence: good scans, and the bad ones a platform must refuse."""

import io

from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject


def pdf(*, script: str | None = None, launch: bool = False) -> bytes:
    """A one-page PDF; with `script`, one that runs it on opening; with `launch`, one that
    launches a program when opened."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if script:
        writer.add_js(script)
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
