"""Streaming classification and evaluation, as library functions behind ``kuzet classify`` / ``kuzet eval``.

``classify_stream`` reads JSONL (``id``, ``text``, optional ``title`` and ``image_text``) and
writes one JSON line per input line, in order: a verdict, or ``{"id": ..., "error": ...}`` for a
line that is not a JSON object with a string ``text``. It never raises for bad input, holds at
most one batch in memory, and bounds every line (a line longer than ``MAX_LINE_CHARS`` is
skipped with an error; text beyond the detector's bound is not analysed).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import orjson

from kuzet.detect.detector import Detector
from kuzet.detect.metrics import classification_report
from kuzet.detect.obfuscate import obfuscate as obfuscate_text
from kuzet.errors import DetectError
from kuzet.records import LABELS, Signal, Verdict, to_jsonable

MAX_LINE_CHARS = 8 * 1024 * 1024
BATCH = 64
_CHUNK = 1 << 16


def _lines(inp: TextIO) -> Iterator[tuple[str | None, str | None]]:
    """Yield ``(line, None)`` or ``(None, error)`` for over-long lines, reading in bounded pieces."""
    while True:
        line = inp.readline(MAX_LINE_CHARS + 1)
        if not line:
            return
        if len(line) > MAX_LINE_CHARS and not line.endswith("\n"):
            # Drain the rest of the line without keeping it.
            while True:
                rest = inp.readline(_CHUNK)
                if not rest or rest.endswith("\n"):
                    break
            yield None, f"line longer than {MAX_LINE_CHARS} characters"
            continue
        yield line, None


def _loads(line: str) -> Any:
    """orjson for speed; the standard parser for what orjson refuses and Python accepts
    (escaped lone surrogates, integers beyond 64 bits), so that no line the old reader took is lost."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return json.loads(line)


# Dates and dataclasses go through ``to_jsonable`` as everywhere else in kuzet (UTC, field by
# field); keys that are not strings are written as strings, as ``json.dumps`` does.
_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _dumps(obj: Any) -> str:
    """One JSON line; orjson writes UTF-8 as is (like ``ensure_ascii=False``) about ten times
    faster than ``json.dumps``, which remains the fallback for what orjson refuses."""
    try:
        return orjson.dumps(obj, default=to_jsonable, option=_ORJSON_OPTIONS).decode("utf-8")
    except TypeError:
        return json.dumps(to_jsonable(obj), ensure_ascii=False)


def _parse(line: str) -> tuple[Any, tuple[str, str, str] | None, str | None]:
    """``(id, (text, title, image_text), None)`` or ``(id, None, error)``."""
    try:
        obj = _loads(line)
    except ValueError as exc:
        return None, None, f"not JSON: {exc}"
    if not isinstance(obj, dict):
        return None, None, "not a JSON object"
    doc_id = obj.get("id")
    if not isinstance(doc_id, str | int | float | type(None)) or isinstance(doc_id, bool):
        doc_id = str(doc_id)
    text = obj.get("text")
    if not isinstance(text, str):
        return doc_id, None, "missing or non-string 'text'"
    title = obj.get("title") if isinstance(obj.get("title"), str) else ""
    image_text = obj.get("image_text") if isinstance(obj.get("image_text"), str) else ""
    return doc_id, (text, str(title), str(image_text)), None


def signal_json(sig: Signal) -> dict[str, Any]:
    """A signal as JSON (written out by hand: the generic ``to_jsonable`` is the slow part;
    details are left to ``_dumps``, which converts only what is not plain JSON already)."""
    return {
        "kind": sig.kind,
        "category": sig.category,
        "name": sig.name,
        "weight": sig.weight,
        "text": sig.text,
        "span": {"start": sig.span.start, "end": sig.span.end} if sig.span is not None else None,
        "detail": sig.detail or {},
    }


def verdict_json(doc_id: Any, verdict: Verdict) -> dict[str, Any]:
    return {
        "id": doc_id,
        "label": verdict.label,
        "score": verdict.score,
        "scores": verdict.scores,
        "signals": [signal_json(s) for s in verdict.signals],
        "lang": verdict.lang,
    }


