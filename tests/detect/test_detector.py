"""The public Detector API: verdict shape, signals quoting the original text, fusion rules."""

from __future__ import annotations

import threading

import pytest

from kuzet.detect import Detector
from kuzet.detect.analysis import analyze
from kuzet.detect.fusion import build_verdict
from kuzet.records import LABELS, Indicator, Span, Verdict


@pytest.fixture(scope="module")
def det() -> Detector:
    return Detector.default()


def test_default_is_loaded_once_and_has_a_model(det: Detector) -> None:
    assert Detector.default() is det
    assert det.model is not None
    assert det.name.startswith("kuzet.detect/")


def test_verdict_shape(det: Detector) -> None:
    v = det.detect("Забирай 100 фриспинов и бонус 150% на первый депозит! Рабочее зеркало казино в профиле")
    assert isinstance(v, Verdict)
    assert v.label == "gambling"
    assert set(v.scores) == set(LABELS)
    assert abs(sum(v.scores.values()) - 1.0) < 0.01
    assert v.score == v.scores["gambling"]
    assert v.lang == "ru"
    kinds = {s.kind for s in v.signals}
    assert {"phrase", "model"} <= kinds


def test_phrase_spans_quote_the_original_text(det: Detector) -> None:
    text = "Только сегодня: К А З И Н О с ф\u200bр\u200bи\u200bс\u200bп\u200bи\u200bн\u200bа\u200bм\u200bи!"
    v = det.detect(text)
    spans = [s for s in v.signals if s.kind == "phrase" and s.span is not None]
    assert spans
    for s in spans:
        assert s.span is not None
        assert text[s.span.start : s.span.end] == s.text
    assert any("К А З И Н О" in s.text for s in spans)
    assert any(s.kind == "obfuscation" for s in v.signals)


def test_pattern_signal_carries_amounts(det: Detector) -> None:
    v = det.detect("Пассивный доход 3% в день, минимальный депозит 50$, выплаты каждый день, пишите в лс")
    assert v.label == "pyramid"
    pattern = next(s for s in v.signals if s.kind == "pattern" and s.category == "pyramid")
    assert pattern.detail["percent"] == "3"


def test_news_about_the_phenomenon_is_benign(det: Detector) -> None:
    v = det.detect(
        "В Алматы задержаны организаторы финансовой пирамиды, обещавшие 5% в день. "
        "Возбуждено уголовное дело, суд арестовал имущество, сообщили в АФМ."
    )
    assert v.label == "benign"
    assert any(s.name == "reporting_context" for s in v.signals)


def test_title_and_image_text_are_used(det: Detector) -> None:
    v = det.detect("Подробности ниже", title="Онлайн казино: 200 фриспинов", image_text="бонус 300% на депозит")
    assert v.label == "gambling"
    fields = {s.detail.get("field") for s in v.signals if s.kind == "phrase"}
    assert {"title", "image_text"} <= fields
    # Spans index ``text`` only, so title and image matches carry none.
    assert all(s.span is None for s in v.signals if s.kind == "phrase" and s.detail.get("field") != "text")


def test_empty_and_huge_text(det: Detector) -> None:
    assert det.detect("").label == "benign"
    v = det.detect("казино " * 300_000)
    assert v.label == "gambling"
    model = next(s for s in v.signals if s.kind == "model")
    assert model.detail["truncated"] is True


def test_non_string_text_is_a_detect_error(det: Detector) -> None:
    from kuzet.errors import DetectError

    with pytest.raises(DetectError):
        det.detect(b"bytes")  # type: ignore[arg-type]


def test_indicators_alone_do_not_make_a_violation(det: Detector) -> None:
    text = "Наш офис работает с 9 до 18, справки по телефону, адрес на сайте"
    fake = [
        Indicator(kind=k, value=f"v{i}", display=f"v{i}", span=Span(0, 1))
        for i, k in enumerate(["tron", "tron", "card", "card", "phone", "telegram", "promo_code"] * 3)
    ]
    analysis = analyze(det.lexicon, text, indicators=fake)
    v = det.verdict(analysis, lang="ru")
    assert v.label == "benign"
    assert len([s for s in v.signals if s.kind == "indicator"]) == len(fake)


def test_indicator_supports_matching_phrases(det: Detector) -> None:
    text = "Гарантированный доход 3% в день, удвоим депозит. Кошелёк для пополнения ниже"
    base = det.verdict(analyze(det.lexicon, text, indicators=[]), lang="ru")
    wallet = [Indicator(kind="tron", value="T" + "x" * 33, display="T" + "x" * 33)]
    boosted = det.verdict(analyze(det.lexicon, text, indicators=wallet), lang="ru")
    assert boosted.label == "pyramid"
    assert boosted.scores["pyramid"] >= base.scores["pyramid"]
    assert any(s.kind == "rule" and s.category == "pyramid" for s in boosted.signals)


