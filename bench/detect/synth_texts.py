"""Generated ~1 KB texts for throughput benchmarks (own templates; no shared corpus needed).

The texts only need to look like the traffic ``kuzet classify`` sees (landing-page and channel
language in ru/kk/en, a mix of labels, numbers, links and handles); they are not evaluation data.
"""

from __future__ import annotations

import random

_SENTENCES: dict[str, list[str]] = {
    "gambling": [
        "Регистрация за минуту и бонус {n}% на первый депозит до {m} ₸.",
        "Фриспины каждый день, вейджер х{k}, вывод от {s} тенге на карту.",
        "Live-казино, слоты и ставки на спорт в одном приложении — скачай по ссылке {url}.",
        "Кэшбэк до {k}% каждую неделю, турниры с джекпотом {m} ₽.",
        "Промокод {code} даёт 200 фриспинов, заходи в наш канал {handle}.",
        "Get a {n}% welcome bonus and {k} free spins on your first deposit at {url}.",
        "Тіркеліп, {m} теңге бонус алыңыз, ставкаларды қазір жасаңыз.",
        "Лучшие прогнозы на футбол, проходимость {n}%, пиши {handle} за экспрессом.",
    ],
    "pyramid": [
        "Инвестиционный план: {k}% в день, начисления каждый день, минимальный депозит {s} $.",
        "Реферальная программа на {k} уровня, приглашай друзей и получай {n}% от их вкладов.",
        "Пассивный доход от {m} ₽ в месяц без вложений сил, выплаты моментально {url}.",
        "Daily ROI {k}% for {n} days, withdraw anytime, join our investment plan {url}.",
        "Күніне {k}% табыс, салымды екі есе көбейтіңіз, {handle} жазыңыз.",
        "Вступительный взнос {s} $, через месяц вы вернёте в {k} раза больше.",
    ],
    "illegal_finance": [
        "Куплю дебетовые карты любых банков, оплата {m} ₽ за карту, пиши {handle}.",
        "Обмен USDT на наличные в Алматы без KYC, курс выше биржевого, {handle}.",
        "Займ без отказа и проверки кредитной истории, деньги на карту за {k} минут.",
        "Нужны дропы для приёма переводов, суммы от {m} рублей, работа удалённо.",
        "Обналичка и вывод денег с любых карт, комиссия {k}%, пишите {handle}.",
        "We buy bank accounts and cards, cash out any amount, contact {handle}.",
    ],
    "benign": [
        "Ставки по депозитам в банке повышены до {n}% годовых, вклады застрахованы КФГД.",
        "В Алматы сегодня до +{k} градусов, вечером возможен дождь, сообщает Казгидромет.",
        "Суд приговорил организаторов финансовой пирамиды к {k} годам лишения свободы.",
        "Министерство туризма и спорта напоминает: букмекерские конторы работают по лицензии, 21+.",
        "Новый выпуск подкаста о Python: типизация, {n} примеров и разбор ошибок.",
        "The central bank kept the base rate at {n}% and expects inflation to slow next year.",
        "Бүгін Астанада жаңа мектеп ашылды, онда {m} оқушы білім алады.",
        "Рецепт недели: плов на {k} порций, рис, морковь, баранина и специи.",
        "Расписание электричек изменится с {k} числа, подробности на сайте {url}.",
    ],
}
LABELS = tuple(_SENTENCES)


def _fill(rng: random.Random, s: str) -> str:
    return s.format(
        n=rng.randint(5, 300),
        m=rng.randint(1, 900) * 1000,
        k=rng.randint(2, 40),
        s=rng.randint(1, 99) * 10,
        url=f"https://{rng.choice(['win', 'best', 'kz', 'pro', 'news'])}{rng.randint(1, 999)}"
        f".{rng.choice(['com', 'kz', 'ru', 'bet'])}/",
        handle=f"@{rng.choice(['bonus', 'invest', 'obmen', 'info', 'kz'])}_{rng.randint(10, 9999)}",
        code=f"KZ{rng.randint(100, 999)}",
    )


def generate(n: int, seed: int = 0, size: int = 1000) -> list[tuple[str, str]]:
    """``n`` (label, text) pairs of about ``size`` characters; a quarter of each violation mixes in benign lines."""
    rng = random.Random(seed)
    out: list[tuple[str, str]] = []
    for i in range(n):
        label = LABELS[i % len(LABELS)] if i % 2 else "benign"
        parts: list[str] = []
        while sum(len(p) + 1 for p in parts) < size:
            pool = _SENTENCES["benign"] if label != "benign" and rng.random() < 0.25 else _SENTENCES[label]
            parts.append(_fill(rng, rng.choice(pool)))
        out.append((label, " ".join(parts)[: size + 100]))
    return out
