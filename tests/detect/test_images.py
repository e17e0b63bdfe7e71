"""Image reading: OCR of generated banners, QR decoding, hashes, and hostile bytes."""

from __future__ import annotations

import io
import os
import stat
import struct
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import imagehash
import pytesseract
import pytest
from PIL import Image, ImageDraw, ImageFont

from kuzet.detect import images
from kuzet.detect.images import read_image

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def has_tesseract_langs() -> bool:
    cmd = images.tesseract_path()
    return cmd is not None and {"rus", "kaz", "eng"} <= images._tesseract_langs(cmd)


needs_ocr = pytest.mark.skipif(
    not has_tesseract_langs() or not os.path.exists(FONT),
    reason="tesseract with rus+kaz+eng, or the DejaVu font for the test banner, not installed",
)
needs_zbar = pytest.mark.skipif(images._zbar() is None, reason="libzbar0 not installed")


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if os.path.exists(FONT):
        return ImageFont.truetype(FONT, size)
    return ImageFont.load_default(size)


def png(img: Image.Image, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


def banner(mode: str = "RGB") -> Image.Image:
    if mode == "RGBA":
        img = Image.new("RGBA", (1100, 260), (0, 0, 0, 0))
        ink: tuple[int, ...] = (0, 0, 0, 255)
        ink2 = ink
    else:
        img = Image.new("RGB", (1100, 260), (20, 20, 60))
        ink, ink2 = (255, 220, 0), (255, 255, 255)
    draw = ImageDraw.Draw(img)
    draw.text((30, 30), "Казино Вулкан — бонус 50 000", font=font(44), fill=ink)
    draw.text((30, 110), "Тіркелу оңай! Промокод VIP2024", font=font(36), fill=ink2)
    draw.text((30, 180), "t.me/vulkan_kz  Jackpot", font=font(36), fill=ink2)
    return img


@pytest.fixture
def tesseract_cmd(tmp_path: Path) -> Iterator[Path]:
    """A stand-in tesseract: a shell script whose behaviour each test writes."""
    script = tmp_path / "fake-tesseract"
    old = pytesseract.pytesseract.tesseract_cmd
    pytesseract.pytesseract.tesseract_cmd = str(script)
    yield script
    pytesseract.pytesseract.tesseract_cmd = old


def write_script(path: Path, body: str) -> None:
    path.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "--list-langs" ]; then printf "List of available languages (3):\\neng\\nkaz\\nrus\\n"; '
        "exit 0; fi\n"
        "cat > /dev/null\n" + body + "\n"
    )
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


# --- OCR ----------------------------------------------------------------------------------------


@needs_ocr
def test_ocr_reads_russian_kazakh_and_latin() -> None:
    result = read_image(png(banner()))
    assert result.skipped_reason is None, result
    for word in ("Казино", "Вулкан", "бонус", "Тіркелу", "Промокод", "2024", "vulkan_kz", "Jackpot"):
        assert word in result.text, (word, result.text)
    assert (result.width, result.height, result.format) == (1100, 260, "PNG")
    assert 0 < result.ocr_ms < 20_000


@needs_ocr
def test_ocr_on_transparent_banner_and_jpeg() -> None:
    transparent = read_image(png(banner("RGBA")))
    assert "Казино" in transparent.text and "Jackpot" in transparent.text
    jpeg = read_image(png(banner(), "JPEG"))
    assert jpeg.format == "JPEG" and "Промокод" in jpeg.text


def test_tesseract_runs_with_one_openmp_thread(tesseract_cmd: Path) -> None:
    write_script(tesseract_cmd, 'echo "threads=$OMP_THREAD_LIMIT args=$*"')
    result = read_image(png(banner()))
    assert result.skipped_reason is None
    assert "threads=1" in result.text
    assert "stdin stdout -l rus+kaz+eng" in result.text


def test_ocr_timeout_is_reported_not_raised(tesseract_cmd: Path) -> None:
    write_script(tesseract_cmd, "sleep 5")
    started = time.perf_counter()
    result = read_image(png(banner()), timeout=0.5)
    assert result.skipped_reason == "ocr_timeout"
    assert time.perf_counter() - started < 4
    assert result.phash is not None  # the other steps still ran


def test_ocr_failure_is_reported(tesseract_cmd: Path) -> None:
    write_script(tesseract_cmd, 'echo "Error: bad image" >&2; exit 1')
    result = read_image(png(banner()))
    assert result.skipped_reason == "ocr_failed: Error: bad image"


def test_missing_tesseract_gives_empty_text(tesseract_cmd: Path) -> None:
    pytesseract.pytesseract.tesseract_cmd = str(tesseract_cmd.parent / "no-such-tesseract")
    result = read_image(png(banner()))
    assert result.text == "" and result.skipped_reason == "tesseract_missing"
    assert result.sha256 and result.phash and result.pdq


