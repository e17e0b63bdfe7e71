"""Read an image from hostile content: OCR text, QR / barcode payloads, and hashes for linking.

Banners carry what the page text hides (promo codes, wallet QR codes, Telegram handles written
into a picture), and mirror sites reuse the same images, so every image gives text, codes,
a SHA-256 and two perceptual hashes (pHash, and Meta's PDQ for matching against shared lists).

Crawled bytes are hostile. The header is read first and the image is decoded only when its
declared size is within ``max_pixels`` (a decompression bomb never reaches the decoder); only
raster formats with no external helpers are opened (Pillow's EPS reader would run Ghostscript);
OCR runs in a tesseract subprocess with a time limit. Nothing here raises on bad input: the
result says why a step was skipped.

Tesseract runs with ``OMP_THREAD_LIMIT=1`` in its own environment: OpenMP oversubscription made
each image 4-5x slower on a 2-core machine; throughput comes from running several images in
parallel processes instead. The subprocess is started directly rather than through pytesseract,
whose calls always pass the parent's environment and write temporary files; pytesseract's
configured ``tesseract_cmd`` is still honoured.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import time
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from types import ModuleType
from typing import Any

import imagehash
import numpy as np
import pdqhash
import pytesseract
from PIL import Image, ImageOps

DEFAULT_LANG = "rus+kaz+eng"
# Formats decoded in-process by Pillow with no external program.
SAFE_FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "BMP", "ICO", "TIFF")
MAX_BYTES = 20 * 1024 * 1024
# OCR cost grows with pixels; a huge screenshot is scaled down to this before tesseract sees it.
OCR_MAX_PIXELS = 8_000_000
MAX_OCR_CHARS = 20_000
MAX_CODES = 32
MAX_CODE_CHARS = 4096


@dataclass(slots=True)
class ImageText:
    """What could be read from one image. ``skipped_reason`` says why ``text`` is empty when OCR
    did not run (or why nothing ran); ``notes`` records other steps that were skipped."""

    text: str = ""
    qr: list[str] = field(default_factory=list)
    skipped_reason: str | None = None
    width: int = 0
    height: int = 0
    sha256: str = ""
    phash: str | None = None
    pdq: str | None = None
    pdq_quality: int | None = None
    format: str | None = None
    ocr_ms: int = 0
    notes: list[str] = field(default_factory=list)


@lru_cache(maxsize=1)
def _zbar() -> ModuleType | None:
    """pyzbar, or None when the libzbar0 shared library is not installed."""
    try:
        from pyzbar import pyzbar
    except (ImportError, OSError):
        return None
    return pyzbar


def tesseract_path() -> str | None:
    return shutil.which(pytesseract.pytesseract.tesseract_cmd)


@lru_cache(maxsize=4)
def _tesseract_langs(cmd: str) -> frozenset[str]:
    try:
        out = subprocess.run([cmd, "--list-langs"], capture_output=True, timeout=15, check=False)
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    # The first line is a header ("List of available languages in ...").
    lines = out.stdout.decode("utf-8", "replace").splitlines()[1:]
    return frozenset(line.strip() for line in lines if line.strip())


def _open(data: bytes, max_pixels: int, result: ImageText) -> Image.Image | None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(data), formats=SAFE_FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            result.skipped_reason = "decompression_bomb"
            return None
        except Exception:  # Pillow raises many types on garbage; all mean "not an image"
            result.skipped_reason = "unreadable"
            return None
    result.format = img.format
    result.width, result.height = img.size
    if result.width * result.height > max_pixels:
        # Decided from the header alone: the pixels are never decoded.
        result.skipped_reason = "too_large"
        return None
    if result.width == 0 or result.height == 0:
        result.skipped_reason = "unreadable"
        return None
    try:
        img.load()
        upright: Image.Image = ImageOps.exif_transpose(img) or img
        return _flatten(upright)
    except Exception:
        result.skipped_reason = "unreadable"
        return None


def _flatten(img: Image.Image) -> Image.Image:
    """RGB on a white background: banners with transparency are black to tesseract otherwise."""
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return img.convert("RGB")


def _hashes(img: Image.Image, result: ImageText) -> None:
    result.phash = str(imagehash.phash(img))
    thumb = img.copy()
    # PDQ's reference tools also hash a 512 px downsample: same hash, a fraction of the time.
    thumb.thumbnail((512, 512))
    bits, quality = pdqhash.compute(np.asarray(thumb, dtype=np.uint8))
    # Bit order as in Meta's ThreatExchange tools, so hashes compare with shared PDQ lists.
    result.pdq = f"{int(''.join('1' if b else '0' for b in bits), 2):064x}"
    result.pdq_quality = int(quality)


def _codes(img: Image.Image, result: ImageText) -> None:
    zbar = _zbar()
    if zbar is None:
        result.notes.append("zbar_missing")
        return
    if min(img.size) < 21:
        return  # smaller than the smallest QR code
    gray = img.convert("L")
    gray.thumbnail((4000, 4000))
    try:
        # QR carries the links and wallets; CODE128 any text. Scanning for every linear symbology
        # (EAN, UPC, ...) triples the time and finds only product numbers.
        decoded = zbar.decode(gray, symbols=[zbar.ZBarSymbol.QRCODE, zbar.ZBarSymbol.CODE128])
    except Exception as e:  # a zbar failure on one image must not stop the others
        result.notes.append(f"zbar_failed: {type(e).__name__}")
        return
    for code in decoded[:MAX_CODES]:
        payload = code.data.decode("utf-8", "replace")[:MAX_CODE_CHARS]
        if payload and payload not in result.qr:
            result.qr.append(payload)


def _ocr(img: Image.Image, lang: str, timeout: float, result: ImageText) -> None:
    cmd = tesseract_path()
    if cmd is None:
        result.skipped_reason = "tesseract_missing"
        return
    available = _tesseract_langs(cmd)
    langs = [code for code in lang.split("+") if code in available]
    if not langs:
        result.skipped_reason = f"tesseract_lang_missing: {lang}"
        return
    if len(langs) < len(lang.split("+")):
        result.notes.append("ocr_langs: " + "+".join(langs))
    gray = img.convert("L")
    if gray.width * gray.height > OCR_MAX_PIXELS:
        scale = (OCR_MAX_PIXELS / (gray.width * gray.height)) ** 0.5
        gray = gray.resize((max(1, int(gray.width * scale)), max(1, int(gray.height * scale))))
    buf = io.BytesIO()
    gray.save(buf, format="PNG", compress_level=1)
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            [cmd, "stdin", "stdout", "-l", "+".join(langs), "--psm", "3"],
            input=buf.getvalue(),
            capture_output=True,
            timeout=timeout,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        result.skipped_reason = "ocr_timeout"
        return
    except OSError as e:
        result.skipped_reason = f"ocr_failed: {e.strerror or type(e).__name__}"
        return
    finally:
        result.ocr_ms = int((time.perf_counter() - started) * 1000)
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        result.skipped_reason = "ocr_failed: " + (err[-1][:200] if err else f"exit {proc.returncode}")
        return
    lines = (" ".join(line.split()) for line in proc.stdout.decode("utf-8", "replace").splitlines())
    result.text = "\n".join(line for line in lines if line)[:MAX_OCR_CHARS]


def read_image(
    data: bytes,
    *,
    min_width: int = 200,
    min_height: int = 60,
    max_pixels: int = 25_000_000,
    max_bytes: int = MAX_BYTES,
    lang: str = DEFAULT_LANG,
    timeout: float = 20.0,
    ocr: bool = True,
) -> ImageText:
    """OCR text, QR / barcode payloads and hashes of one image; never raises on bad bytes.

    Images smaller than ``min_width`` x ``min_height`` (icons, spacers) are hashed and searched
    for codes but not OCR'd; images over ``max_pixels`` or ``max_bytes`` are not decoded at all.
    """
    result = ImageText(sha256=hashlib.sha256(data).hexdigest())
    if not data:
        result.skipped_reason = "empty"
        return result
    if len(data) > max_bytes:
        result.skipped_reason = "too_many_bytes"
        return result
    img = _open(data, max_pixels, result)
    if img is None:
        return result
    steps: list[tuple[str, Any]] = [("hash", _hashes), ("codes", _codes)]
    for name, step in steps:
        try:
            step(img, result)
        except Exception as e:  # one failed step leaves the others' results intact
            result.notes.append(f"{name}_failed: {type(e).__name__}")
    if not ocr:
        result.skipped_reason = "ocr_disabled"
    elif result.width < min_width or result.height < min_height:
        result.skipped_reason = "too_small"
    else:
        try:
            _ocr(img, lang, timeout, result)
        except Exception as e:  # e.g. an image that decoded but cannot be re-encoded for tesseract
            result.skipped_reason = f"ocr_failed: {type(e).__name__}"
    return result
