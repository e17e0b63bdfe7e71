"""The detector: lexicons + shipped model loaded once, one ``detect`` call per document."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np

from kuzet.detect.analysis import MAX_SIDE_CHARS, MAX_TEXT_CHARS, Analysis, analyze, find_indicators, with_indicators
from kuzet.detect.features import AMPLIFIER_FEATURES, INDICATOR_FEATURES, category_scores
from kuzet.detect.fusion import SUPPORT_MIN_EVIDENCE, VIOLATIONS, build_verdict
from kuzet.detect.lang import detect_language
from kuzet.detect.lexicon import Lexicon
from kuzet.detect.model import LinearModel, Prediction
from kuzet.errors import DetectError
from kuzet.records import Verdict

log = logging.getLogger(__name__)

MODEL_FILE = "model.npz"
_DEFAULT: Detector | None = None
_DEFAULT_LOCK = threading.Lock()


def packaged_model_path() -> Path:
    return Path(str(resources.files("kuzet.detect").joinpath("model", MODEL_FILE)))


class Detector:
    """Classifies text into gambling / pyramid / illegal_finance / benign with reasons.

    Holds no per-call state, so one instance may serve many threads.
    """

    def __init__(self, lexicon: Lexicon, model: LinearModel | None = None) -> None:
        self.lexicon = lexicon
        self.model = model
        version = str(model.config.get("version", "?")) if model is not None else "lexicon-only"
        self.name = f"kuzet.detect/{version}"

    @classmethod
    def default(cls) -> Detector:
        """The packaged lexicons and model, loaded once per process."""
        global _DEFAULT
        if _DEFAULT is None:
            with _DEFAULT_LOCK:
                if _DEFAULT is None:
                    _DEFAULT = cls.from_paths()
        return _DEFAULT

    @classmethod
    def from_paths(cls, lexicon_dir: Path | None = None, model_path: Path | None = None) -> Detector:
        lexicon = Lexicon.load(lexicon_dir)
        path = model_path or packaged_model_path()
        model: LinearModel | None = None
        if path.is_file():
            model = LinearModel.load(path)
        elif model_path is not None:
            raise DetectError(f"model file not found: {model_path}")
        else:
            log.warning("no packaged model at %s; detection uses lexicons only", path)
        return cls(lexicon, model)

    def analyze(self, text: str, *, title: str = "", image_text: str = "", html: str | None = None) -> Analysis:
        return analyze(self.lexicon, text, title=title, image_text=image_text, html=html)

    def detect(self, text: str, *, title: str = "", image_text: str = "", html: str | None = None) -> Verdict:
        """Verdict for one document; ``text`` offsets in signals refer to ``text`` as given."""
        if not isinstance(text, str):
            raise DetectError(f"text must be a string, not {type(text).__name__}")
        analysis = self.analyze(text, title=title, image_text=image_text, html=html)
        return self.verdict(analysis, lang=detect_language(" ".join(filter(None, (title, text[:4000])))))

    def detect_many(self, docs: Sequence[tuple[str, str, str]], *, screen: bool = False) -> list[Verdict]:
        """Verdicts for ``(text, title, image_text)`` triples; one model call for the batch.

        With ``screen`` identifiers are extracted only where they can matter: indicators never
        turn a text the model finds benign without them into a violation (fusion rule
        ``indicators_alone_are_not_a_violation``) and strengthen a category only next to its
        phrases, so a text benign without indicators and without such phrases keeps its label.
        Such verdicts carry no indicators (the label is the same; the benign score may differ a
        little). Indicator extraction is a fifth of the work per text, and most screened text is
        benign.
        """
        analyses = [
            analyze(self.lexicon, text, title=title, image_text=image_text, indicators=[] if screen else None)
            for text, title, image_text in docs
        ]
        langs = [detect_language(" ".join(filter(None, (title, text[:4000])))) for text, title, _ in docs]
        text_logits = None
        if screen and self.model is not None:
            text_logits = self.model.text_logits([a.view for a in analyses])
            first = self.model.top_classes(
                [a.view for a in analyses],
                np.asarray([a.dense for a in analyses], dtype=np.float64),
                text_logits=text_logits,
            )
            for i, (top, a) in enumerate(zip(first, analyses, strict=True)):
                cats = category_scores(a.matches, a.entry_weights)
                if top != "benign" or any(cats.get(c, 0.0) >= SUPPORT_MIN_EVIDENCE for c in VIOLATIONS):
                    text, _, image_text = docs[i]
                    analyses[i] = with_indicators(
                        a, find_indicators(text[:MAX_TEXT_CHARS], image_text[:MAX_SIDE_CHARS])
                    )
        return self.verdicts(analyses, langs, text_logits=text_logits)

    def verdict(self, analysis: Analysis, *, lang: str) -> Verdict:
        return self.verdicts([analysis], [lang])[0]

    def verdicts(
        self, analyses: Sequence[Analysis], langs: Sequence[str], *, text_logits: np.ndarray | None = None
    ) -> list[Verdict]:
        """Verdicts for analysed documents; ``text_logits`` (from ``LinearModel.text_logits`` on
        the same analyses' views) spares a second n-gram pass."""
        if not analyses:
            return []
        preds: list[Prediction | None] = [None] * len(analyses)
        no_ind: list[Prediction | None] = [None] * len(analyses)
        bare: list[Prediction | None] = [None] * len(analyses)
        if self.model is not None:
            views = [a.view for a in analyses]
            dense = np.asarray([a.dense for a in analyses], dtype=np.float64)
            full, partial, plain = self.model.predict_variants(
                views, dense, [frozenset(), INDICATOR_FEATURES, AMPLIFIER_FEATURES], text_logits=text_logits
            )
            preds, no_ind, bare = list(full), list(partial), list(plain)
        return [
            build_verdict(a, p, q, r, lang, self.name)
            for a, p, q, r, lang in zip(analyses, preds, no_ind, bare, langs, strict=True)
        ]
