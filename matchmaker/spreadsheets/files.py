"""Spreadsheet files in and out: the column layouts, reading .xlsx/.csv safely, writing them.

The layouts are the file format officials already use, so their headers are Chinese whatever
the UI language; English aliases are accepted on import. Nothing here touches the database.
"""

import csv
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import chain, islice
from typing import Any, NamedTuple

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from matchmaker.entries.reference import DISTRICTS, FIELDS, QUALIFICATIONS
from matchmaker.web.dates import day, local_time, local_today, when
from matchmaker.web.security import TimedBytes
from matchmaker.web.text import visible

MAX_ROWS = 10_000
MAX_COLUMNS = 100
# Decompressed-size guards, checked on the zip directory before openpyxl opens anything.
# Python's zipfile never inflates a member past its declared size, so the declared sizes bound
# what openpyxl can read. A genuine 5 MB workbook of 10,000 long Chinese rows inflates to a few
# tens of MB at ratios below 30; zeros-filled bombs reach ratios near 1,000.
MAX_UNCOMPRESSED = 150 * 1024 * 1024
MAX_RATIO = 100
RATIO_CHECK_FROM = 1024 * 1024  # tiny members (styles, rels) can have odd ratios harmlessly
MAX_MEMBERS = 500
# Limits on the XML itself, counted on the bytes before openpyxl builds elements: elements are
# what cost memory (~0.7 KB each while a row is parsed), and a tag needs a "<" that text cannot
# contain unescaped. A full row of 100 cells has about 400 tags; a whole 10,000 × 50 sheet 2M.
MAX_ROW_TAGS = 20_000
MAX_MEMBER_TAGS = 2_000_000
ROW_START = re.compile(rb"<(?:[A-Za-z_][\w.\-]{0,31}:)?row[\s/>]")
SCAN_CHUNK = 64 * 1024  # holds fewer than MAX_ROW_TAGS tags ("<a>" is 3 bytes)
# Every row read counts, blank or not: a sheet of millions of empty <row/> elements is as
# much work as one of full rows. The header row comes on top of MAX_ROWS.
MAX_SHEET_ROWS = MAX_ROWS + 1
# CPU budget of the request's thread for unpacking and parsing one workbook. A full 5 MB
# upload of 10,000 rows × 16 long text cells takes 3.6 CPU-seconds; what needs longer is a
# hostile file (a sheet without <dimension> is scanned to its end before its first row is
# read, shared strings are read whole). CPU time, not wall time, so a busy host does not
# refuse genuine files; a thread's own, so other threads of a worker do not count.
READ_CPU_SECONDS = 10.0

LIST_JOIN = "；"
TAG_SPLIT = re.compile(r"[,，;；、|\n]+")
ITEM_SPLIT = re.compile(r"[;；|\n]+")  # products and cases may contain commas themselves
# Cells a spreadsheet would run as a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class FileRefused(Exception):
    """The file cannot be read as a list; the message says why, in the user's language."""


class Column(NamedTuple):
    attr: str
    header: str
    aliases: tuple[str, ...]
    kind: str  # "text", "list", "items" (list split on ; only), "number", "date"
    required: bool
    note: Any  # lazy string: what goes in the column, for the template's notes sheet


class Layout(NamedTuple):
    kind: str  # "scenarios" or "capabilities"
    sheet_title: str
    columns: tuple[Column, ...]
    example: dict[str, Any]


def _common(prefix: str) -> tuple[Column, ...]:
    return (
        Column(
            "title",
            f"{prefix}名称",
            ("title", "name"),
            "text",
            True,
            _l("Required. 4 to 80 characters."),
        ),
        Column(
            "summary",
            f"{prefix}简介",
            ("summary",),
            "text",
            False,
            _l("One or two sentences, at most 200 characters."),
        ),
        Column(
            "description",
            f"{prefix}描述",
            ("description",),
            "text",
            True,
            _l("Required. 20 to 4,000 characters."),
        ),
    )