def test_lexicon_only_detector_without_model(det: Detector) -> None:
    bare = Detector(det.lexicon, None)
    assert bare.detect("Рабочее зеркало казино, фриспины и вейджер х35").label == "gambling"
    assert bare.detect("Завтра встреча в офисе в десять").label == "benign"
    v = build_verdict(analyze(det.lexicon, "текст"), None, None, None, "ru", "x")
    assert v.label == "benign"


def test_thread_safe_reads(det: Detector) -> None:
    texts = ["Рабочее зеркало казино и фриспины", "Ищу дропов под карты, оплата сразу", "Привет, как дела?"] * 10
    expected = [det.detect(t).label for t in texts]
    results: list[list[str]] = []

    def work() -> None:
        results.append([det.detect(t).label for t in texts])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == expected for r in results)


def test_detect_many_matches_detect(det: Detector) -> None:
    docs = [
        ("Бонус на депозит в казино", "", ""),
        ("Погода хорошая", "", ""),
        ("Куплю вашу карту, плачу сразу", "", ""),
    ]
    assert [v.label for v in det.detect_many(docs)] == [det.detect(t).label for t, _, _ in docs]


def _rules(v: Verdict) -> set[str]:
    return {s.name for s in v.signals if s.kind == "rule"}


def test_topic_word_without_promotion_is_benign(det: Detector) -> None:
    blog = (
        "Slow travel across Kazakhstan. Trains, marshrutkas and a lot of tea; these are my notes on where to "
        "sleep and what to eat. Latest posts: a weekend at the lake, beaches, wind and the old casino strip. "
        "Charyn Canyon by public transport. No sponsored posts, no affiliate links, just my own trips."
    )
    v = det.detect(blog)
    assert v.label == "benign"
    offer = blog + " Claim your welcome bonus: 100 free spins on your first deposit, wagering 35x."
    assert det.detect(offer).label == "gambling"


def test_obfuscation_alone_does_not_make_news_a_violation(det: Detector) -> None:
    news = (
        "Банк повысил ставки по депозитам юридических лиц: 21,5% на 6 месяцев, 22% на год. "
        "Вклады застрахованы, подробности на сайте банка."
    )
    disguised = (
        "Б‍анк п0высил cтавки пo д-е-п-о-з-и-т-а-м юpидических лиц: 21,5% на 6 месяцев, 22% на гоооод. "
        "Вклады застрахованы."
    )
    assert det.detect(news).label == "benign"
    assert det.detect(disguised).label == "benign"


def test_obfuscation_strengthens_existing_phrases(det: Detector) -> None:
    v = det.detect("Зaбиpaй 200 ф-р-и-с-п-и-н-о-в и бoнyc 150% нa пepвый дeпoзит, вейджер х35")
    assert v.label == "gambling"
    assert "obfuscation_with_gambling_phrases" in _rules(v)


def test_screening_keeps_labels_and_skips_identifiers_only_where_they_cannot_matter(det: Detector) -> None:
    docs = [
        ("Погода в Алматы: завтра +20, звоните +7 701 123 45 67 за подробностями", "", ""),
        ("Куплю карты любых банков, оплата 20 000 ₸ за карту, пиши @buycards_kz", "", ""),
        ("Кошелёк TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE — 3% в день, реферальная программа", "", ""),
    ]
    full = det.detect_many(docs)
    screened = det.detect_many(docs, screen=True)
    assert [v.label for v in screened] == [v.label for v in full]
    assert not screened[0].indicators and full[0].indicators
    assert screened[1].indicators and screened[2].indicators


def test_top_classes_agree_with_full_predictions(det: Detector) -> None:
    """Screening reads the top class off the logits; it is the class the probabilities give."""
    import numpy as np

    from kuzet.detect.analysis import analyze

    assert det.model is not None
    texts = [
        "Онлайн казино, бонус 200% на первый депозит",
        "Пассивный доход 3% в день, реферальная программа",
        "Куплю дебетовые карты, оплата сразу",
        "Погода в Алматы: до +25, вечером дождь",
        "",
        "Get a 100% welcome bonus and free spins",
    ]
    analyses = [analyze(det.lexicon, t, indicators=[]) for t in texts]
    views = [a.view for a in analyses]
    dense = np.asarray([a.dense for a in analyses], dtype=np.float64)
    preds = det.model.predict(views, dense)
    assert det.model.top_classes(views, dense) == [max(p.probs, key=p.probs.__getitem__) for p in preds]
