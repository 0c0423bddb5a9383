"""Workbooks built the way an attacker would: valid zips under the size and ratio limits whose
sheets hold millions of empty rows, one enormous row, or a row numbered near 100 million."""

import io
import random
import zipfile
from collections.abc import Iterable

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
BOOK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


def workbook(sheet_parts: Iterable[bytes]) -> bytes:
    """A minimal .xlsx that openpyxl opens, its one sheet streamed from `sheet_parts`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(
            "[Content_Types].xml",
            f'<?xml version="1.0"?><Types xmlns="{RELS.replace("relationships", "content-types")}">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{BOOK_TYPE}"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{SHEET_TYPE}"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{RELS}"><Relationship Id="rId1" '
            f'Type="{DOC_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0"?><workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}"><sheets>'
            '<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{RELS}"><Relationship Id="rId1" '
            f'Type="{DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            for part in sheet_parts:
                member.write(part)
    return buffer.getvalue()


def sheet(body: Iterable[bytes], *, dimension: str | None = "A1:CV99999999") -> Iterable[bytes]:
    """A worksheet's XML around `body`, the content of <sheetData>."""
    yield f'<?xml version="1.0"?><worksheet xmlns="{MAIN}">'.encode()
    if dimension:
        yield f'<dimension ref="{dimension}"/>'.encode()
    yield b"<sheetData>"
    yield from body
    yield b"</sheetData></worksheet>"


def noisy(element: bytes, variant: bytes, count: int) -> Iterable[bytes]:
    """`count` copies of `element`, one in thirty-three replaced by `variant` % a random number, so that
    the sheet compresses at a ratio a real file has (under the reader's limit of 100)."""
    rnd = random.Random(14)
    for start in range(0, count, 100_000):
        yield b"".join(
            element if rnd.random() < 0.97 else variant % rnd.randrange(1000)
            for _ in range(min(100_000, count - start))
        )


def empty_rows(count: int = 2_000_000, *, dimension: str | None = "A1:CV99999999") -> bytes:
    """The report's workbook: a header row, then `count` empty <row/> elements."""
    header = b'<row r="1"><c r="A1" t="inlineStr"><is><t>title</t></is></c></row>'
    rows = noisy(b"<row/>", b'<row spans="%d:1"/>', count)
    return workbook(sheet([header, *rows], dimension=dimension))


def one_wide_row(cells: int = 1_000_000) -> bytes:
    """One row of a million empty cells: each parsed cell costs memory until the row ends."""
    return workbook(sheet([b'<row r="1">', *noisy(b"<c/>", b'<c s="%d"/>', cells), b"</row>"]))


def far_row() -> bytes:
    """A header and one entry numbered 99,999,999: readers pad the rows in between."""
    header = b'<row r="1"><c r="A1" t="inlineStr"><is><t>title</t></is></c></row>'
    entry = b'<row r="99999999"><c r="A99999999" t="inlineStr"><is><t>x</t></is></c></row>'
    return workbook(sheet([header, entry]))