FIELD_COLUMN = Column(
    "field",
    "所属领域",
    ("field",),
    "text",
    True,
    _l("Required. One of the fields listed on the fields and districts sheet."),
)
DISTRICT_COLUMN = Column(
    "district",
    "所在区县",
    ("district",),
    "text",
    False,
    _l("One of the districts listed on the fields and districts sheet."),
)
TAGS_COLUMN = Column(
    "tags",
    "标签",
    ("tags", "keywords"),
    "list",
    False,
    _l("Up to 12 tags of at most 30 characters, separated by 、 or ；."),
)
ORGANISATION_COLUMN = Column(
    "organisation",
    "所属单位",
    ("organisation", "organization", "org", "unit", "单位"),
    "text",
    True,
    _l(
        "Officials only: the verified organisation the entry belongs to, by its full name or "
        "its unified social credit code."
    ),
)

SCENARIO_LAYOUT = Layout(
    "scenarios",
    "应用场景",
    (
        *_common("场景"),
        Column(
            "problem",
            "存在问题",
            ("problem",),
            "text",
            False,
            _l("The problem to solve, at most 1,000 characters."),
        ),
        Column(
            "target_users",
            "服务对象",
            ("target users", "users"),
            "text",
            False,
            _l("Who it is for, at most 500 characters."),
        ),
        Column(
            "current_state",
            "现状",
            ("current state",),
            "text",
            False,
            _l("How it is done today, at most 1,000 characters."),
        ),
        Column(
            "expected_outcome",
            "预期成效",
            ("expected outcome", "outcome"),
            "text",
            False,
            _l("The expected outcome, at most 1,000 characters."),
        ),
        FIELD_COLUMN,
        DISTRICT_COLUMN,
        TAGS_COLUMN,
        Column(
            "budget_min_wan",
            "预算下限(万元)",
            ("budget min", "budget minimum", "min budget"),
            "number",
            False,
            _l("A number in units of 10,000 yuan (万元), e.g. 50."),
        ),
        Column(
            "budget_max_wan",
            "预算上限(万元)",
            ("budget max", "budget maximum", "max budget", "budget"),
            "number",
            False,
            _l("A number in units of 10,000 yuan (万元), not below the minimum."),
        ),
        Column(
            "deadline",
            "截止日期",
            ("deadline", "due date"),
            "date",
            False,
            _l("A date written as YYYY-MM-DD, e.g. 2024-06-30."),
        ),
        Column(
            "contact_name",
            "联系人",
            ("contact", "contact name"),
            "text",
            False,
            _l("The person firms should contact, at most 40 characters."),
        ),
        Column(
            "contact_phone",
            "联系电话",
            ("phone", "contact phone", "telephone"),
            "text",
            False,
            _l("Their telephone number."),
        ),
    ),
    {
        "title": "政务大厅材料智能预审",
        "summary": "自助政务大厅申请材料的身份核验与自动预审",
        "description": "24小时自助政务大厅需要对申请人提交的材料进行身份核验和自动预审，"
        "减少窗口人工审核工作量。",
        "problem": "材料退回率高，窗口排队时间长",
        "target_users": "办事群众和窗口工作人员",
        "current_state": "人工逐份审核",
        "expected_outcome": "预审通过率提升，平均办理时间缩短一半",
        "field": "智慧政务",
        "district": "渝北区",
        "tags": ["OCR", "身份核验"],
        "budget_min_wan": 50,
        "budget_max_wan": 120,
        "deadline": None,  # set when the template is written: a date still ahead
        "contact_name": "张工",
        "contact_phone": "023-12345678",
    },
)

CAPABILITY_LAYOUT = Layout(
    "capabilities",
    "企业能力",
    (
        *_common("能力"),
        FIELD_COLUMN,
        DISTRICT_COLUMN,
        TAGS_COLUMN,
        Column(
            "products",
            "产品",
            ("products",),
            "list",
            False,
            _l("Products or solutions, separated by ； or 、."),
        ),
        Column(
            "cases",
            "案例",
            ("cases", "reference cases"),
            "items",
            False,
            _l("Reference cases, separated by ；."),
        ),
        Column(
            "qualifications",
            "资质",
            ("qualifications",),
            "list",
            False,
            _l(
                "Qualifications listed on the fields and districts sheet, such as 专精特新 or "
                "高新技术企业, separated by ； or 、."
            ),
        ),
    ),
    {
        "title": "政务材料OCR识别与核验平台",
        "summary": "证照、表单的文字识别与真伪核验",
        "description": "提供身份证、营业执照等证照和各类申请表单的OCR识别、要素抽取与核验，"
        "支持私有化部署。",
        "field": "人工智能",
        "district": "两江新区",
        "tags": ["OCR", "证照识别"],
        "products": ["智能预审平台", "证照识别SDK"],
        "cases": ["某区政务服务中心智能预审项目"],
        "qualifications": ["高新技术企业"],
    },
)

