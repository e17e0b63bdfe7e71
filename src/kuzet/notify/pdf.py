"""DOCX documents turned into PDF by LibreOffice, so that the PDF is exactly the Word document.

The Word template stays the one source non-programmers edit; the PDF is what is sent or printed.
LibreOffice starts slowly (seconds) and converts quickly, so every document waiting for its PDF
is converted in one run. Each run gets a throwaway LibreOffice profile (two runs at once would
fight over a shared one), a time limit, and is killed with its whole process group on timeout.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

log = logging.getLogger("kuzet.notify.pdf")

SOFFICE_NAMES = ("soffice", "libreoffice")
BASE_TIMEOUT_S = 120.0
PER_DOCUMENT_S = 10.0


def soffice_path() -> str | None:
    for name in SOFFICE_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def convert_to_pdf(docs: Sequence[Path], *, timeout: float | None = None) -> dict[Path, Path | str]:
    """PDF beside each DOCX (``x.docx`` -> ``x.pdf``); maps each input to its PDF or to an error."""
    results: dict[Path, Path | str] = {}
    docs = [Path(d) for d in docs]
    if not docs:
        return results
    soffice = soffice_path()
    if soffice is None:
        return dict.fromkeys(docs, "LibreOffice (soffice) is not installed")
    limit = timeout or BASE_TIMEOUT_S + PER_DOCUMENT_S * len(docs)
    with tempfile.TemporaryDirectory(prefix="kuzet-pdf-") as tmp:
        work = Path(tmp)
        # Documents of different cases share file names: each gets a numbered link.
        inputs = []
        for i, doc in enumerate(docs):
            if not doc.is_file():
                results[doc] = f"no such document: {doc}"
                continue
            link = work / f"{i}.docx"
            link.symlink_to(doc.resolve())
            inputs.append((i, doc, link))
        if not inputs:
            return results
        out_dir = work / "out"
        cmd = [
            soffice,
            "--headless",
            "--norestore",
            "--nolockcheck",
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out_dir),
            *(str(link) for _, _, link in inputs),
        ]
        error = _run(cmd, limit)
        for i, doc, _ in inputs:
            made = out_dir / f"{i}.pdf"
            if made.is_file() and made.stat().st_size > 0:
                target = doc.with_suffix(".pdf")
                tmp_target = target.with_suffix(".pdf.part")
                shutil.copyfile(made, tmp_target)
                os.replace(tmp_target, target)
                results[doc] = target
            else:
                results[doc] = error or "LibreOffice produced no PDF"
    return results


def _run(cmd: list[str], timeout: float) -> str | None:
    """Run LibreOffice; None on success, else the reason."""
    try:
        proc = subprocess.Popen(  # noqa: S603 - fixed program, our own file names
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
        )
    except OSError as e:
        return f"cannot start LibreOffice: {e}"
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        log.warning("LibreOffice did not finish in %.0f s; killed", timeout)
        return f"LibreOffice did not finish in {timeout:.0f} s"
    if proc.returncode != 0:
        text = out.decode("utf-8", "replace").strip()[-500:]
        return f"LibreOffice failed (exit {proc.returncode}): {text}"
    return None
