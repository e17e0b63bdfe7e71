"""Perceptual hashes: a re-encoded, resized banner stays close; a different banner does not."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw, ImageFilter

from kuzet.link.imagehashes import ImageHashError, distance, hamming, hash_image, is_match
from kuzet.link.settings import LinkSettings


def _banner(text: str, bg: str, size: tuple[int, int] = (600, 200), fmt: str = "PNG") -> bytes:
    img = Image.new("RGB", size, bg)
    d = ImageDraw.Draw(img)
    for i in range(6):
        d.rectangle((20 + i * 90, 30 + (i % 3) * 30, 80 + i * 90, 150), fill=(40 * i % 255, 200, 30 * i % 255))
    d.text((30, 160), text, fill="white")
    buf = io.BytesIO()
    img.save(buf, fmt, quality=70) if fmt == "JPEG" else img.save(buf, fmt)
    return buf.getvalue()


def _resized(data: bytes, factor: float) -> bytes:
    img = Image.open(io.BytesIO(data)).convert("RGB")
    img = img.resize((int(img.width * factor), int(img.height * factor))).filter(ImageFilter.GaussianBlur(1))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=60)
    return buf.getvalue()


def test_copy_of_a_banner_matches_and_another_does_not() -> None:
    original = hash_image(_banner("VULKAN777", "#2a0a4a")).as_dict()
    copy = hash_image(_resized(_banner("VULKAN777", "#2a0a4a"), 0.6)).as_dict()
    other_img = Image.new("RGB", (600, 200), "#f0f0f0")
    ImageDraw.Draw(other_img).ellipse((200, 20, 400, 180), fill="#0050a0")
    buf = io.BytesIO()
    other_img.save(buf, "PNG")
    other = hash_image(buf.getvalue()).as_dict()
    cfg = LinkSettings()
    near, far = distance(original, copy), distance(original, other)
    assert near.phash <= cfg.image_phash_max and is_match(near, cfg.image_phash_max, cfg.image_pdq_max)
    assert far.phash > cfg.image_phash_max and not is_match(far, cfg.image_phash_max, cfg.image_pdq_max)
    assert "pdq" in original and len(original["pdq"]) == 64  # PDQ is 256 bits


def test_screenshot_is_hashed_on_its_first_screen() -> None:
    tall = Image.new("RGB", (400, 3000), "white")
    ImageDraw.Draw(tall).rectangle((0, 0, 400, 300), fill="black")
    buf = io.BytesIO()
    tall.save(buf, "PNG")
    top = hash_image(buf.getvalue(), above_fold=True)
    whole = hash_image(buf.getvalue())
    assert top.phash != whole.phash


def test_bad_input() -> None:
    with pytest.raises(ImageHashError):
        hash_image(b"not an image")
    with pytest.raises(ImageHashError):
        hamming("ab", "abcd")