LAYOUTS = {layout.kind: layout for layout in (SCENARIO_LAYOUT, CAPABILITY_LAYOUT)}


def header_key(text: Any) -> str:
    """The comparable form of a header: NFKC, lower case, no spaces, no unit in brackets."""
    key = unicodedata.normalize("NFKC", visible(str(text or ""))).lower()
    key = re.sub(r"\(.*?\)", "", key)
    return re.sub(r"[\s_\-*:：]+", "", key)


def column_keys(column: Column) -> set[str]:
    """Every header text accepted for `column`."""
    return {header_key(column.header), header_key(column.attr)} | {
        header_key(a) for a in column.aliases
    }


# ---- cell values --------------------------------------------------------------------------


def needs_escape(value: str) -> bool:
    """True if a spreadsheet could run `value` as a formula (or it already is escaped)."""
    return value.startswith(FORMULA_START) or (value[:1] == "'" and needs_escape(value[1:]))


def safe_cell(value: Any) -> Any:
    """A value to write into a cell: text that could run as a formula gets a leading '."""
    if isinstance(value, str) and needs_escape(value):
        return "'" + value
    return value


def unescape(value: str) -> str:
    """Undo safe_cell, so an exported file imports back to the same text."""
    return value[1:] if value[:1] == "'" and needs_escape(value[1:]) else value


def export_value(column: Column, entry: Any) -> Any:
    """The cell value of `column` for `entry`, in the import's format."""
    value = getattr(entry, column.attr, None)
    if column.kind in ("list", "items"):
        return LIST_JOIN.join(value or [])
    return value


def jsonable(value: Any) -> str | int | float | bool | None:
    """A cell value as a JSON scalar, so a parsed upload can be stored between requests."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


def to_text(value: Any) -> str:
    """A cell as text: numbers typed into text columns (phone numbers) lose their '.0';
    invisible and direction-changing characters go, as from every input."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return unescape(visible(str(value)).strip())


def to_list(value: Any, *, items: bool = False) -> list[str]:
    """A cell as a list, split on the separators the column allows."""
    splitter = ITEM_SPLIT if items else TAG_SPLIT
    return [part.strip() for part in splitter.split(to_text(value)) if part.strip()]


def to_number(value: Any) -> float | None:
    """A cell as a number, or None when empty; ValueError when it is not a number."""
    if value is None:
        return None
    if isinstance(value, bool):  # TRUE/FALSE cells are not amounts
        raise ValueError(value)
    if isinstance(value, int | float):
        return float(value)
    text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "")
    text = text.removesuffix("万元").removesuffix("万").strip()
    if not text:
        return None
    number = float(text)  # ValueError for "abc"
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(value)
    return number


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")


