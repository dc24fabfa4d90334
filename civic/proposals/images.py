"""Proposal images: PNG, JPEG or WebP decided by content, a size limit, random names on disk.

The type check reuses ``civic.consultations.uploads.detect_type``; files live under
``UPLOAD_FOLDER/proposals`` (never under ``static``) and are served through a view that checks
who may see the proposal.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _

from civic.consultations.uploads import EXTENSIONS, IMAGE_TYPES, detect_type, human_size
from civic.core.errors import InvalidInput

SUBFOLDER = "proposals"
_NAME = re.compile(r"[0-9a-f]{32}\.(png|jpg|webp)")


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    content_type: str


def max_bytes() -> int:
    return int(current_app.config["PROPOSAL_IMAGE_MAX_BYTES"])


def check_image(storage, field: str = "image") -> CheckedImage | None:
    """Read an uploaded ``FileStorage``; None when nothing was chosen.

    Raises ``InvalidInput`` (attached to ``field``) when the file is empty, too large or not
    really a PNG, JPEG or WebP image, whatever its name says.
    """
    if storage is None or not getattr(storage, "filename", None):
        return None
    limit = max_bytes()
    data = storage.stream.read(limit + 1)
    if not data:
        raise InvalidInput(_("The image is empty. Choose another file."), field=field)
    if len(data) > limit:
        raise InvalidInput(
            _("The image is larger than %(limit)s. Choose a smaller image.", limit=human_size(limit)),
            field=field,
        )
    kind = detect_type(data)
    if kind not in IMAGE_TYPES:
        raise InvalidInput(
            _("This file is not a PNG, JPEG or WebP image. Choose an image in one of these formats."),
            field=field,
        )
    return CheckedImage(data=data, content_type=kind)


def folder() -> str:
    base = current_app.config.get("UPLOAD_FOLDER") or os.path.join(current_app.instance_path, "uploads")
    path = os.path.join(base, SUBFOLDER)
    os.makedirs(path, exist_ok=True)
    return path


def store(image: CheckedImage) -> str:
    """Write the image under a new random name and return that name."""
    name = f"{secrets.token_hex(16)}.{EXTENSIONS[image.content_type]}"
    with open(os.path.join(folder(), name), "xb") as fh:
        fh.write(image.data)
    return name


def path_of(name: str) -> str:
    if not _NAME.fullmatch(name or ""):
        raise ValueError("not a stored image name")
    return os.path.join(folder(), name)


def remove(name: str | None) -> None:
    """Job: delete a replaced or orphaned image (runs after the transaction committed)."""
    if not name:
        return
    try:
        os.remove(path_of(name))
    except (FileNotFoundError, ValueError):
        pass
