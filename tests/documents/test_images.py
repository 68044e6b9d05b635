"""Photos of documents are reduced on the server: at most 2000 pixels, turned upright, no
metadata kept; a PDF is kept as it came; a picture that cannot be read or would be too
large to open is refused, naming the field."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from daman.core.errors import ValidationFailed
from daman.documents import images
from tests.claims.support import PDF


def photo(width: int, height: int, kind: str = "JPEG", exif: bool = False) -> bytes:
    picture = Image.effect_noise((width, height), 60).convert("RGB")
    out = io.BytesIO()
    if exif:
        data = Image.Exif()
        data[0x0112] = 6  # orientation: turned a quarter
        data[0x010F] = "PhoneMaker"
        picture.save(out, format=kind, exif=data.tobytes())
    else:
        picture.save(out, format=kind)
    return out.getvalue()


def test_a_large_photo_is_reduced_upright_and_without_metadata() -> None:
    data = photo(4000, 3000, exif=True)
    reduced, kind = images.reduce(data)
    assert kind == "image/jpeg" and len(reduced) < len(data)
    with Image.open(io.BytesIO(reduced)) as out:
        assert max(out.size) == images.LONGEST
        assert out.size[1] > out.size[0]  # turned upright as the camera said
        assert not out.getexif()


def test_a_png_becomes_a_jpeg_and_a_pdf_is_kept() -> None:
    reduced, kind = images.reduce(photo(2500, 1200, "PNG"))
    assert kind == "image/jpeg" and reduced.startswith(b"\xff\xd8\xff")
    assert images.reduce(PDF) == (PDF, "application/pdf")


def test_a_small_photo_is_kept_as_it_came() -> None:
    data = photo(40, 30)
    assert images.reduce(data) == (data, "image/jpeg")


def test_a_broken_or_enormous_picture_is_refused_by_field(monkeypatch) -> None:
    with pytest.raises(ValidationFailed) as broken:
        images.reduce(b"\xff\xd8\xff" + b"not a jpeg at all", "prescription")
    assert broken.value.detail[0].field == "prescription"
    monkeypatch.setattr(images, "MAX_PIXELS", 100)
    with pytest.raises(ValidationFailed) as huge:
        images.reduce(photo(20, 20), "barcodes")
    assert huge.value.detail[0].field == "barcodes"
