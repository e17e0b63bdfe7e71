"""The long-lived services stage handlers share: fetcher, detector, browser, policy, registry.

Each is built on first use, so a command that never captures never starts a browser, and a
missing optional part (chromium, tesseract) fails only the stage that needs it, with a clear
error recorded on that job.
"""

from __future__ import annotations

import logging
from functools import cached_property
from typing import TYPE_CHECKING, Any

from kuzet.settings import Settings
from kuzet.store.blobs import LocalBlobStore
from kuzet.store.db import Database

if TYPE_CHECKING:
    from kuzet.detect import Detector
    from kuzet.evidence.capture import CaptureService
    from kuzet.fetch.fetcher import Fetcher
    from kuzet.triage.policy import Policy

log = logging.getLogger("kuzet.run")


class Services:
    def __init__(self, settings: Settings, db: Database | None = None) -> None:
        self.settings = settings
        self.db = db
        self._capture: CaptureService | None = None

    @cached_property
    def blobs(self) -> LocalBlobStore:
        return LocalBlobStore(self.settings.blobs_dir)

    @cached_property
    def fetcher(self) -> Fetcher:
        from kuzet.fetch.fetcher import Fetcher

        return Fetcher(self.settings)

    @cached_property
    def detector(self) -> Detector:
        from kuzet.detect import Detector

        return Detector.default()

    @property
    def capture(self) -> CaptureService:
        if self._capture is None:
            from kuzet.evidence.capture import CaptureService

            self._capture = CaptureService(self.settings)
        return self._capture

    @cached_property
    def policy(self) -> Policy:
        from kuzet.triage.policy import Policy

        return Policy.load(self.settings.policy_file)

    def read_image(self, data: bytes) -> Any:
        from kuzet.detect.images import read_image

        return read_image(data)

    def close(self) -> None:
        if self._capture is not None:
            try:
                self._capture.close()
            except Exception as e:  # noqa: BLE001 - closing must never mask the run's own result
                log.warning("closing the browser failed: %s", e)
            self._capture = None
        if "fetcher" in self.__dict__:
            self.fetcher.close()
