"""Draw the sandbox's banners, Telegram photos and the QR code (run by hand; the PNGs are committed).

    .venv/bin/python -m kuzet.sandbox.tools.make_images

Pillow draws text with the DejaVu fonts (they cover Cyrillic and Kazakh letters); ``segno``
(pure Python, build-time only) draws the QR code. Text is large, dark-on-light or
light-on-dark with no effects, so that OCR of the banners is a fair test, not a lottery.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont

SANDBOX = Path(__file__).resolve().parent.parent
SITES = SANDBOX / "sites"
TG_FILES = SANDBOX / "telegram" / "files"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")

# The URL the QR code on the image-only promo page encodes (a mirror of the Vulkan Royal network).
QR_URL = "http://vulkan-royal-zerkalo12.test/?promo=VULKAN777"


def font(size: int, bold: bool = True) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(FONT_DIR / name), size)


def banner(
    path: Path,
    lines: list[tuple[str, int]],
    *,
    size: tuple[int, int] = (960, 400),
    bg: str = "#2a0a4a",
    fg: str = "#ffffff",
    accent: str = "#ffcc33",
) -> None:
    """A banner with centred lines; each line is (text, font size); the first line uses the accent colour."""
    img = Image.new("RGB", size, bg)
    draw = ImageDraw.Draw(img)
    draw.rectangle([8, 8, size[0] - 9, size[1] - 9], outline=accent, width=4)
    # Shrink any line that would not fit inside the frame, so no banner text is clipped.
    fitted: list[tuple[str, int]] = []
    for text, fsize in lines:
        while fsize > 12 and font(fsize).getlength(text) > size[0] - 60:
            fsize -= 2
        fitted.append((text, fsize))
    heights = [font(s).getbbox(t)[3] - font(s).getbbox(t)[1] for t, s in fitted]
    gap = 22
    y = (size[1] - sum(heights) - gap * (len(fitted) - 1)) // 2
    for i, ((text, fsize), h) in enumerate(zip(fitted, heights, strict=True)):
        f = font(fsize)
        box = f.getbbox(text)
        x = (size[0] - (box[2] - box[0])) // 2 - box[0]
        draw.text((x, y - box[1]), text, font=f, fill=accent if i == 0 else fg)
        y += h + gap
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, optimize=True)


def favicon(path: Path, letter: str, bg: str, fg: str) -> None:
    img = Image.new("RGB", (32, 32), bg)
    draw = ImageDraw.Draw(img)
    f = font(24)
    box = f.getbbox(letter)
    draw.text(((32 - (box[2] - box[0])) // 2 - box[0], (32 - (box[3] - box[1])) // 2 - box[1]), letter, font=f, fill=fg)
    img.save(path, optimize=True)


def qr(path: Path, data: str) -> None:
    segno.make(data, error="m").save(str(path), scale=8, border=4)


def main() -> None:
    vr_banner = SITES / "vulkan-royal.test" / "img" / "banner-bonus.png"
    banner(vr_banner, [("VULKAN ROYAL", 44), ("БОНУС 200% + 100 FS", 64), ("промокод VULKAN777", 48)])
    (SITES / "vulkan-royal-zerkalo12.test" / "img").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(vr_banner, SITES / "vulkan-royal-zerkalo12.test" / "img" / "banner-bonus.png")
    favicon(SITES / "vulkan-royal.test" / "img" / "favicon.png", "V", "#2a0a4a", "#ffcc33")

    # The image-only page: every violating word is in these pictures, none in the HTML text.
    banner(
        SITES / "aktsiya-bonus.test" / "banner.png",
        [
            ("ОНЛАЙН-КАЗИНО VULKAN ROYAL", 40),
            ("БОНУС 200% + 100 FS", 64),
            ("промокод VULKAN777", 48),
            ("Пополнение: Kaspi и USDT TRC20", 34),
        ],
        size=(960, 480),
    )
    qr(SITES / "aktsiya-bonus.test" / "qr.png", QR_URL)

    banner(
        TG_FILES / "kapper-express.png",
        [("ЭКСПРЕСС ДНЯ", 60), ("3 события · кэф 7.85", 48), ("ставка 5% от банка", 40)],
        bg="#0b3d1e",
        accent="#7CFC00",
    )
    banner(
        TG_FILES / "kapper-dogovor.png",
        [("ДОГОВОРНОЙ МАТЧ", 60), ("100% ЗАХОД", 56), ("пиши @kapper_vip_admin", 36)],
        bg="#3d0b0b",
        accent="#ff5555",
    )
    banner(
        TG_FILES / "invest-daily.png",
        [("+1.5% В ДЕНЬ", 72), ("пассивный доход в USDT", 44), ("реферальная 7-3-1%", 40)],
        bg="#0b1320",
        accent="#f5b942",
    )
    banner(
        TG_FILES / "invest-payout.png",
        [("ВЫПЛАТА ПОЛУЧЕНА", 56), ("+312 USDT за неделю", 52)],
        bg="#102a12",
        accent="#3fb950",
    )
    banner(
        TG_FILES / "drop-cards.png",
        [("КУПЛЮ КАРТЫ", 72), ("Kaspi · Halyk · Jusan", 44), ("до 80 000 ₸ за комплект", 40)],
        bg="#102040",
        accent="#5fb3ff",
    )
    banner(
        TG_FILES / "news-court.png",
        [("ЖАҢАЛЫҚТАР · НОВОСТИ", 48), ("Суд вынес приговор", 52)],
        bg="#f2f2f2",
        fg="#222222",
        accent="#1f5fa8",
    )
    banner(
        TG_FILES / "news-weather.png",
        [("ПОГОДА В АЛМАТЫ", 52), ("-4°C · снег", 56)],
        bg="#e8f1fb",
        fg="#1a2a3a",
        accent="#1f5fa8",
    )


if __name__ == "__main__":
    main()