def classify_stream(inp: TextIO, out: TextIO, err: TextIO, *, detector: Detector | None = None) -> int:
    """Classify JSONL from ``inp`` to ``out``; 0 when every line was classified, 1 otherwise."""
    det = detector or Detector.default()
    bad = 0
    pending: list[tuple[Any, tuple[str, str, str] | None, str | None]] = []

    def flush() -> None:
        nonlocal bad
        docs = [doc for _, doc, _ in pending if doc is not None]
        try:
            verdicts = iter(det.detect_many(docs, screen=True))
            failure = None
        except Exception as exc:  # noqa: BLE001 - one bad batch must not stop the stream
            verdicts, failure = iter(()), f"detection failed: {type(exc).__name__}: {exc}"
        for doc_id, doc, error in pending:
            if doc is not None and failure is None:
                out.write(_dumps(verdict_json(doc_id, next(verdicts))) + "\n")
                continue
            bad += 1
            out.write(_dumps({"id": doc_id, "error": error or failure}) + "\n")
        pending.clear()

    lineno = 0
    for line, too_long in _lines(inp):
        lineno += 1
        if too_long is not None:
            pending.append((None, None, too_long))
        elif line is not None and line.strip():
            pending.append(_parse(line))
        else:
            continue
        if pending[-1][2] is not None:
            err.write(f"line {lineno}: {pending[-1][2]}\n")
        if len(pending) >= BATCH:
            flush()
    flush()
    out.flush()
    return 1 if bad else 0


def read_labelled(path: Path) -> tuple[list[dict[str, Any]], int]:
    """Rows with a string ``text`` and a known ``label``; and how many lines were skipped."""
    rows: list[dict[str, Any]] = []
    skipped = 0
    with Path(path).open(encoding="utf-8") as fh:
        for line, too_long in _lines(fh):
            if too_long is not None or line is None or not line.strip():
                skipped += too_long is not None
                continue
            try:
                obj = _loads(line)
            except ValueError:
                skipped += 1
                continue
            if not isinstance(obj, dict) or not isinstance(obj.get("text"), str) or obj.get("label") not in LABELS:
                skipped += 1
                continue
            rows.append(obj)
    return rows, skipped


def evaluate(path: Path, obfuscate: bool = False, *, detector: Detector | None = None, seed: int = 0) -> dict[str, Any]:
    """Per-class P/R/F1, macro-F1, hard-negative FP rate, confusion matrix on a labelled JSONL file.

    With ``obfuscate`` the same rows are disguised (homoglyphs, zero-width characters, spacing,
    leetspeak, repeats) and scored again; ``obfuscation_drop`` is clean minus obfuscated macro-F1.
    """
    det = detector or Detector.default()
    rows, skipped = read_labelled(path)
    if not rows:
        raise DetectError(f"{path}: no labelled rows (need 'text' and a 'label' in {LABELS})")
    gold = [r["label"] for r in rows]
    hard = [bool(r.get("hard_negative")) for r in rows]
    docs = [(r["text"], str(r.get("title") or ""), "") for r in rows]
    t0 = time.perf_counter()
    preds = [v.label for start in range(0, len(docs), BATCH) for v in det.detect_many(docs[start : start + BATCH])]
    elapsed = time.perf_counter() - t0
    report = classification_report(gold, preds, hard)
    report["skipped_lines"] = skipped
    report["docs_per_second"] = round(len(rows) / elapsed, 1) if elapsed > 0 else None
    report["errors"] = [
        {"id": r.get("id"), "gold": g, "pred": p} for r, g, p in zip(rows, gold, preds, strict=True) if g != p
    ][:200]
    if obfuscate:
        obf_docs = [(obfuscate_text(t, seed=seed + i), title, "") for i, (t, title, _) in enumerate(docs)]
        obf_preds = [
            v.label
            for start in range(0, len(obf_docs), BATCH)
            for v in det.detect_many(obf_docs[start : start + BATCH])
        ]
        obf = classification_report(gold, obf_preds, hard)
        report["obfuscated"] = obf
        report["obfuscation_drop"] = round(report["macro_f1"] - obf["macro_f1"], 4)
    return report
