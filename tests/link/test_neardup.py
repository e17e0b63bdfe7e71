"""Near-duplicate text: a mirror with a new domain and a new wallet still joins; unrelated pages do not."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kuzet.link.neardup import SchemeMismatch, Sketch, SketchScheme, sketch
from kuzet.link.networks import network_of
from kuzet.link.stage import Linker
from kuzet.store.models import ResourceLinkRow, TextBandRow, TextSketchRow

from .netfixtures import flagged

CASINO = (
    "Добро пожаловать в казино Вулкан Роял! Играйте в слоты и рулетку онлайн, получайте бонус сто процентов "
    "на первый депозит и двести фриспинов. Пополнение счёта картой или криптовалютой USDT, вывод выигрышей "
    "за пять минут без верификации. Турниры каждую неделю, кэшбэк до пятнадцати процентов, программа "
    "лояльности для постоянных игроков и персональный менеджер. Скачайте приложение и играйте где угодно. "
    "Пополнить счёт можно на кошелёк {wallet}. Служба поддержки работает круглосуточно."
)
NEWS = (
    "В Алматы завершился ремонт дорог на проспекте Абая: движение открыто по всем полосам, рассказали в "
    "акимате города. Работы шли три месяца, заменено покрытие и обновлена разметка, установлены новые "
    "светофоры и пешеходные переходы. Следующим летом планируют отремонтировать улицы в Алатауском районе "
    "и построить две новые развязки на окраинах города, где растёт число жилых комплексов."
)


def test_scheme_is_stored_and_different_schemes_are_never_compared() -> None:
    a = sketch(CASINO.format(wallet="T1"))
    b = sketch(CASINO.format(wallet="T1"), SketchScheme(num_perm=64, bands=16))
    assert a.scheme != b.scheme and "p128" in a.scheme and "words-5" in a.scheme
    with pytest.raises(SchemeMismatch):
        a.jaccard(b)
    assert a.jaccard(sketch(CASINO.format(wallet="T1"))) == 1.0


def test_estimates_follow_the_shingle_overlap() -> None:
    mirror = sketch(CASINO.format(wallet="TNEWWALLET"))
    original = sketch(CASINO.format(wallet="TATtZkaFysNie6RJiwb3frfDdYPtrtGxRF"))
    unrelated = sketch(NEWS)
    assert mirror.jaccard(original) > 0.8
    assert mirror.jaccard(unrelated) < 0.1
    assert isinstance(mirror, Sketch) and mirror.shingles > 40


def test_mirror_with_a_new_wallet_joins_through_its_text(db) -> None:  # type: ignore[no-untyped-def]
    with db.session() as s:
        original = flagged(s, "vulkan-royal.test", [("tron", "TOLD")], text=CASINO.format(wallet="TOLD"))
        mirror = flagged(s, "vulkan-zerkalo99.test", [("tron", "TNEW")], text=CASINO.format(wallet="TNEW"))
        news = flagged(s, "dala-news.test", [], text=NEWS)
        linker = Linker()
        for f in (original, mirror, news):
            linker.link_finding(s, f.id)
        # Bands live in the database, indexed, so any process finds the candidates by SQL.
        assert s.execute(select(TextBandRow)).scalars().first() is not None
        assert len(s.execute(select(TextSketchRow)).all()) == 3
        kinds = s.execute(select(ResourceLinkRow.kind, ResourceLinkRow.detail)).all()
        assert [k for k, _ in kinds] == ["text_neardup"] and kinds[0][1]["jaccard"] > 0.8
        nid = network_of(s, original.resource_id)
        assert nid is not None and network_of(s, mirror.resource_id) == nid
        assert network_of(s, news.resource_id) is None


def test_short_texts_are_not_called_mirrors(db) -> None:  # type: ignore[no-untyped-def]
    with db.session() as s:
        a = flagged(s, "t.me/a_channel", [], text="Бонус 100% на первый депозит! Играй сейчас")
        b = flagged(s, "t.me/b_channel", [], text="Бонус 100% на первый депозит! Играй сейчас")
        linker = Linker()
        linker.link_finding(s, a.id)
        linker.link_finding(s, b.id)
        assert s.execute(select(ResourceLinkRow)).first() is None
