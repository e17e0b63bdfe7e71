from __future__ import annotations

import random

from kuzet.detect.normalize import normalize
from kuzet.detect.obfuscate import TRANSFORMS, homoglyphs, leet, obfuscate, spacing, zero_width

TEXT = "Забирай бонус на первый депозит в онлайн казино, рабочее зеркало и фриспины ждут"


def test_obfuscate_is_repeatable_and_changes_text() -> None:
    a = obfuscate(TEXT, seed=3, rate=0.5)
    assert a == obfuscate(TEXT, seed=3, rate=0.5)
    assert a != TEXT
    assert obfuscate(TEXT, rate=0.0) == TEXT


def test_each_transform_is_undone_by_normalisation() -> None:
    rng = random.Random(1)
    for word in ["казино", "депозит", "фриспины"]:
        for fn in (homoglyphs, zero_width, spacing, leet):
            disguised = fn(word, rng)
            assert normalize(disguised).text == word, (fn.__name__, disguised)


def test_all_kinds_are_available() -> None:
    assert set(TRANSFORMS) == {"homoglyphs", "zero_width", "spacing", "leet", "repeats"}
    out = obfuscate(TEXT, seed=0, rate=1.0, kinds=("zero_width",))
    assert normalize(out).text == TEXT.lower()