def test_missing_language_is_reported(tesseract_cmd: Path) -> None:
    write_script(tesseract_cmd, "echo should-not-run")
    result = read_image(png(banner()), lang="chi_sim")
    assert result.skipped_reason == "tesseract_lang_missing: chi_sim"


def test_small_images_are_not_ocrd_but_hashed(tesseract_cmd: Path) -> None:
    write_script(tesseract_cmd, "echo should-not-run")
    result = read_image(png(Image.new("RGB", (120, 40), "white")))
    assert result.skipped_reason == "too_small" and result.text == ""
    assert result.phash and result.pdq and (result.width, result.height) == (120, 40)
    assert read_image(png(banner()), ocr=False).skipped_reason == "ocr_disabled"


# --- QR codes -----------------------------------------------------------------------------------


@needs_zbar
def test_qr_decoded() -> None:
    segno = pytest.importorskip("segno")
    payload = "https://t.me/vulkan_kz?start=qr"
    buf = io.BytesIO()
    segno.make(payload, error="m").save(buf, kind="png", scale=6, border=4)
    result = read_image(buf.getvalue(), ocr=False)
    assert result.qr == [payload]


@needs_zbar
def test_qr_inside_a_banner_and_small_qr() -> None:
    segno = pytest.importorskip("segno")
    wallet = "tron:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t?amount=100"
    buf = io.BytesIO()
    segno.make(wallet).save(buf, kind="png", scale=4, border=2)
    code = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    img = banner()
    img.paste(code, (1100 - code.width - 20, 20))
    assert read_image(png(img), ocr=False).qr == [wallet]
    # Below the OCR size threshold a QR code is still read.
    small = read_image(buf.getvalue(), ocr=False)
    assert small.width < 200 and small.qr == [wallet]


def test_no_qr_in_plain_image() -> None:
    assert read_image(png(Image.new("RGB", (300, 300), "white")), ocr=False).qr == []


# --- hashes -------------------------------------------------------------------------------------


def test_hashes_stable_under_resize() -> None:
    original = banner()
    smaller = original.resize((550, 130))
    a, b = read_image(png(original), ocr=False), read_image(png(smaller), ocr=False)
    assert a.sha256 != b.sha256
    assert imagehash.hex_to_hash(a.phash) - imagehash.hex_to_hash(b.phash) <= 6
    assert a.pdq is not None and b.pdq is not None and len(a.pdq) == 64
    distance = bin(int(a.pdq, 16) ^ int(b.pdq, 16)).count("1")
    assert distance <= 40
    other = read_image(png(Image.radial_gradient("L").convert("RGB").resize((400, 400))), ocr=False)
    assert other.pdq is not None
    assert bin(int(a.pdq, 16) ^ int(other.pdq, 16)).count("1") > distance


# --- hostile bytes ------------------------------------------------------------------------------


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims a size; the pixel data is one tiny compressed block."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"not an image at all" * 10, "unreadable"),
        (os.urandom(4096), "unreadable"),
        (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\nshowpage\n", "unreadable"),
        (b"<svg xmlns='http://www.w3.org/2000/svg' width='900' height='300'/>", "unreadable"),
        (png_header_only(100_000, 100_000), "decompression_bomb"),
        (png_header_only(6000, 5000), "too_large"),
        (png_header_only(800, 600), "unreadable"),  # truncated pixel data
        (png_header_only(0, 10), "unreadable"),
    ],
)
def test_hostile_bytes_never_raise(data: bytes, reason: str) -> None:
    started = time.perf_counter()
    result = read_image(data)
    assert result.skipped_reason == reason
    assert result.text == "" and result.qr == [] and result.phash is None
    assert len(result.sha256) == 64
    assert time.perf_counter() - started < 2


def test_too_large_reports_declared_size_without_decoding() -> None:
    result = read_image(png_header_only(6000, 5000))
    assert (result.width, result.height) == (6000, 5000)
    assert read_image(png_header_only(6000, 5000), max_pixels=40_000_000).skipped_reason == "unreadable"


def test_truncated_real_image() -> None:
    data = png(banner())
    assert read_image(data[: len(data) // 2]).skipped_reason == "unreadable"


def test_byte_limit() -> None:
    assert read_image(png(banner()), max_bytes=1000).skipped_reason == "too_many_bytes"


def test_animated_gif_first_frame() -> None:
    frames = [Image.new("RGB", (300, 100), c) for c in ("red", "green", "blue")]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    result = read_image(buf.getvalue(), ocr=False)
    assert result.format == "GIF" and (result.width, result.height) == (300, 100) and result.phash
