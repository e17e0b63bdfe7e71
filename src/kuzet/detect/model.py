"""The learned classifier: hashed character n-grams (TF-IDF) plus dense evidence, linear, softmax.

Stored as a compressed ``.npz`` of plain arrays (no pickle: a model file is data and loading it
must not execute code). Prediction is a sparse matrix product done here rather than through a
fitted scikit-learn object, which keeps the file small and lets the detector split every score
into the part the n-grams gave and the part each dense feature gave (explanations).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from kuzet.detect.hashing import CharNgramHasher
from kuzet.errors import DetectError

if TYPE_CHECKING:
    import scipy.sparse as sp

N_FEATURES = 2**18


class Vectorizer(Protocol):
    def transform(self, raw_documents: Sequence[str]) -> Any: ...


def make_vectorizers(config: dict[str, object]) -> list[Vectorizer]:
    """Hashing vectorizers for a configuration; their counts share one hash space and are summed.

    ``config["analyzers"]`` lists ``[analyzer, min_n, max_n]`` triples: ``char_wb`` (character
    n-grams within words, ``hashing.CharNgramHasher``) and ``word`` (word n-grams, scikit-learn).
    """
    specs: Any = config.get("analyzers", [["char_wb", 2, 5]])
    n_features = int(str(config.get("n_features", N_FEATURES)))
    out: list[Vectorizer] = []
    for name, lo, hi in specs:
        if name == "char_wb":
            out.append(CharNgramHasher(int(lo), int(hi), n_features))
        else:
            # Imported here: scikit-learn takes most of a second to import and the shipped
            # model needs only the numpy hasher.
            from sklearn.feature_extraction.text import HashingVectorizer

            out.append(
                HashingVectorizer(
                    analyzer=str(name),  # type: ignore[arg-type]
                    ngram_range=(int(lo), int(hi)),
                    n_features=n_features,
                    alternate_sign=False,
                    norm=None,
                    lowercase=False,
                    token_pattern=r"(?u)\b\w+\b",  # noqa: S106 - a regular expression, not a secret
                    dtype=np.float32,
                )
            )
    return out


def hashed_counts(vectorizers: Sequence[Vectorizer], texts: Sequence[str]) -> sp.csr_matrix:
    import scipy.sparse as sp

    total: sp.csr_matrix | None = None
    for vec in vectorizers:
        x = sp.csr_matrix(vec.transform(texts))
        total = x if total is None else total + x
    assert total is not None
    return sp.csr_matrix(total)


def tfidf(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear TF times IDF, rows scaled to unit length."""
    import scipy.sparse as sp

    x = counts.tocsr(copy=True).astype(np.float32)
    np.log1p(x.data, out=x.data)
    x = x @ sp.diags(idf.astype(np.float32))
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ x)


@dataclass(slots=True)
class Prediction:
    probs: dict[str, float]
    text_logits: dict[str, float]
    contrib: np.ndarray  # (n_classes, n_dense): each dense feature's share of each class logit
    classes: list[str]
    dense_names: list[str]

    def contributions(self, label: str) -> dict[str, float]:
        """Non-zero dense-feature contributions to ``label``'s logit."""
        row = self.contrib[self.classes.index(label)]
        return {n: float(v) for n, v in zip(self.dense_names, row, strict=True) if v != 0}


