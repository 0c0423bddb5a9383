"""Evidence files: received in chunks, typed by their content, checked, and kept outside static/.

A file is copied to EVIDENCE_DIR under a random name while it is hashed and counted, so a
large upload is never held in memory and an oversized one is cut off at the limit. Only then is
it typed (by its first bytes, not its name) and checked: an image must open within the pixel
limit (a small file can declare a huge picture), a PDF must hold no script or launch action
anywhere a viewer could reach from its trailer. A refused file leaves nothing behind.
"""

import hashlib
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO, NamedTuple

import filetype
from flask_babel import gettext as _
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from matchmaker.web.security import TimedBytes

MAX_BYTES = 10 * 1024 * 1024  # 10 MB, the most one evidence file may hold
# 40 megapixels: a 600 dpi scan of an A4 page is 35; Pillow's own limit is about 89.
MAX_PIXELS = 40_000_000
MAX_PDF_OBJECTS = 100_000  # a certificate has hundreds; more is a file built to exhaust us
PDF_CPU_SECONDS = 3.0  # a 10 MB scan is checked in a fifth of a second
EOF_WITHIN = 64 * 1024  # a PDF's %%EOF marker is this close to its end (a few bytes may follow)
CHUNK = 64 * 1024
# What is accepted, by the type its content shows, and the extension it is stored under.
TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}
# Names that make a PDF run something: scripts (also in XFA forms) and actions that launch.
SCRIPT_KEYS = frozenset({"/JS", "/JavaScript", "/XFA"})
SCRIPT_ACTIONS = frozenset({"/JavaScript", "/Launch"})
UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


class FileRefused(Exception):
    """An upload that cannot be accepted; `status` is the HTTP answer (400, 413 or 415)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class Stored(NamedTuple):
    """A checked file, now under its stored name."""

    stored_name: str
    media_type: str
    size: int
    sha256: str


def too_large() -> FileRefused:
    """The refusal of a file over MAX_BYTES (also raised before the body is read)."""
    return FileRefused(
        _("The file is larger than %(size)d MB. Upload a smaller scan.", size=MAX_BYTES >> 20),
        413,
    )


def receive(source: IO[bytes], directory: Path) -> Stored:
    """Copy `source` into `directory`, check it, and return it as stored; FileRefused if not.

    Nothing is left in `directory` when the file is refused.
    """
    directory.mkdir(parents=True, exist_ok=True)
    partial = directory / f"{secrets.token_hex(16)}.partial"
    try:
        size, digest = _copy(source, partial)
        media_type = _check(partial, size)
        stored_name = f"{secrets.token_hex(16)}.{TYPES[media_type]}"
        os.replace(partial, directory / stored_name)
    finally:
        partial.unlink(missing_ok=True)
    return Stored(stored_name, media_type, size, digest)


def _copy(source: IO[bytes], target: Path) -> tuple[int, str]:
    """Write `source` to `target` a chunk at a time; its size and SHA-256. Stops past MAX_BYTES."""
    digest, size = hashlib.sha256(), 0
    with target.open("xb") as out:
        for chunk in _chunks(source):
            size += len(chunk)
            if size > MAX_BYTES:
                raise too_large()
            digest.update(chunk)
            out.write(chunk)
    if size == 0:
        raise FileRefused(_("The file is empty. Choose the scan of the certificate again."))
    return size, digest.hexdigest()


def _chunks(source: IO[bytes]) -> Iterator[bytes]:
    while chunk := source.read(CHUNK):
        yield chunk


def _check(path: Path, size: int) -> str:
    """The file's media type, after checking the content is what that type should be."""
    with path.open("rb") as handle:
        head = handle.read(8192)
    media_type = filetype.guess_mime(head)
    if media_type not in TYPES:
        raise FileRefused(
            _("Only PDF, JPEG and PNG files are accepted; this file is none of them."), 415
        )
    if media_type == "application/pdf":
        _check_pdf(path)
    else:
        _check_image(path, media_type)
    return media_type


