"""Perceptual hashes of screenshots and banner images: pHash and dHash (imagehash) and PDQ (pdqhash).

A mirror copies the look of the original site even when its text is reworded. Screenshots are
hashed on their top part (the first screen): a full-page capture of a long page squeezed into a
32x32 grid loses what a visitor sees. Two images match when their pHash distance is within the
pHash threshold and, when both have one, their PDQ distance within the PDQ threshold.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import imagehash
import numpy as np
from PIL import Image

from kuzet.errors import KuzetError

MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
# Screenshots: the first screen only (height at most 3/4 of the width).
FOLD_RATIO = 0.75
ALGOS = ("phash", "dhash", "pdq")
BITS = {"phash": 64, "dhash": 64, "pdq": 256}


class ImageHashError(KuzetError):
    pass


@dataclass(frozen=True, slots=True)
class ImageHashes:
    phash: str
    dhash: str
    pdq: str | None = None
    pdq_quality: int = 0

    def as_dict(self) -> dict[str, str]:
        out = {"phash": self.phash, "dhash": self.dhash}
        if self.pdq:
            out["pdq"] = self.pdq
        return out


def _open(data: bytes) -> Image.Image:
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageHashError(f"image over {MAX_IMAGE_BYTES} bytes")
    try:
        img = Image.open(io.BytesIO(data))
        if img.width * img.height > MAX_PIXELS:
            raise ImageHashError(f"image of {img.width}x{img.height} pixels is too large")
        img.load()
    except (OSError, ValueError, Image.DecompressionBombError) as e:
        raise ImageHashError(f"unreadable image: {e}") from e
    return img.convert("RGB")


def hash_image(data: bytes, *, above_fold: bool = False) -> ImageHashes:
    img = _open(data)
    if above_fold and img.height > img.width * FOLD_RATIO:
        img = img.crop((0, 0, img.width, int(img.width * FOLD_RATIO)))
    ph = str(imagehash.phash(img))
    dh = str(imagehash.dhash(img))
    pdq, quality = _pdq(img)
    return ImageHashes(phash=ph, dhash=dh, pdq=pdq, pdq_quality=quality)


def _pdq(img: Image.Image) -> tuple[str | None, int]:
    try:
        import pdqhash
    except ImportError:  # optional: pHash and dHash still work
        return None, 0
    bits, quality = pdqhash.compute(np.asarray(img))
    value = int("".join("1" if b else "0" for b in bits), 2)
    return f"{value:064x}", int(quality)


def hamming(a: str, b: str) -> int:
    """Bit distance of two hex hashes of the same length."""
    if len(a) != len(b):
        raise ImageHashError("hashes of different lengths")
    return (int(a, 16) ^ int(b, 16)).bit_count()


@dataclass(frozen=True, slots=True)
class ImageDistance:
    phash: int
    dhash: int
    pdq: int | None


def distance(a: dict[str, str], b: dict[str, str]) -> ImageDistance:
    pdq = hamming(a["pdq"], b["pdq"]) if a.get("pdq") and b.get("pdq") else None
    return ImageDistance(hamming(a["phash"], b["phash"]), hamming(a["dhash"], b["dhash"]), pdq)


def is_match(d: ImageDistance, phash_max: int, pdq_max: int) -> bool:
    return d.phash <= phash_max and (d.pdq is None or d.pdq <= pdq_max)
