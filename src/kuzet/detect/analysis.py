"""One pass over a document's text: normalise, find lexicon matches, indicators, dense features.

Training and detection both go through ``analyze`` so that the model is trained on exactly the
features it is later shown.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kuzet.detect.features import dense_features, entry_weights, model_view
from kuzet.detect.lexicon import Lexicon, Match
from kuzet.detect.normalize import NormalizedText, normalize
from kuzet.records import Indicator

log = logging.getLogger(__name__)

# Hostile pages can be megabytes of text; what decides a verdict is in the first pages of it.
MAX_TEXT_CHARS = 60_000
MAX_SIDE_CHARS = 10_000

_Extractor = Callable[[str], list[Indicator]]
_EXTRACTORS: dict[str, _Extractor | None] = {}


def _extractor(name: str) -> _Extractor | None:
    """``kuzet.detect.indicators.<name>`` if that module is present, else None (looked up once)."""
    if name not in _EXTRACTORS:
        module: Any = None
        try:
            module = importlib.import_module("kuzet.detect.indicators")
        except ImportError:
            log.warning("kuzet.detect.indicators is not available; indicators are skipped")
        fn: Any = getattr(module, name, None) if module is not None else None
        _EXTRACTORS[name] = fn if callable(fn) else None
    return _EXTRACTORS[name]


def find_indicators(text: str, image_text: str = "", html: str | None = None) -> list[Indicator]:
    """Indicators from the text (spans into ``text``), the image text and the HTML (no spans)."""
    out: list[Indicator] = []
    fn = _extractor("extract_indicators")
    if fn is not None:
        out.extend(fn(text))
        if image_text:
            for ind in fn(image_text):
                ind.span = None
                ind.detail = {**ind.detail, "field": "image_text"}
                out.append(ind)
    if html:
        hfn = _extractor("extract_html_indicators")
        if hfn is not None:
            for ind in hfn(html):
                ind.span = None
                out.append(ind)
    return out


@dataclass(slots=True)
class FieldText:
    name: str  # "text", "title", "image_text"
    norm: NormalizedText
    matches: list[Match]


@dataclass(slots=True)
class Analysis:
    fields: list[FieldText]
    indicators: list[Indicator]
    dense: list[float]
    view: str
    truncated: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    # features.entry_weights of the matches: computed once, read by features and fusion.
    weights: dict[tuple[str, str], float] | None = None

    @property
    def matches(self) -> list[Match]:
        return [m for f in self.fields for m in f.matches]

    @property
    def entry_weights(self) -> dict[tuple[str, str], float]:
        if self.weights is None:
            self.weights = entry_weights(self.matches)
        return self.weights


def analyze(
    lexicon: Lexicon,
    text: str,
    *,
    title: str = "",
    image_text: str = "",
    html: str | None = None,
    indicators: list[Indicator] | None = None,
) -> Analysis:
    """Normalise each field, match the lexicon, extract indicators, build the model's inputs."""
    truncated = len(text) > MAX_TEXT_CHARS
    text = text[:MAX_TEXT_CHARS]
    title = title[:MAX_SIDE_CHARS]
    image_text = image_text[:MAX_SIDE_CHARS]
    fields: list[FieldText] = []
    for name, value in (("title", title), ("text", text), ("image_text", image_text)):
        if not value:
            continue
        norm = normalize(value)
        fields.append(FieldText(name, norm, lexicon.match(norm.text)))
    if indicators is None:
        indicators = find_indicators(text, image_text, html[: MAX_TEXT_CHARS * 4] if html else None)
    merged = _merge_norms([f.norm for f in fields])
    matches = [m for f in fields for m in f.matches]
    weights = entry_weights(matches)
    dense = dense_features(merged, matches, indicators, weights)
    view = model_view(merged.text)
    return Analysis(fields, indicators, dense, view, truncated, weights=weights)


def with_indicators(analysis: Analysis, indicators: list[Indicator]) -> Analysis:
    """The same analysis with ``indicators`` found afterwards (dense features rebuilt)."""
    merged = _merge_norms([f.norm for f in analysis.fields])
    weights = analysis.entry_weights
    dense = dense_features(merged, analysis.matches, indicators, weights)
    return Analysis(analysis.fields, indicators, dense, analysis.view, analysis.truncated, analysis.extra, weights)


def _merge_norms(norms: list[NormalizedText]) -> NormalizedText:
    """One NormalizedText standing for all fields (for features; offsets are not used)."""
    if len(norms) == 1:
        return norms[0]
    stats: dict[str, int] = {}
    for n in norms:
        for k, v in n.obfuscation.items():
            stats[k] = stats.get(k, 0) + v
    text = "\n".join(n.text for n in norms)
    return NormalizedText(text=text, offsets=[], original="", obfuscation=stats)