@dataclass(slots=True)
class LinearModel:
    classes: list[str]
    idf: np.ndarray  # (n_features,)
    coef_text: np.ndarray  # (n_classes, n_features)
    coef_dense: np.ndarray  # (n_classes, n_dense)
    intercept: np.ndarray  # (n_classes,)
    dense_names: list[str]
    dense_scale: float
    temperature: float
    config: dict[str, object]
    _vectorizers: list[Vectorizer] | None = None
    _coef_rows: np.ndarray | None = None  # coef_text transposed, C-contiguous: one row per bucket

    @property
    def vectorizers(self) -> list[Vectorizer]:
        if self._vectorizers is None:
            self._vectorizers = make_vectorizers(self.config)
        return self._vectorizers

    def logits(
        self, texts: Sequence[str], dense: np.ndarray, text_logits: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Text logits (n, k) and dense contributions (n, k, d) before the intercept.

        ``text_logits`` from an earlier ``text_logits`` call on the same texts skips the n-grams.
        """
        text = self.text_logits(texts) if text_logits is None else text_logits
        d = np.asarray(dense, dtype=np.float64) * self.dense_scale
        contrib = d[:, None, :] * self.coef_dense[None, :, :]
        return text, contrib

    def text_logits(self, texts: Sequence[str]) -> np.ndarray:
        """The n-gram part of every class logit, (n, k)."""
        vecs = self.vectorizers
        if all(isinstance(v, CharNgramHasher) for v in vecs):
            hashers = [v for v in vecs if isinstance(v, CharNgramHasher)]
            # Small chunks: sorting the n-grams of many texts at once costs more than it saves.
            text = np.concatenate(
                [self._hashed_logits(hashers, texts[i : i + 32]) for i in range(0, len(texts), 32)]
                or [np.zeros((0, len(self.classes)))]
            )
        else:
            x = tfidf(hashed_counts(vecs, texts), self.idf)
            text = np.asarray(x @ self.coef_text.T, dtype=np.float64)
        return text

    def _hashed_logits(self, hashers: Sequence[CharNgramHasher], texts: Sequence[str]) -> np.ndarray:
        """The same numbers as ``tfidf(...) @ coef_text.T`` for a batch, without scipy: only the
        buckets the texts use are gathered, so the cost follows the texts, not the hash space."""
        if self._coef_rows is None:
            self._coef_rows = np.ascontiguousarray(self.coef_text.T)
        n_docs, n_feat = len(texts), int(self.idf.shape[0])
        out = np.zeros((n_docs, len(self.classes)), dtype=np.float64)
        if not n_docs:
            return out
        pairs = [h.batch_hashes(texts) for h in hashers]
        cols = np.concatenate([p[0] for p in pairs])
        docs = np.concatenate([p[1] for p in pairs])
        keys = docs * n_feat + cols
        if n_docs * n_feat < 2**31:
            keys = keys.astype(np.int32)  # sorts twice as fast as int64
        keys, counts = np.unique(keys, return_counts=True)
        if not len(keys):
            return out
        if n_feat & (n_feat - 1) == 0:  # a power of two: shift and mask, not division
            doc, col = keys >> (n_feat.bit_length() - 1), keys & (n_feat - 1)
        else:
            doc, col = keys // n_feat, keys % n_feat
        w = np.log1p(counts.astype(np.float32)) * self.idf[col]
        norms = np.sqrt(np.bincount(doc, weights=w.astype(np.float64) ** 2, minlength=n_docs))
        norms[norms == 0] = 1.0
        contrib = self._coef_rows[col] * w[:, None]
        # Keys are sorted, so each text's n-grams are one run of rows: summed row by row in
        # float64 (the order and precision of a bincount per class, in one call).
        starts = np.flatnonzero(np.r_[True, doc[1:] != doc[:-1]])
        out[doc[starts]] = np.add.reduceat(contrib.astype(np.float64), starts, axis=0)
        return out / norms[:, None]

    def predict(
        self,
        texts: Sequence[str],
        dense: np.ndarray,
        *,
        drop: frozenset[str] = frozenset(),
        text_logits: np.ndarray | None = None,
    ) -> list[Prediction]:
        """Calibrated class probabilities; features named in ``drop`` are left out of the sum."""
        return self.predict_variants(texts, dense, [drop], text_logits=text_logits)[0]

    def predict_variants(
        self,
        texts: Sequence[str],
        dense: np.ndarray,
        drops: Sequence[frozenset[str]],
        *,
        text_logits: np.ndarray | None = None,
    ) -> list[list[Prediction]]:
        """Predictions with the features of each ``drops`` set left out, from one n-gram pass."""
        text, contrib = self.logits(texts, dense, text_logits)
        out: list[list[Prediction]] = []
        for drop in drops:
            keep = np.array([name not in drop for name in self.dense_names], dtype=np.float64)
            out.append(self._predictions(text, contrib, keep))
        return out

    def top_classes(
        self, texts: Sequence[str], dense: np.ndarray, *, text_logits: np.ndarray | None = None
    ) -> list[str]:
        """The most probable class of each text, as ``predict`` would give it, without building
        the predictions (the softmax keeps the order of the logits)."""
        text, contrib = self.logits(texts, dense, text_logits)
        total = text + contrib.sum(axis=2) + self.intercept[None, :]
        return [self.classes[i] for i in np.argmax(total, axis=1).tolist()]

    def _predictions(self, text: np.ndarray, contrib: np.ndarray, keep: np.ndarray) -> list[Prediction]:
        total = (text + (contrib * keep[None, None, :]).sum(axis=2) + self.intercept[None, :]) / self.temperature
        total -= total.max(axis=1, keepdims=True)
        probs = np.exp(total)
        probs /= probs.sum(axis=1, keepdims=True)
        out: list[Prediction] = []
        for i in range(text.shape[0]):
            out.append(
                Prediction(
                    probs=dict(zip(self.classes, probs[i].tolist(), strict=True)),
                    text_logits=dict(zip(self.classes, text[i].tolist(), strict=True)),
                    contrib=contrib[i] * keep[None, :],
                    classes=self.classes,
                    dense_names=self.dense_names,
                )
            )
        return out

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Store only the hashed columns that carry weight: most of the hash space is empty.
        used = np.flatnonzero(np.any(self.coef_text != 0, axis=0))
        meta = {
            "classes": self.classes,
            "dense_names": self.dense_names,
            "dense_scale": self.dense_scale,
            "temperature": self.temperature,
            "config": self.config,
            "n_features": int(self.idf.shape[0]),
        }
        with path.open("wb") as fh:
            np.savez_compressed(
                fh,
                meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8),
                used=used.astype(np.int32),
                idf=self.idf[used].astype(np.float16),
                coef_text=self.coef_text[:, used].astype(np.float16),
                coef_dense=self.coef_dense.astype(np.float32),
                intercept=self.intercept.astype(np.float32),
            )

    @classmethod
    def load(cls, path: Path) -> LinearModel:
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(bytes(data["meta"]).decode("utf-8"))
                n = int(meta["n_features"])
                used = data["used"].astype(np.int64)
                idf = np.zeros(n, dtype=np.float32)
                idf[used] = data["idf"].astype(np.float32)
                coef_text = np.zeros((len(meta["classes"]), n), dtype=np.float32)
                coef_text[:, used] = data["coef_text"].astype(np.float32)
                coef_dense = data["coef_dense"].astype(np.float64)
                intercept = data["intercept"].astype(np.float64)
        except (OSError, KeyError, ValueError) as exc:
            raise DetectError(f"cannot load model {path}: {exc}") from exc
        return cls(
            classes=list(meta["classes"]),
            idf=idf,
            coef_text=coef_text,
            coef_dense=coef_dense,
            intercept=intercept,
            dense_names=list(meta["dense_names"]),
            dense_scale=float(meta["dense_scale"]),
            temperature=float(meta["temperature"]),
            config=dict(meta["config"]),
        )
