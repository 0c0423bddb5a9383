"""Whatever bytes arrive as a list, the readers answer with a table or their own clear refusal:
no other exception, and no more than a bounded time and memory (property-based, hypothesis)."""

import codecs
import csv
import io
import time
import tracemalloc
from collections.abc import Iterator

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hostile
from matchmaker import create_app
from matchmaker.spreadsheets import files

# Far above what these small inputs need; a reader that stalls or balloons on some shape fails.
SECONDS = 2.0
PEAK_BYTES = 64 * 1024 * 1024
# A small limit, so that examples can cross it without building 10,000-row files.
LIMIT = 30

FUZZ = settings(
    max_examples=100,
    deadline=None,  # timed by the test itself, with the reader's own bound
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def request_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """A request context, for the readers' translated messages; no database is touched."""
    folder = tmp_path_factory.mktemp("reader")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": f"sqlite:///{folder / 'unused.db'}",
            "INSTANCE_PATH": str(folder / "instance"),
        }
    )
    with app.test_request_context("/?lang=en"):
        yield app


@pytest.fixture
def small_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "MAX_ROWS", LIMIT - 1)
    monkeypatch.setattr(files, "MAX_SHEET_ROWS", LIMIT)


def read_bounded(filename: str, data: bytes) -> files.Table | None:
    """read_table's answer (None when it refused), checked for time and memory."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        table = files.read_table(filename, data)
    except files.FileRefused as refusal:
        assert str(refusal).strip()
        table = None
    finally:
        elapsed = time.monotonic() - started
        _size, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert elapsed < SECONDS, f"{elapsed:.2f} s"
    assert peak < PEAK_BYTES, f"{peak / 1e6:.0f} MB"
    if table is not None:
        assert len(table.rows) <= files.MAX_ROWS
        assert all(number <= files.MAX_SHEET_ROWS for number, _cells in table.rows)
        assert len(table.headers) <= files.MAX_COLUMNS
        assert all(len(cells) <= files.MAX_COLUMNS for _n, cells in table.rows)
    return table


cell_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)) | st.sampled_from(",;\t\r\n\"'=\x00"),
    max_size=12,
)
grids = st.lists(st.lists(cell_text, max_size=8), max_size=LIMIT + 10)


@FUZZ
@given(data=st.binary(max_size=4096), name=st.sampled_from(["a.csv", "a.xlsx", "a.xls", "a"]))
def test_random_bytes_get_a_table_or_a_clear_refusal(request_context, data, name):
    read_bounded(name, data)


@FUZZ
@given(
    grid=grids,
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]),
    delimiter=st.sampled_from([",", "\t", ";"]),
)
def test_any_csv_is_read_or_refused_and_long_ones_stop_at_the_limit(
    request_context, small_limit, grid, encoding, delimiter
):
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(grid)
    data = buffer.getvalue().encode(encoding, errors="replace")
    table = read_bounded("list.csv", data)
    if table is not None and encoding.startswith("utf-8") and "\x00" not in buffer.getvalue():
        records = len(list(csv.reader(io.StringIO(codecs.decode(data, encoding), newline=""))))
        assert records <= LIMIT  # a longer file is never read as a table


@st.composite
def sheet_rows(draw: st.DrawFn) -> tuple[bytes, int]:
    """Rows of a worksheet as XML, and the last row number a reader reaches."""
    parts, last = [], 0
    for _ in range(draw(st.integers(0, LIMIT + 10))):
        number = draw(st.none() | st.integers(1, 10**8))
        last = number if number is not None else last + 1
        cells = b"".join(
            draw(
                st.sampled_from(
                    [
                        b"<c/>",
                        b'<c t="inlineStr"><is><t>%s</t></is></c>'
                        % draw(st.sampled_from([b"title", b"\xe5\x90\x8d", b"=1+1", b""])),
                        b"<c><v>%d</v></c>" % draw(st.integers(-(10**9), 10**9)),
                        b'<c t="b"><v>1</v></c>',
                        b'<c t="s"><v>%d</v></c>' % draw(st.integers(0, 5)),
                        b'<c t="d"><v>2024-02-30</v></c>',
                        b'<c r="XFD1"><v>1</v></c>',
                    ]
                ),
            )
            for _ in range(draw(st.integers(0, 6)))
        )
        attribute = b"" if number is None else b' r="%d"' % number
        parts.append(b"<row%s>%s</row>" % (attribute, cells) if cells else b"<row%s/>" % attribute)
    return b"".join(parts), last


@FUZZ
@given(
    rows=sheet_rows(),
    dimension=st.none() | st.sampled_from(["A1", "A1:CV99999999", "A1:XFD1048576", "Z9:A1"]),
)
def test_any_worksheet_is_read_or_refused_and_stops_at_the_row_limit(
    request_context, small_limit, rows, dimension
):
    body, last_row = rows
    table = read_bounded("list.xlsx", hostile.workbook(hostile.sheet([body], dimension=dimension)))
    if last_row > LIMIT:
        assert table is None  # rows past the limit, empty or not, are refused, never cut off
