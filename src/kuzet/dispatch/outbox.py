"""Delivery into an outbox folder (a shared drive, a folder another system picks up).

The package is written into a hidden temporary folder beside its final place, flushed to disk,
then renamed in one step: a reader of the outbox sees either no package or a complete one,
never half of it, even if kuzet dies mid-write. The final name carries the package digest, so
delivering the same package again finds it already there.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from kuzet.dispatch.package import write_package
from kuzet.dispatch.records import CasePackage, Delivery, DispatchError


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_outbox(pkg: CasePackage, outbox: Path) -> Delivery:
    """Write the package into ``outbox``; the reference is the package folder's path."""
    outbox = outbox.expanduser().resolve()
    final = outbox / pkg.folder_name
    if final.is_dir() and (final / "manifest.json").is_file():
        if (final / "manifest.json").read_bytes() == pkg.manifest_bytes:
            return Delivery(reference=str(final), detail={"already_there": True})
        raise DispatchError(f"{final} exists with another manifest", retryable=False, target=str(outbox))
    tmp = outbox / f".tmp-{pkg.folder_name}-{uuid.uuid4().hex[:8]}"
    try:
        outbox.mkdir(parents=True, exist_ok=True)
        write_package(pkg, tmp)
        for dirpath, _dirs, _files in os.walk(tmp):
            _fsync_dir(Path(dirpath))
        os.rename(tmp, final)
        _fsync_dir(outbox)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        # A full or unmounted disk may come back; a retry starts from a clean temporary folder.
        raise DispatchError(f"outbox {outbox}: {e}", retryable=True, target=str(outbox)) from e
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Delivery(reference=str(final), detail={"files": len(pkg.documents) + sum(len(b.files) for b in pkg.bundles)})
