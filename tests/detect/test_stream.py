"""classify_stream and evaluate: JSONL in and out, bad lines, bounds, metrics."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from kuzet.detect import stream
from kuzet.detect.stream import classify_stream, evaluate

GATE = Path(__file__).with_name("gate.jsonl")


def run(payload: str) -> tuple[int, list[dict[str, object]], str]:
    out, err = io.StringIO(), io.StringIO()
    rc = classify_stream(io.StringIO(payload), out, err)
    return rc, [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


def test_classify_stream_good_lines() -> None:
    payload = "\n".join(
        json.dumps({"id": i, "text": t}, ensure_ascii=False)
        for i, t in enumerate(["Рабочее зеркало казино и 100 фриспинов", "Завтра будет солнечно"])
    )
    rc, rows, err = run(payload + "\n")
    assert rc == 0 and err == ""
    assert [r["id"] for r in rows] == [0, 1]
    assert rows[0]["label"] == "gambling" and rows[1]["label"] == "benign"
    for r in rows:
        assert set(r) >= {"id", "label", "score", "scores", "signals"}
        assert isinstance(r["signals"], list)


def test_classify_stream_bad_lines_become_error_objects_in_order() -> None:
    lines = [
        '{"id": "a", "text": "Ищу дропов под карты"}',
        "not json",
        '{"id": "b"}',
        '{"id": "c", "text": 42}',
        "[1, 2]",
        "",
        '{"id": "d", "text": "Привет"}',
    ]
    rc, rows, err = run("\n".join(lines))
    assert rc == 1
    assert [r.get("id") for r in rows] == ["a", None, "b", "c", None, "d"]
    assert [("error" in r) for r in rows] == [False, True, True, True, True, False]
    assert err.count("\n") == 4


def test_classify_stream_bounds_long_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream, "MAX_LINE_CHARS", 1000)
    long_line = json.dumps({"id": "big", "text": "казино " * 1000})
    rc, rows, _ = run(long_line + "\n" + '{"id": "ok", "text": "казино и фриспины"}\n')
    assert rc == 1
    assert "error" in rows[0]
    assert rows[1]["id"] == "ok" and rows[1]["label"] == "gambling"


def test_classify_stream_megabyte_text_is_truncated_not_refused() -> None:
    rc, rows, _ = run(json.dumps({"id": 1, "text": "бонус на депозит в казино " * 60_000}) + "\n")
    assert rc == 0 and rows[0]["label"] == "gambling"


def test_classify_stream_survives_detector_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    from kuzet.detect import Detector

    def boom(self: Detector, docs: object, **_: object) -> object:
        raise RuntimeError("broken")

    monkeypatch.setattr(Detector, "detect_many", boom)
    rc, rows, _ = run('{"id": 1, "text": "x"}\n')
    assert rc == 1 and "broken" in str(rows[0]["error"])


def test_evaluate_reports_metrics_and_obfuscation(tmp_path: Path) -> None:
    rows = [json.loads(line) for line in GATE.read_text(encoding="utf-8").splitlines()][:40]
    path = tmp_path / "small.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\nbroken line\n", encoding="utf-8")
    report = evaluate(path, True)
    assert report["n"] == 40
    assert report["skipped_lines"] == 1
    assert set(report["per_class"]) == {"gambling", "pyramid", "illegal_finance", "benign"}
    assert 0.0 <= report["macro_f1"] <= 1.0
    assert "hard_negative_fp_rate" in report
    assert sum(sum(v.values()) for v in report["confusion"].values()) == 40
    assert "obfuscated" in report and "obfuscation_drop" in report


def test_evaluate_without_labelled_rows_is_an_error(tmp_path: Path) -> None:
    from kuzet.errors import DetectError

    path = tmp_path / "x.jsonl"
    path.write_text('{"text": "no label"}\n', encoding="utf-8")
    with pytest.raises(DetectError):
        evaluate(path, False)


def test_output_does_not_depend_on_string_hashing() -> None:
    """Words in the Russian and the Kazakh lexicon alike ("пирамида") are credited to the same
    file in every run: two processes with different hash seeds write identical output."""
    import os
    import subprocess
    import sys

    lines = "".join(
        json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n"
        for i, t in enumerate(
            [
                "Суд приговорил организаторов финансовой пирамиды к 6 годам.",
                "Қаржы пирамидасы туралы ескерту: табыс кепілдігі жоқ, казино ставкалары.",
                "Пассивный доход 3% в день, реферальная программа на 5 уровней.",
            ]
        )
    )
    code = (
        "import sys; from kuzet.detect.stream import classify_stream; "
        "classify_stream(sys.stdin, sys.stdout, sys.stderr)"
    )
    outs = []
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        res = subprocess.run(
            [sys.executable, "-c", code], input=lines, capture_output=True, text=True, env=env, timeout=120, check=True
        )
        outs.append(res.stdout)
    assert outs[0] and outs[0] == outs[1] == outs[2]


def test_classify_command_starts_without_the_rest_of_the_cli(tmp_path: Path) -> None:
    """``kuzet classify`` goes through ``kuzet.entry`` without importing settings, SQLAlchemy or
    the other commands (start-up is part of what a streaming user waits for)."""
    import subprocess
    import sys

    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 1, "text": "Онлайн казино, бонус 200% на первый депозит"}\nnot json\n', encoding="utf-8")
    code = (
        "import sys\n"
        "from kuzet.entry import main\n"
        f"sys.argv = ['kuzet', 'classify', {str(src)!r}]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\n"
        "heavy = sorted(m for m in ('sqlalchemy', 'kuzet.settings', 'kuzet.cli', 'fastapi') if m in sys.modules)\n"
        "print('HEAVY', heavy, 'EXIT', code, file=sys.stderr)\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    lines = [json.loads(line) for line in res.stdout.splitlines()]
    assert lines[0]["id"] == 1 and lines[0]["label"] == "gambling"
    assert "error" in lines[1]
    assert "HEAVY [] EXIT 1" in res.stderr, res.stderr
