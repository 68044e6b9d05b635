"""Photographs of documents reduced on the server before they are kept.

A phone's photo of a prescription is 3 to 12 MB and 4000 pixels wide; a reader needs a
tenth of that. `reduce` turns a JPEG or PNG into a JPEG at most ``LONGEST`` pixels on its
longest side, turned upright as the camera said (EXIF orientation), without its metadata
(a photo's EXIF may hold where it was taken), at quality ``QUALITY``. A PDF, a JPEG already
that small and bare, or a small PNG scan that a JPEG would not shrink, is kept as it came.
A picture of more than ``MAX_PIXELS`` pixels (a "decompression bomb" a few kilobytes long)
or one Pillow cannot read is refused, naming the file.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from daman.core.errors import ValidationFailed
from daman.documents.store import sniff

LONGEST = 2000  # pixels: a page stays readable
QUALITY = 82
MAX_PIXELS = 60_000_000  # a 60-megapixel photo; far above any phone's
IMAGES = ("image/jpeg", "image/png")


def reduce(data: bytes, field: str = "file") -> tuple[bytes, str]:
    """(bytes, content type) of the document to keep: a JPEG or PNG reduced, anything else
    unchanged (the document store checks it). ValidationFailed naming ``field`` for an
    image that cannot be read or is too large to open."""
    kind = sniff(data)
    if kind not in IMAGES:
        return data, kind or ""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as opened:
                if opened.width * opened.height > MAX_PIXELS:
                    raise ValidationFailed.one(
                        field, f"a picture of more than {MAX_PIXELS:,} pixels is refused"
                    )
                exif = bool(opened.getexif())
                picture = ImageOps.exif_transpose(opened)
                picture.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ValidationFailed.one(field, "the picture cannot be read") from exc
    except Image.DecompressionBombWarning as exc:
        raise ValidationFailed.one(field, "the picture is too large to open") from exc
    small = max(picture.size) <= LONGEST
    if small and kind == "image/jpeg" and not exif:
        return data, kind  # already small and bare: not re-encoded (no loss)
    if picture.mode not in ("RGB", "L"):
        background = Image.new("RGB", picture.size, "white")
        rgba = picture.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        picture = background
    picture.thumbnail((LONGEST, LONGEST), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=QUALITY, optimize=True)
    reduced = out.getvalue()
    if small and kind == "image/png" and len(reduced) >= len(data):
        return data, kind  # a small scan in PNG is smaller as it is
    return reduced, "image/jpeg"