def _check_image(path: Path, media_type: str) -> None:
    """Open the image's header and verify it, refusing more pixels than MAX_PIXELS."""
    bomb = FileRefused(
        _(
            "The image has more than %(count)d million pixels. Scan it at a lower resolution.",
            count=MAX_PIXELS // 1_000_000,
        ),
        413,
    )
    try:
        # Pillow refuses a decompression bomb at open (an error past twice its own limit, a
        # warning past it, which the tests turn into an error); below its limit, ours.
        with Image.open(path, formats=[PILLOW_FORMATS[media_type]]) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise bomb
            image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise bomb from None
    except FileRefused:
        raise
    except Exception:  # a decoder reading hostile bytes can fail in any way
        raise _unreadable() from None


def _check_pdf(path: Path) -> None:
    """Read the PDF's structure and refuse it if anything a viewer reaches could run code."""
    with path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - EOF_WITHIN))
        ends_well = b"%%EOF" in handle.read()
    if not ends_well:
        # Writers end a PDF with %%EOF; without one near the end, pypdf would search the
        # whole file for it line by line (seconds on 10 MB), so such a file stops here.
        raise _unreadable()
    try:
        # Read against a CPU budget: a file of many small objects and no cross-reference
        # table makes pypdf rebuild it object by object (a minute for 10 MB).
        timed = TimedBytes(path.read_bytes(), PDF_CPU_SECONDS, _too_complex)
        reader = PdfReader(timed, strict=False)
        if reader.is_encrypted:
            raise FileRefused(
                _("The PDF is password-protected, so it cannot be checked. Upload it unprotected.")
            )
        scripted = _reaches_script(reader.trailer)
        if timed.expired:  # pypdf skips what it cannot read, the refused reads included
            raise _too_complex()
    except FileRefused:
        raise
    except Exception:  # a parser reading hostile bytes can fail in any way
        raise _unreadable() from None
    if scripted:
        raise FileRefused(
            _(
                "The PDF contains JavaScript or an action that launches something, which is "
                "not accepted. Upload a plain scan or export of the certificate."
            )
        )


def _reaches_script(root: DictionaryObject) -> bool:
    """Whether any dictionary reachable from `root` holds a script or a launch action.

    Walks objects (resolving references once each), never stream contents; names are
    compared after pypdf has decoded their #xx escapes, so /J#53 is /JS.
    """
    seen: set[tuple[int, int]] = set()
    stack: list[object] = [root]
    visited = 0
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            item = item.get_object()
        visited += 1
        if visited > MAX_PDF_OBJECTS:
            raise _too_complex()
        if isinstance(item, DictionaryObject):
            if SCRIPT_KEYS & set(item.keys()):
                return True
            action = item.get("/S")
            if isinstance(action, IndirectObject):
                action = action.get_object()
            if isinstance(action, str) and action in SCRIPT_ACTIONS:
                return True
            stack.extend(dict.values(item))
        elif isinstance(item, ArrayObject):
            stack.extend(list.__iter__(item))
    return False


def _too_complex() -> FileRefused:
    return FileRefused(_("The PDF is too complex to be checked. Upload a simpler export."))


def _unreadable() -> FileRefused:
    return FileRefused(_("The file is damaged or not what its type says; it cannot be opened."))


def remove(directory: Path, stored_name: str) -> None:
    """Delete a stored file (a withdrawn one, or one whose row was never committed)."""
    (directory / stored_name).unlink(missing_ok=True)


def path_of(directory: Path, stored_name: str) -> Path | None:
    """The stored file's path, or None if it is missing."""
    path = directory / stored_name
    return path if path.is_file() else None


def download_name(claim: str, evidence_id: int, media_type: str) -> str:
    """A stable name for the download: the claim (shortened, safe) and the file's number."""
    stem = UNSAFE_NAME.sub("_", claim).strip(" ._")[:40] or "evidence"
    return f"{stem}-{evidence_id}.{TYPES.get(media_type, 'bin')}"
