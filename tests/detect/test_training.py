"""Training on a tiny synthetic corpus: files, model round trip, LOSO report and model card."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from kuzet.detect.detector import Detector
from kuzet.detect.hashing import CharNgramHasher
from kuzet.detect.model import LinearModel
from kuzet.detect.training import OWN_GROUP, fit_temperature, own_data_path, read_examples, source_group, train

GAMBLING = [
    "казино фриспины бонус на депозит {}",
    "рабочее зеркало казино и слоты {}",
    "ставки на спорт прогноз тотал {}",
]
PYRAMID = [
    "пассивный доход {}% в день вклад",
    "удвоим депозит гарантированный доход {}",
    "реферальная программа доход {} в день",
]
FINANCE = ["ищу дропов карта оплата {}", "обнал с карт быстро {}", "куплю вашу карту плачу {}"]
BENIGN = ["погода завтра хорошая {}", "встреча в офисе в {} часов", "продам велосипед за {} тенге"]


def write(path: Path, source: str, start: int) -> None:
    rows = []
    for label, templates in (
        ("gambling", GAMBLING),
        ("pyramid", PYRAMID),
        ("illegal_finance", FINANCE),
        ("benign", BENIGN),
    ):
        for i in range(6):
            rows.append({"text": templates[i % 3].format(start + i), "label": label, "source": source})
    rows.append({"text": "что-то непонятное", "label": "unsure", "source": source})
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")


def test_own_written_texts_join_training_but_are_never_held_out(tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    write(a, "github:umputun/tg-spam:data/x.txt", 1)
    write(b, "https://example.kz/page", 50)
    own = read_examples([own_data_path()])
    assert own and {ex.group for ex in own} == {OWN_GROUP}
    metrics = train([a, b], tmp_path / "m" / "model.npz", config={"own_data": True})
    assert metrics["n_train"] == 50 + len(own)
    assert OWN_GROUP not in metrics["loso"]["groups"]


def test_train_writes_a_loadable_model_and_card(tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    write(a, "github:umputun/tg-spam:data/x.txt", 1)
    write(b, "https://example.kz/page", 50)
    out = tmp_path / "model" / "model.npz"
    metrics = train([a, b], out, eval_paths=[b], config={"own_data": False})
    assert out.is_file() and (out.parent / "MODEL_CARD.md").is_file()
    assert metrics["n_train"] == 50
    assert set(metrics["loso"]["groups"]) == {"umputun/tg-spam", "web"}
    assert metrics["eval"][str(b)]["macro_f1"] > 0.8
    card = (out.parent / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "LOSO" in card and "a.jsonl" in card
    det = Detector.from_paths(model_path=out)
    assert det.detect("рабочее зеркало казино, фриспины").label == "gambling"
    assert det.detect("погода завтра хорошая").label == "benign"
    reloaded = LinearModel.load(out)
    assert reloaded.classes == ["gambling", "pyramid", "illegal_finance", "benign"]


def test_source_groups() -> None:
    assert source_group("github:umputun/tg-spam:data/spam-samples.txt (any commit)") == "umputun/tg-spam"
    assert source_group("github:someone/site:page.html") == "web"
    assert source_group("https://example.kz/a") == "web"


def test_temperature_prefers_softer_scores_for_overconfident_logits() -> None:
    logits = np.array([[10.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 0.0]])
    assert fit_temperature(logits, [0, 1, 1, 0]) > 1.0


def test_hasher_matches_char_wb_features() -> None:
    h = CharNgramHasher(2, 3, 2**10)
    x = h.transform(["ab", "ab ab", ""])
    # " ab " has bigrams " a", "ab", "b " and trigrams " ab", "ab ": five n-grams per word.
    assert x[0].sum() == 5 and x[1].sum() == 10 and x[2].sum() == 0
    assert (x[0] > 0).sum() <= 5


def test_batch_hashing_matches_one_text_at_a_time() -> None:
    from kuzet.detect.hashing import CharNgramHasher

    h = CharNgramHasher(1, 4, 2**18)
    texts = ["казино и фриспины", "", "  ", "a", "ab cd", "Бонус 150% на депозит\nwin"]
    cols, owners = h.batch_hashes(texts)
    for i, text in enumerate(texts):
        assert sorted(cols[owners == i].tolist()) == sorted(h.hashes(text).tolist())
        # Every char_wb n-gram of each text (single letters without the padding), none across texts.
        expected = 0
        for word in text.split():
            padded = f" {word} "
            expected += sum(max(0, len(padded) - n + 1) for n in range(2, 5)) + len(word)
        assert int((owners == i).sum()) == expected
