"""Each normalisation step on its own, and the offset map back to the original text."""

from __future__ import annotations

import pytest

from kuzet.detect.normalize import (
    case_fold,
    collapse_repeats,
    fold_homoglyphs,
    fold_word,
    join_split_letters,
    normalize,
    replace_leet,
    strip_invisible,
    unicode_forms,
)


def _ids(text: str) -> list[int]:
    return list(range(len(text)))


def test_unicode_forms_fullwidth_and_math_letters() -> None:
    text, offsets, changed = unicode_forms("ＫＡＺＩＮＯ 𝐛𝐨𝐧𝐮𝐬", _ids("ＫＡＺＩＮＯ 𝐛𝐨𝐧𝐮𝐬"))
    assert text == "KAZINO bonus"
    assert changed == 11
    assert len(offsets) == len(text)


def test_strip_invisible_removes_zero_width_and_keeps_offsets() -> None:
    src = "ка\u200bзи\u200dно\u00ad"
    text, offsets, changed = strip_invisible(src, _ids(src))
    assert text == "казино"
    assert changed == 3
    assert [src[o] for o in offsets] == list("казино")


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("к а з и н о", "казино"),
        ("к.а.з.и.н.о", "казино"),
        ("к-а-з-и-н-о", "казино"),
        ("к🎰а🎰з🎰и🎰н🎰о", "казино"),
        ("и т.д. и т.п.", "и т.д. и т.п."),  # three single letters are ordinary abbreviations
        ("a b c", "a b c"),
    ],
)
def test_join_split_letters(src: str, expected: str) -> None:
    assert join_split_letters(src, _ids(src))[0] == expected


def test_join_needs_one_separator_throughout() -> None:
    src = "п*е*р*в*ы*й д.е.п.о.з.и.т"
    assert join_split_letters(src, _ids(src))[0] == "первый депозит"


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("Кaзинo", "Казино"),  # Latin a, o inside a Cyrillic word
        ("cаsino", "casino"),  # Cyrillic а inside a Latin word
        ("ᴋᴀзино", "КАзино"),  # small capitals look like capitals
        ("бᴏʜуc", "бОНус"),  # б decides: Cyrillic
        ("Vulkаn", "Vulkan"),
    ],
)
def test_fold_word(word: str, expected: str) -> None:
    assert fold_word(word) == expected


def test_fold_homoglyphs_counts_mixed_words_and_leaves_clean_text() -> None:
    src = "Нyжны люди на yдaлённый зaрaбoток, iPhone 15"
    text, _, letters, mixed = fold_homoglyphs(src, _ids(src))
    assert text == "Нужны люди на удалённый заработок, iPhone 15"
    assert letters == 6
    assert mixed == 3
    clean = "Обычный текст без подмен и English words"
    assert fold_homoglyphs(clean, _ids(clean))[2] == 0


def test_greek_letters_in_cyrillic_context() -> None:
    assert normalize("Κазино και").text.startswith("казино")


def test_case_fold_expanding_letters_keep_offsets() -> None:
    text, offsets, _ = case_fold("Straße", _ids("Straße"))
    assert text == "strasse"
    assert offsets == [0, 1, 2, 3, 4, 4, 5]


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("к0нтора", "контора"),
        ("пр0м0код", "промокод"),
        ("казин0", "казино"),
        ("c4sino", "casino"),
        ("ка$ино", "касино"),
        ("1xbet", "1xbet"),
        ("usdt20", "usdt20"),
        ("100$", "100$"),
        ("@user", "@user"),
        ("trc20", "trc20"),
    ],
)
def test_replace_leet(src: str, expected: str) -> None:
    assert replace_leet(src, _ids(src))[0] == expected


def test_collapse_repeats() -> None:
    assert collapse_repeats("кааазино", _ids("кааазино"))[0] == "казино"
    assert collapse_repeats("касса", _ids("касса"))[0] == "касса"


def test_normalize_offsets_point_into_original() -> None:
    src = "Забирай ф\u200bр\u200bи\u200bс\u200bп\u200bи\u200bн\u200bы в нашем К А З И Н О!"
    norm = normalize(src)
    assert norm.text == "забирай фриспины в нашем казино!"
    start = norm.text.index("казино")
    s, e = norm.to_original(start, start + len("казино"))
    assert src[s:e] == "К А З И Н О"
    s, e = norm.to_original(norm.text.index("фриспины"), norm.text.index("фриспины") + 8)
    assert src[s:e].replace("\u200b", "") == "фриспины"
    assert norm.obfuscation["invisible"] == 7
    assert norm.obfuscation["split"] == 1
    assert norm.obfuscation_score >= 8


def test_normalize_clean_text_has_no_obfuscation() -> None:
    norm = normalize("Обычное сообщение в чате про погоду.")
    assert norm.obfuscation_score == 0
    assert list(norm.offsets) == list(range(len(norm.text)))


def test_normalize_bounds_huge_input() -> None:
    norm = normalize("а" * 1_000_000)
    assert len(norm.text) <= 200_000


def test_fast_gates_never_skip_a_step_the_full_patterns_would_run() -> None:
    """The cheap pre-checks in front of the split, repeat and script-boundary steps are
    necessary conditions of the exact patterns: random text built from letters of both
    scripts, separators, emoji and digits never matches a pattern without its gate."""
    import random

    from kuzet.detect import normalize as n

    alphabet = list("казиноcasinoКАЗabc") + list(" .-_*·•|/+~\t") + ["🎰", "\ufe0f", "0", "1", "«", "é", "ѕ", "Ꭺ"]
    rng = random.Random(7)
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 24)))
        if n._SPLIT_RE.search(text):
            assert n._SPLIT_GATE_RE.search(text), text
        if n._SPLIT3_RE.search(text):
            assert n._SPLIT3_GATE_RE.search(text), text
        if n._REPEAT_RE.search(text):
            assert any(n._LETTER_RE.match(m.group(1)) for m in n._TRIPLE_RE.finditer(text)), text
        hits = n._boundary_positions(text)
        assert bool(hits) == (n._SCRIPT_BOUNDARY_RE.search(text) is not None), text
        for word in n._WORD_RE.finditer(text):
            if n._SCRIPT_BOUNDARY_RE.search(word.group()):
                assert any(word.start() <= p < word.end() for p in hits), (text, word.group())


def test_every_look_alike_letter_is_seen_by_the_rare_character_scan() -> None:
    from kuzet.detect import normalize as n
    from kuzet.detect.homoglyphs import latin_skeleton

    assert all(n._RARE_CHAR_RE.match(ch) for ch in latin_skeleton())
