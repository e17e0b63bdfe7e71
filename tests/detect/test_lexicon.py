"""Lexicon file format, morphology-aware matching and the packaged lexicons."""

from __future__ import annotations

from pathlib import Path

import pytest

from kuzet.detect.lexicon import CATEGORIES, LANGS, Lexicon
from kuzet.detect.morph import en_stem, kk_stem, ru_lemma, to_cyrillic, to_latin
from kuzet.detect.normalize import normalize
from kuzet.errors import DetectError


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.load()


def names(lexicon: Lexicon, text: str) -> set[str]:
    return {m.name for m in lexicon.match(normalize(text).text)}


def test_every_category_and_language_has_a_file() -> None:
    base = Path(__file__).resolve().parents[2] / "src" / "kuzet" / "detect" / "lexicons"
    for cat in CATEGORIES:
        for lang in LANGS:
            assert (base / f"{cat}.{lang}.txt").is_file(), f"{cat}.{lang}.txt"


def test_russian_inflections_match_one_entry(lexicon: Lexicon) -> None:
    assert "фриспин*" in names(lexicon, "Дарим 50 фриспинов")
    assert "рабочее зеркало" in names(lexicon, "ищите рабочие зеркала в профиле")
    assert "дроп" in names(lexicon, "ищем дропов срочно")
    assert "гарантированный доход" in names(lexicon, "гарантированного дохода каждый месяц")


def test_kazakh_suffixes_are_stripped(lexicon: Lexicon) -> None:
    assert kk_stem("ставкаларды") == kk_stem("ставка")
    assert "тегін айналым*" in names(lexicon, "тегін айналымдар беріледі")
    assert "жұмыс айна*" in names(lexicon, "жұмыс айнасы арқылы кіріңіз")


def test_english_stems_and_transliteration(lexicon: Lexicon) -> None:
    assert en_stem("spins") == "spin"
    assert en_stem("mules") == en_stem("mule")
    assert "money mule" in names(lexicon, "we recruit money mules")
    assert to_cyrillic("kazino") == "казино"
    assert to_latin("казино") == "kazino"
    assert "казино" in names(lexicon, "luchshee kazino")


def test_gap_and_pattern_entries(lexicon: Lexicon) -> None:
    found = lexicon.match(normalize("Бонус 150% на первый депозит и доход 3% в день").text)
    by_name = {m.name: m for m in found}
    assert "бонус ~ депозит" in by_name
    pattern = next(m for m in found if m.kind == "pattern" and m.category == "pyramid")
    assert pattern.detail.get("percent") == "3"
    assert pattern.detail.get("period") == "день"


def test_obfuscated_text_matches_after_normalisation(lexicon: Lexicon) -> None:
    assert "казино" in names(lexicon, "к а з и н о")
    assert "казино" in names(lexicon, "Кaзинo")
    assert "обнал*" in names(lexicon, "O б н a л с карт")


def test_benign_context_entries(lexicon: Lexicon) -> None:
    found = names(lexicon, "Задержаны организаторы, возбуждено уголовное дело, суд вынес приговор")
    assert {"уголовный дело", "приговор"} <= found


def test_spellings_of_one_lemma_collapse(lexicon: Lexicon) -> None:
    hits = [m for m in lexicon.match("задержаны") if m.category == "benign_context"]
    assert len(hits) == 1


def test_custom_directory_and_format(tmp_path: Path) -> None:
    (tmp_path / "gambling.ru.txt").write_text(
        "# comment\nигровой клуб | 2.5\nсупер* | 1\nre: \\d+ ?фс | 3\n", encoding="utf-8"
    )
    (tmp_path / "notes.txt").write_text("ignored\n", encoding="utf-8")
    lex = Lexicon.load(tmp_path)
    assert len(lex.entries) == 3
    found = {m.name: m for m in lex.match("игровые клубы и суперприз 100 фс")}
    assert found["игровой клуб"].weight == 2.5
    assert "супер*" in found
    assert any(m.kind == "pattern" for m in found.values())


@pytest.mark.parametrize("line", ["слово | много", "re: (unclosed | 1", "ab* | 1"])
def test_bad_lines_raise_detect_error(tmp_path: Path, line: str) -> None:
    (tmp_path / "pyramid.ru.txt").write_text(line + "\n", encoding="utf-8")
    with pytest.raises(DetectError):
        Lexicon.load(tmp_path)


def test_ru_lemma_cache() -> None:
    assert ru_lemma("казино") == "казино"
    assert ru_lemma("ставки") == "ставка"


def test_named_patterns(tmp_path: Path) -> None:
    (tmp_path / "pyramid.ru.txt").write_text("re[percent_per_day]: \\d+ ?% в день | 3\n", encoding="utf-8")
    (tmp_path / "pyramid.en.txt").write_text("re[percent_per_day]: \\d+ ?% a day | 3\n", encoding="utf-8")
    lex = Lexicon.load(tmp_path)
    assert len(lex.entries) == 2
    found = lex.match("5% в день или 5% a day")
    assert [m.name for m in found] == ["pyramid:percent_per_day", "pyramid:percent_per_day"]
