from __future__ import annotations

import pytest

from kuzet.detect.lang import detect_language


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Сегодня в Алматы ожидается снег, будьте осторожны на дорогах", "ru"),
        ("Ертең Астанада ауа райы салқын болады және қар жаууы мүмкін", "kk"),
        ("Қаржы пирамидасын ұйымдастырушылар ұсталды, қылмыстық іс қозғалды", "kk"),
        ("The meetup is moved to Thursday, same place, 7 pm", "en"),
        ("Привет! Join our channel and read the news, это очень интересно и полезно for everyone here", "mixed"),
        ("", "mixed"),
        ("12345 !!!", "mixed"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_russian_text_with_kazakh_name_stays_russian() -> None:
    assert detect_language("Министр встретился с жителями Қонаева и рассказал о планах на год") == "ru"