def to_date(value: Any) -> date | None:
    """A cell as a date, or None when empty; ValueError when it is not a date."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value <= 2_958_465:  # an Excel serial day number in a cell without date format
            from openpyxl.utils.datetime import from_excel

            return from_excel(value).date()
        raise ValueError(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    text = text[:10] if re.match(r"\d{4}-\d{2}-\d{2}T", text) else text
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(value)


# ---- reading ------------------------------------------------------------------------------


class Table(NamedTuple):
    headers: list[str]
    rows: list[tuple[int, list[Any]]]  # (row number as the spreadsheet shows it, cells)


def read_table(filename: str, data: bytes) -> Table:
    """Read the first sheet of an .xlsx or a .csv upload; FileRefused says what is wrong."""
    if not data:
        raise FileRefused(_("The file is empty."))
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension == "xlsx":
        rows = _xlsx_rows(data)
    elif extension == "csv":
        rows = _csv_rows(data)
    elif extension == "xls":
        raise FileRefused(_("Old .xls workbooks cannot be read. Save the file as .xlsx or .csv."))
    else:
        raise FileRefused(_("Upload an .xlsx workbook or a .csv file."))
    return _table(rows)


def _too_many_rows() -> FileRefused:
    return FileRefused(
        _(
            "The file has more than %(max)s rows (blank rows count too). Split it into smaller "
            "files, or delete the blank rows below the list.",
            max=f"{MAX_ROWS:,}",
        )
    )


def _table(rows: Iterator[tuple[int, list[Any]]]) -> Table:
    headers: list[str] | None = None
    body: list[tuple[int, list[Any]]] = []
    for number, raw in rows:
        # Counted before anything else, so that reading stops at the limit however empty
        # the rows are.
        if number > MAX_SHEET_ROWS:
            raise _too_many_rows()
        if not any(raw):
            continue
        cells = [
            None if isinstance(c, str) and not c.strip() else jsonable(c) for c in raw[:MAX_COLUMNS]
        ]
        if all(c is None for c in cells):
            continue
        if headers is None:
            headers = [str(c).strip() if c is not None else "" for c in cells]
            continue
        body.append((number, cells + [None] * (len(headers) - len(cells))))
    if headers is None:
        raise FileRefused(_("The file is empty."))
    if not body:
        raise FileRefused(_("The file has a header row but no entries under it."))
    return Table(headers, body)


def check_zip(data: bytes) -> None:
    """Refuse anything that is not a plausible, safely sized .xlsx zip before opening it."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise FileRefused(
            _(
                "This file is not an .xlsx workbook, even though its name ends in .xlsx. "
                "Open it in Excel or WPS and save it as .xlsx or .csv."
            )
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except Exception as err:  # noqa: BLE001 — a damaged zip raises many kinds; one message
        raise FileRefused(_("The workbook is damaged and cannot be read.")) from err
    names = {m.filename for m in members}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise FileRefused(
            _(
                "This file is not an .xlsx workbook, even though its name ends in .xlsx. "
                "Open it in Excel or WPS and save it as .xlsx or .csv."
            )
        )
    total = sum(m.file_size for m in members)
    too_compressed = any(
        m.file_size > RATIO_CHECK_FROM and m.file_size > MAX_RATIO * max(m.compress_size, 1)
        for m in members
    )
    if len(members) > MAX_MEMBERS or total > MAX_UNCOMPRESSED or too_compressed:
        raise FileRefused(
            _(
                "The workbook unpacks to far more data than a list of entries holds, so it was "
                "not opened. Save the list again as a plain .xlsx or .csv file."
            )
        )


def _too_slow() -> FileRefused:
    return FileRefused(
        _(
            "The workbook takes too long to read: it holds far more than a list of "
            "entries. Save the list again as a plain .xlsx or .csv file."
        )
    )


def check_xml(data: bytes) -> None:
    """Refuse a workbook whose XML holds far more rows or elements than a list needs.

    Streams each member through zlib and counts, so a sheet of 20 million empty rows, one
    row of a million cells or a bloated string table is refused in well under a second,
    before openpyxl builds any of it.
    """
    too_big = FileRefused(
        _(
            "The workbook holds far more cells than a list of entries. Copy the list alone "
            "into a new workbook and save it again."
        )
    )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for member in archive.infolist():
            in_sheet = "worksheets/" in member.filename
            rows = tags = row_tags = 0
            carry = b""
            with archive.open(member) as stream:
                while True:
                    chunk = stream.read(SCAN_CHUNK)
                    text = carry + chunk
                    # Counted up to the last "<" only: the tag it starts may go on in the next
                    # chunk. A tag holds no "<", so its first 64 bytes name it.
                    cut = text.rfind(b"<") if chunk else len(text)
                    head, carry = (text, b"") if cut < 0 else (text[:cut], text[cut : cut + 64])
                    start = 0
                    for match in ROW_START.finditer(head):
                        rows += 1
                        row_tags += head.count(b"<", start, match.start())
                        if rows > MAX_SHEET_ROWS:
                            raise _too_many_rows()
                        if in_sheet and row_tags > MAX_ROW_TAGS:
                            raise too_big
                        start, row_tags = match.start(), 0
                    row_tags += head.count(b"<", start)
                    tags += head.count(b"<")
                    if tags > MAX_MEMBER_TAGS or (in_sheet and row_tags > MAX_ROW_TAGS):
                        raise too_big
                    if not chunk:
                        break


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    """The first sheet's rows, read lazily so that a too-long sheet is refused early."""
    # openpyxl is imported where a workbook is read or written, not with the app.
    from openpyxl import load_workbook

    check_zip(data)
    try:
        check_xml(data)
    except FileRefused:
        raise
    except Exception as err:  # noqa: BLE001 — a damaged member (CRC, deflate) raises many kinds
        raise FileRefused(_("The workbook is damaged and cannot be read.")) from err
    # openpyxl raises many exception types on damaged or hostile files (KeyError, XML parse
    # errors, TypeError…), none of which the user can act on differently: one message for all.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "no default style": harmless for reading
            workbook = load_workbook(
                TimedBytes(data, READ_CPU_SECONDS, _too_slow), read_only=True, data_only=True
            )
    except FileRefused:
        raise
    except Exception as err:  # noqa: BLE001 — see above
        raise FileRefused(_("The workbook is damaged and cannot be read.")) from err
    try:
        if not workbook.worksheets:
            raise FileRefused(_("The file is empty."))
        # max_col bounds each row's width whatever <dimension> the sheet claims; max_row makes
        # openpyxl stop one row past the limit instead of padding up to the claimed last row.
        rows = workbook.worksheets[0].iter_rows(
            max_col=MAX_COLUMNS, max_row=MAX_SHEET_ROWS + 1, values_only=True
        )
        number = 0
        while True:
            try:
                cells = next(rows, None)
            except FileRefused:
                raise
            except Exception as err:  # noqa: BLE001 — see above
                raise FileRefused(_("The workbook is damaged and cannot be read.")) from err
            if cells is None:
                return
            number += 1
            yield number, cells
    finally:
        workbook.close()


