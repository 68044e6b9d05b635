"""A QR code as a PNG picture, for the fund's printed documents (a deposit receipt's claim
number, a rights certificate's verification address): black on white with its quiet zone,
error correction M (a smudged or folded print still reads)."""

from __future__ import annotations

import io

import segno

QR_ERROR = "m"  # recovers 15 % of a smudged or folded print


def qr_png(text: str, *, scale: int = 10) -> bytes:
    """``text`` as a QR code (PNG bytes)."""
    out = io.BytesIO()
    segno.make(text, error=QR_ERROR, micro=False).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()
