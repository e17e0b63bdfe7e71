"""Fusion of model scores, lexicon evidence and indicators into a Verdict with quotable signals.

The learned model already weighs lexicon and indicator features. Two rules sit on top, each
reported as a ``rule`` signal when it fires:

* indicators and obfuscation alone never make a violation: if leaving the indicator and
  obfuscation features out turns the verdict benign, the verdict is benign (a bank page shows
  phone numbers too; a news text can be disguised as well). They amplify evidence, not create it;
* an indicator that fits a category's evidence strengthens it: a crypto wallet next to
  fixed-percent return phrases (pyramid), a bank card next to drop or card-buying phrases
  (illegal finance), a promo code next to casino phrases (gambling). The training chats were
  anonymised, so the model never saw real wallets or cards; this rule supplies what it could not
  learn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from kuzet.detect.analysis import Analysis
from kuzet.detect.features import INDICATOR_FEATURES, category_scores, indicator_group
from kuzet.detect.model import Prediction
from kuzet.records import LABELS, Indicator, Signal, Span, Verdict

VIOLATIONS = ("gambling", "pyramid", "illegal_finance")
# Indicator group -> the category whose evidence it strengthens.
_SUPPORTS = {
    "crypto": ("pyramid", "illegal_finance"),
    "card": ("illegal_finance",),
    "iban": ("illegal_finance",),
    "promo": ("gambling",),
}
# Reporting about a phenomenon (news, warnings, court reports, licensed offers) carries
# benign-context cues and few calls to act; promotion is the other way round. The training
# chats hold almost no such reporting, so the model cannot learn this shift by itself.
REPORT_MIN_CONTEXT = 3.0
REPORT_SLOPE = 0.6
REPORT_CAP = 5.0
# A long text that names the subject only in passing (a travel blog mentioning a casino town, an
# article) is not promotion: promotion pages are dense with offers and calls to act.
SPARSE_MIN_CHARS = 600
SPARSE_MAX_DENSITY = 2.5  # lexicon weight of the leading category per 1,000 characters
SPARSE_SHIFT = 1.5
# A violation promotes: it offers, calls to act or names a way to pay. A text whose only cue for
# the leading category is one topic word ("the old casino strip", "a bookmaker opened") is not
# promotion, whatever its length. Specific phrases (weight >= TOPIC_STRONG_WEIGHT: "фриспины",
# "куры нала"), patterns (percent per day), a second distinct phrase, a call to action or a
# supporting identifier each count as promotion evidence.
TOPIC_STRONG_WEIGHT = 3.0
TOPIC_SHIFT = 2.0
TOPIC_REPEAT = 3
SUPPORT_MIN_EVIDENCE = 2.0
OBFUSCATION_MIN_EDITS = 2
OBFUSCATION_BONUS = 1.0
# Obfuscation counts only where the words alone already give the category this probability.
AMPLIFY_MIN_PROB = 0.25
_SUPPORT_BONUS = 1.0
MAX_PHRASE_SIGNALS = 25


def _softmax(logits: dict[str, float]) -> dict[str, float]:
    top = max(logits.values())
    exp = {k: math.exp(v - top) for k, v in logits.items()}
    total = sum(exp.values())
    return {k: v / total for k, v in exp.items()}


def lexicon_only_scores(analysis: Analysis) -> dict[str, float]:
    """Scores when no model is available: lexicon weights (benign context acts in ``fuse``)."""
    cats = category_scores(analysis.matches, analysis.entry_weights)
    logits = {"benign": 2.0}
    for c in VIOLATIONS:
        logits[c] = cats.get(c, 0.0) + 0.3 * cats.get("call_to_action", 0.0)
    return _softmax(logits)


def fuse(
    analysis: Analysis,
    pred: Prediction | None,
    pred_no_indicators: Prediction | None = None,
    pred_bare: Prediction | None = None,
) -> tuple[dict[str, float], list[Signal]]:
    """Final per-label scores and the rule signals that shaped them.

    ``pred_no_indicators`` leaves the indicator features out, ``pred_bare`` the indicator and
    the obfuscation features.
    """
    rules: list[Signal] = []
    if pred is None:
        scores = lexicon_only_scores(analysis)
    else:
        scores = dict(pred.probs)
        label = max(scores, key=scores.__getitem__)
        if label != "benign" and pred_no_indicators is not None and _top(pred_no_indicators.probs) == "benign":
            scores = dict(pred_no_indicators.probs)
            rules.append(_amplifier_rule("indicators"))
        elif label != "benign" and pred_bare is not None and _top(pred_bare.probs) == "benign":
            # Disguise strengthens what the words already lean to; it does not create a category.
            bare = pred_bare.probs
            leaning = max(VIOLATIONS, key=lambda c: bare.get(c, 0.0))
            if leaning != label or bare.get(label, 0.0) < AMPLIFY_MIN_PROB:
                scores = dict(bare)
                rules.append(_amplifier_rule("obfuscation"))
    cats = category_scores(analysis.matches, analysis.entry_weights)
    groups = {indicator_group(i.kind) for i in analysis.indicators if i.valid}
    logits = {k: math.log(max(v, 1e-9)) for k, v in scores.items()}
    boosted = False
    for group in sorted(groups):
        for cat in _SUPPORTS.get(group, ()):
            if cats.get(cat, 0.0) >= SUPPORT_MIN_EVIDENCE:
                logits[cat] += _SUPPORT_BONUS
                boosted = True
                rules.append(
                    Signal(
                        kind="rule",
                        category=cat,
                        name=f"{group}_indicator_with_{cat}_phrases",
                        weight=_SUPPORT_BONUS,
                        text=f"A {group} identifier appears together with {cat.replace('_', ' ')} phrases.",
                    )
                )
    disguise = sum(f.norm.obfuscation_score for f in analysis.fields)
    # Only where the category's phrases outweigh reporting / regulated-offer wording.
    backed = [
        c
        for c in VIOLATIONS
        if cats.get(c, 0.0) >= SUPPORT_MIN_EVIDENCE and cats.get(c, 0.0) > cats.get("benign_context", 0.0)
    ]
    if disguise >= OBFUSCATION_MIN_EDITS and backed:
        # The model has no obfuscation weights (they made disguised news look like spam); a
        # disguised text strengthens the category its own phrases already argue for.
        cat = max(backed, key=lambda c: logits.get(c, -math.inf))
        logits[cat] += OBFUSCATION_BONUS
        boosted = True
        rules.append(
            Signal(
                kind="rule",
                category=cat,
                name=f"obfuscation_with_{cat}_phrases",
                weight=OBFUSCATION_BONUS,
                text=f"Disguised spelling together with {cat.replace('_', ' ')} phrases.",
                detail={"edits": disguise},
            )
        )
    context = cats.get("benign_context", 0.0)
    reporting = context - cats.get("call_to_action", 0.0)
    if context >= REPORT_MIN_CONTEXT and reporting >= 2.0:
        shift = min(REPORT_CAP, REPORT_SLOPE * (reporting - 1.0))
        logits["benign"] += shift
        boosted = True
        rules.append(
            Signal(
                kind="rule",
                category="benign",
                name="reporting_context",
                weight=round(-shift, 3),
                text="The text reads as reporting or regulated information (news, warnings, courts, licences).",
                detail={"benign_context": context, "call_to_action": cats.get("call_to_action", 0.0)},
            )
        )
    chars = sum(len(f.norm.text) for f in analysis.fields)
    leading = max(VIOLATIONS, key=lambda c: logits.get(c, -math.inf))
    if chars >= SPARSE_MIN_CHARS and cats.get("call_to_action", 0.0) < 2.0:
        # Every occurrence counts here: a page repeating its offer is dense, whatever it repeats.
        density = sum(m.weight for m in analysis.matches if m.category == leading) * 1000.0 / chars
        if density < SPARSE_MAX_DENSITY and logits[leading] > logits["benign"]:
            logits["benign"] += SPARSE_SHIFT
            boosted = True
            rules.append(
                Signal(
                    kind="rule",
                    category="benign",
                    name="sparse_mention",
                    weight=-SPARSE_SHIFT,
                    text=f"A long text that mentions {leading.replace('_', ' ')} only in passing.",
                    detail={"density_per_1000_chars": round(density, 2)},
                )
            )
    leading = max(VIOLATIONS, key=lambda c: logits.get(c, -math.inf))
    if logits[leading] > logits["benign"] and not _promotes(analysis, leading, cats, groups):
        logits["benign"] += TOPIC_SHIFT
        boosted = True
        rules.append(
            Signal(
                kind="rule",
                category="benign",
                name="topic_without_promotion",
                weight=-TOPIC_SHIFT,
                text=f"The text names {leading.replace('_', ' ')} but offers nothing, calls for nothing and "
                "gives no way to pay.",
            )
        )
    if boosted:
        scores = _softmax(logits)
    return {k: scores.get(k, 0.0) for k in LABELS}, rules


def _promotes(analysis: Analysis, category: str, cats: dict[str, float], groups: set[str]) -> bool:
    """Whether the text carries promotion evidence for ``category`` (see TOPIC_STRONG_WEIGHT)."""
    if cats.get("call_to_action", 0.0) > 0 or any(category in _SUPPORTS.get(g, ()) for g in groups):
        return True
    own = [m for m in analysis.matches if m.category == category]
    # Repeating the one word is promotion too (keyword-stuffed pages).
    return (
        len({m.name for m in own}) >= 2
        or len(own) >= TOPIC_REPEAT
        or any(m.kind == "pattern" or m.weight >= TOPIC_STRONG_WEIGHT for m in own)
    )


def _top(probs: dict[str, float]) -> str:
    return max(probs, key=probs.__getitem__)


def _amplifier_rule(what: str) -> Signal:
    if what == "indicators":
        name, text = "indicators_alone_are_not_a_violation", "Identifiers (phones, wallets, cards) alone do"
    else:
        name, text = "obfuscation_alone_is_not_a_violation", "Disguised spelling alone does"
    return Signal(
        kind="rule",
        category="benign",
        name=name,
        weight=0.0,
        text=f"{text} not make a violation; they only strengthen evidence the words already give.",
    )


def phrase_signals(analysis: Analysis) -> list[Signal]:
    """One signal per distinct lexicon entry found, quoting the ORIGINAL text."""
    out: list[Signal] = []
    seen: set[tuple[str, str]] = set()
    for f in analysis.fields:
        norm = f.norm
        # Untouched by normalisation (offsets still the identity range): spans map to themselves.
        offsets = norm.offsets
        identity = isinstance(offsets, range) and offsets.start == 0 and offsets.step == 1
        size = len(offsets)
        is_text = f.name == "text"
        for m in f.matches:
            key = (m.category, m.name)
            if key in seen:
                continue
            seen.add(key)
            if identity and m.start < m.end <= size:
                start, end = m.start, m.end
            else:
                start, end = norm.to_original(m.start, m.end)
            detail: dict[str, object] = {"lang": m.lang, "field": f.name}
            if m.detail:
                detail.update(m.detail)
            out.append(
                Signal(
                    "phrase" if m.kind == "phrase" else "pattern",
                    m.category,
                    m.name,
                    m.weight,
                    norm.original[start:end][:200],
                    Span(start, end) if is_text else None,
                    detail,
                )
            )
    out.sort(key=lambda s: -s.weight)
    return out[:MAX_PHRASE_SIGNALS]


def obfuscation_signals(analysis: Analysis) -> list[Signal]:
    stats: dict[str, int] = {}
    for f in analysis.fields:
        for k, v in f.norm.obfuscation.items():
            if k != "nfkc" and v:
                stats[k] = stats.get(k, 0) + v
    if not stats:
        return []
    total = sum(v for k, v in stats.items() if k != "mixed_script_words")
    return [
        Signal(
            kind="obfuscation",
            category="obfuscation",
            name="+".join(sorted(stats)),
            weight=float(total),
            text="Text disguised with " + ", ".join(f"{k.replace('_', ' ')} ({v})" for k, v in sorted(stats.items())),
            detail=dict(stats),
        )
    ]


def indicator_signals(indicators: Sequence[Indicator]) -> list[Signal]:
    return [
        Signal(
            kind="indicator",
            category=indicator_group(ind.kind),
            name=ind.kind,
            weight=0.0,
            text=ind.display,
            span=ind.span,
            detail={"valid": ind.valid},
        )
        for ind in indicators[:50]
    ]


def model_signal(label: str, pred: Prediction, analysis: Analysis) -> Signal:
    """How the model reached its score: n-gram part and the dense features that mattered most."""
    contrib = pred.contributions(label) if label in pred.classes else {}
    top = sorted(contrib.items(), key=lambda kv: -abs(kv[1]))[:6]
    return Signal(
        kind="model",
        category=label,
        name="char-ngram+lexicon linear model",
        weight=round(pred.probs.get(label, 0.0), 4),
        text=f"Learned model gives {label} {pred.probs.get(label, 0.0):.2f}",
        detail={
            "probs": {k: round(v, 4) for k, v in pred.probs.items()},
            "text_logit": round(pred.text_logits.get(label, 0.0), 3),
            "features": {k: round(v, 3) for k, v in top if k not in INDICATOR_FEATURES or v},
            "truncated": analysis.truncated,
        },
    )


def build_verdict(
    analysis: Analysis,
    pred: Prediction | None,
    pred_no_indicators: Prediction | None,
    pred_bare: Prediction | None,
    lang: str,
    detector: str,
) -> Verdict:
    scores, rules = fuse(analysis, pred, pred_no_indicators, pred_bare)
    label = max(scores, key=scores.__getitem__)
    signals: list[Signal] = []
    signals.extend(phrase_signals(analysis))
    signals.extend(obfuscation_signals(analysis))
    signals.extend(indicator_signals(analysis.indicators))
    if pred is not None:
        signals.append(model_signal(label, pred, analysis))
    signals.extend(rules)
    return Verdict(
        label=label,
        score=round(scores[label], 4),
        scores={k: round(v, 4) for k, v in scores.items()},
        signals=signals,
        indicators=list(analysis.indicators),
        lang=lang,
        detector=detector,
    )