def decode_csv(data: bytes) -> str:
    """The text of a CSV upload: UTF-8 (with or without BOM), UTF-16 with BOM, or GBK/GB18030."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings: tuple[str, ...] = ("utf-16",)
    elif data.startswith(b"\xef\xbb\xbf"):
        encodings = ("utf-8-sig",)
    else:
        encodings = ("utf-8", "gb18030")
    if b"\x00" in data and encodings != ("utf-16",):
        raise FileRefused(
            _("This does not look like a text CSV file. Save the list as CSV (UTF-8) or .xlsx.")
        )
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileRefused(
        _("The file's text encoding is not recognised. Save it as CSV (UTF-8) or as .xlsx.")
    )


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    if data.startswith(b"PK\x03\x04"):
        raise FileRefused(
            _("This file is a workbook, not a CSV file. Rename it to .xlsx or save it as CSV.")
        )
    text = decode_csv(data)
    first_line = text.split("\n", 1)[0]
    return _csv_records(text, max((",", "\t", ";"), key=first_line.count))


def _csv_records(text: str, delimiter: str) -> Iterator[tuple[int, list[Any]]]:
    """Records with their numbers as Excel shows them (a cell may hold a line break)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as err:
        raise FileRefused(_("The CSV file is malformed: %(error)s", error=str(err))) from err


# ---- writing ------------------------------------------------------------------------------


WIDTH_SAMPLE_ROWS = 200  # rows read ahead of writing to size a sheet's columns


class Sheet(NamedTuple):
    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence[Any]]


