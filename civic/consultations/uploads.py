"""Uploaded files: type decided by CONTENT (never by name or the browser's word), size limit,
cleaned download names, random names on disk under ``UPLOAD_FOLDER`` (never under static).
"""

from __future__ import annotations

import os
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from io import BytesIO

from flask import current_app
from flask_babel import lazy_gettext as _l

from civic.core.errors import InvalidInput

PDF = "application/pdf"
ODT = "application/vnd.oasis.opendocument.text"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PNG = "image/png"
JPEG = "image/jpeg"
WEBP = "image/webp"

EXTENSIONS = {PDF: "pdf", ODT: "odt", DOCX: "docx", PNG: "png", JPEG: "jpg", WEBP: "webp"}
KIND_LABELS = {
    PDF: _l("PDF document"),
    ODT: _l("OpenDocument text"),
    DOCX: _l("Word document"),
    PNG: _l("PNG image"),
    JPEG: _l("JPEG image"),
    WEBP: _l("WebP image"),
}
DOCUMENT_TYPES = frozenset(EXTENSIONS)
IMAGE_TYPES = frozenset({PNG, JPEG, WEBP})

SUBFOLDER = "consultations"


def detect_type(data: bytes) -> str | None:
    """The real type of ``data`` from its first bytes (and zip structure), or None."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"PK\x03\x04"):
        return _office_type(data)
    return None


def _office_type(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(BytesIO(data)) as zf:
            names = set(zf.namelist())
            if "mimetype" in names:
                info = zf.getinfo("mimetype")
                if info.file_size > 200:
                    return None
                if zf.read("mimetype").strip() == ODT.encode() and "content.xml" in names:
                    return ODT
                return None
            if "[Content_Types].xml" in names and "word/document.xml" in names:
                return DOCX
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        return None
    return None


_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


def clean_filename(name: str | None, content_type: str) -> str:
    """A safe download name: no folders, no control or reserved characters, right extension."""
    base = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = _UNSAFE.sub("-", stem).strip(" .-_")[:120] or "document"
    return f"{stem}.{EXTENSIONS[content_type]}"


def max_bytes() -> int:
    return int(current_app.config["ATTACHMENT_MAX_BYTES"])


def human_size(size: int) -> str:
    from flask_babel import format_decimal

    if size >= 1024 * 1024:
        return format_decimal(round(size / (1024 * 1024), 1)) + " MB"
    return format_decimal(max(1, round(size / 1024))) + " kB"


@dataclass
class CheckedFile:
    data: bytes
    content_type: str
    filename: str


def check_upload(storage, allowed: frozenset[str], field: str = "file") -> CheckedFile:
    """Read an uploaded ``FileStorage`` and check its size and real type.

    Raises ``InvalidInput`` (attached to ``field``) with a message people can act on.
    """
    from flask_babel import gettext as _

    limit = max_bytes()
    data = storage.stream.read(limit + 1)
    if not data:
        raise InvalidInput(_("The file is empty. Choose another file."), field=field)
    if len(data) > limit:
        raise InvalidInput(
            _("The file is larger than %(limit)s. Choose a smaller file.", limit=human_size(limit)),
            field=field,
        )
    kind = detect_type(data)
    if kind is None or kind not in allowed:
        names = ", ".join(sorted(EXTENSIONS[t].upper() for t in allowed))
        raise InvalidInput(
            _("This file's content is not one of the accepted types (%(types)s).", types=names),
            field=field,
        )
    claimed = _claimed_type(storage.filename)
    if claimed is not None and claimed != kind:
        raise InvalidInput(
            _("This file is named as a %(claimed)s but its content is a %(real)s. Check that you chose the right file.",
              claimed=KIND_LABELS[claimed], real=KIND_LABELS[kind]),
            field=field,
        )
    return CheckedFile(data=data, content_type=kind, filename=clean_filename(storage.filename, kind))


_BY_EXTENSION = {"pdf": PDF, "odt": ODT, "docx": DOCX, "png": PNG, "jpg": JPEG, "jpeg": JPEG, "webp": WEBP}


def _claimed_type(name: str | None) -> str | None:
    """The type a file's name announces (``report.pdf`` → PDF), if it announces a known one."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    if "." not in base:
        return None
    return _BY_EXTENSION.get(base.rsplit(".", 1)[1].strip().lower())


def folder() -> str:
    path = os.path.join(current_app.config["UPLOAD_FOLDER"], SUBFOLDER)
    os.makedirs(path, exist_ok=True)
    return path


def store(checked: CheckedFile) -> str:
    """Write the file under a random name; returns that name."""
    name = f"{secrets.token_hex(16)}.{EXTENSIONS[checked.content_type]}"
    with open(os.path.join(folder(), name), "xb") as fh:
        fh.write(checked.data)
    return name


def path_of(stored_name: str) -> str:
    if not re.fullmatch(r"[0-9a-f]{32}\.[a-z]{3,4}", stored_name or ""):
        raise ValueError("not a stored file name")
    return os.path.join(folder(), stored_name)


def remove(stored_name: str | None) -> None:
    """Delete a stored file (called after the deleting transaction committed)."""
    if not stored_name:
        return
    try:
        os.remove(path_of(stored_name))
    except (FileNotFoundError, ValueError):
        pass