def write_xlsx(sheets: Sequence[Sheet]) -> bytes:
    """An .xlsx workbook of `sheets`, bold headers, formula-safe text, dates as dates."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    for sheet in sheets:
        worksheet = workbook.create_sheet(_sheet_title(sheet.title))
        # A write-only sheet takes its widths before any row: the first rows set them.
        rows = iter(sheet.rows)
        first = list(islice(rows, WIDTH_SAMPLE_ROWS))
        for index, header in enumerate(sheet.headers, start=1):
            shown = (row[index - 1] for row in first if len(row) >= index)
            worksheet.column_dimensions[get_column_letter(index)].width = column_width(
                header, shown
            )
        worksheet.freeze_panes = "A2"
        header_cells = []
        for header in sheet.headers:
            cell = WriteOnlyCell(worksheet, value=safe_cell(str(header)))
            cell.font = Font(bold=True)
            header_cells.append(cell)
        worksheet.append(header_cells)
        for row in chain(first, rows):
            worksheet.append([_xlsx_cell(worksheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def column_width(header: str, values: Iterable[Any]) -> int:
    """A column's width in Excel's units: its header and widest value readable, within reason."""
    widest = max(map(_shown_width, values), default=0)
    return max(10, min(50, max(_shown_width(header) + 4, widest + 2)))


def _shown_width(value: Any) -> int:
    """How many columns of Excel's default width `value` takes: a Chinese character two."""
    text = value.isoformat() if isinstance(value, date) else str(value or "")
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _xlsx_cell(worksheet: Any, value: Any) -> Any:
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, date) and not isinstance(value, datetime):
        cell = WriteOnlyCell(worksheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    if isinstance(value, datetime):
        # Excel has no time zones: the cell holds the local time people read.
        cell = WriteOnlyCell(worksheet, value=local_time(value).replace(tzinfo=None))
        cell.number_format = "yyyy-mm-dd hh:mm"
        return cell
    return safe_cell(value)


def _sheet_title(title: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Sheet"


def write_csv(sheets: Sequence[Sheet]) -> Iterator[str]:
    """CSV text in pieces: a UTF-8 BOM so Excel reads Chinese, then each sheet's rows.

    Several sheets (a report) follow one another, each under its title and a blank line.
    """
    yield "\ufeff"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for index, sheet in enumerate(sheets):
        if len(sheets) > 1:
            if index:
                writer.writerow([])
            writer.writerow([safe_cell(sheet.title)])
        writer.writerow([safe_cell(str(h)) for h in sheet.headers])
        for row in sheet.rows:
            writer.writerow([_csv_cell(v) for v in row])
            if buffer.tell() > 64 * 1024:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue()


def _csv_cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return when(value)
    if isinstance(value, date):
        return day(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return "" if value is None else safe_cell(value)


# ---- the template -------------------------------------------------------------------------


def template_workbook(layout: Layout, *, with_organisation: bool) -> bytes:
    """The downloadable template: headers, one example row, notes, and the allowed values."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    columns = list(layout.columns) + ([ORGANISATION_COLUMN] if with_organisation else [])
    workbook = Workbook()
    data_sheet = workbook.active
    data_sheet.title = layout.sheet_title
    data_sheet.append([c.header for c in columns])
    example = {**layout.example, "organisation": "重庆示例单位有限公司"}
    if "deadline" in example:
        example["deadline"] = local_today() + timedelta(days=90)  # an example still ahead
    data_sheet.append([safe_cell(export_value(c, _Example(example))) for c in columns])
    data_sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        data_sheet[f"{letter}1"].font = Font(bold=True)
        data_sheet.column_dimensions[letter].width = column_width(
            column.header, [data_sheet[f"{letter}2"].value]
        )
        if column.kind == "date":
            data_sheet[f"{letter}2"].number_format = "yyyy-mm-dd"

    values_title = _sheet_title(str(_("Fields and districts")))
    notes = workbook.create_sheet(_sheet_title(str(_("Notes"))))
    notes.append([str(_("Column")), str(_("Required")), str(_("What to enter"))])
    for column in columns:
        notes.append(
            [column.header, str(_("yes") if column.required else _("no")), str(column.note)]
        )
    notes.append([])
    for line in (
        _("Fill in one entry per row under the header row; keep the header row as it is."),
        _("English column names (title, description, field…) are accepted too."),
        _(
            "The example row is left out on upload, unchanged or deleted. At most %(max)s rows "
            "per file.",
            max=f"{MAX_ROWS:,}",
        ),
        _("Save as .xlsx, or as CSV in UTF-8 or GBK."),
    ):
        notes.append([str(line)])
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["C"].width = 80
    for cell in notes[1]:
        cell.font = Font(bold=True)

    values = workbook.create_sheet(values_title)
    values.append(["所属领域", "所在区县", "资质"])
    for index in range(max(len(FIELDS), len(DISTRICTS), len(QUALIFICATIONS))):
        values.append(
            [
                seq[index] if index < len(seq) else None
                for seq in (FIELDS, DISTRICTS, QUALIFICATIONS)
            ]
        )
    for letter in ("A", "B", "C"):
        values.column_dimensions[letter].width = 28
    # Drop-down lists on the data sheet, fed from the values sheet.
    for column, source_letter, count in (
        (FIELD_COLUMN, "A", len(FIELDS)),
        (DISTRICT_COLUMN, "B", len(DISTRICTS)),
    ):
        letter = get_column_letter(columns.index(column) + 1)
        validation = DataValidation(
            type="list",
            formula1=f"'{values_title}'!${source_letter}$2:${source_letter}${count + 1}",
            allow_blank=True,
        )
        data_sheet.add_data_validation(validation)
        validation.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class _Example:
    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)
