"""Reading a captured page through its own CDP session, in a world of kuzet's own.

Why not Playwright's ``page.content()`` / ``page.title()`` / ``page.pdf()``: each first call on a
fresh page builds Playwright's utility world and injected script (about 50 ms of renderer CPU per
capture, measured), ``pdf()`` reads its result back in IO.read chunks, and ``page.evaluate`` runs
in the page's own world, where a hostile page can redefine ``document.title`` or ``innerText``.
Here the title, text and size come from an isolated world (the page's scripts cannot reach it),
the DOM from Chromium's native serializer (``DOM.getOuterHTML``: the same bytes as
``page.content()``, checked), and the PDF from one ``Page.printToPDF`` with Playwright's own
parameters for ``format="A4", print_background=True``.

None of these calls has a timeout of its own; the capture's watchdog covers a wedged renderer.
"""

from __future__ import annotations

import base64
import contextlib
from typing import Any

from playwright.sync_api import CDPSession
from playwright.sync_api import Error as PlaywrightError

from kuzet.errors import EvidenceError

# Playwright's CRPDF for format="A4", print_background=True (margins 0, scale 1, no header).
PDF_PARAMS: dict[str, Any] = {
    "landscape": False,
    "displayHeaderFooter": False,
    "headerTemplate": "",
    "footerTemplate": "",
    "printBackground": True,
    "scale": 1,
    "paperWidth": 8.27,
    "paperHeight": 11.7,
    "marginTop": 0,
    "marginBottom": 0,
    "marginLeft": 0,
    "marginRight": 0,
    "pageRanges": "",
    "preferCSSPageSize": False,
    "generateTaggedPDF": False,
    "generateDocumentOutline": False,
}
WORLD_NAME = "kuzet-capture"


class PageReader:
    """One page's CDP session and an isolated world, created on first use and again if the
    page replaced its document since."""

    def __init__(self, cdp: CDPSession) -> None:
        self.cdp = cdp
        self._world: int | None = None

    def _new_world(self) -> int:
        frame_id = self.cdp.send("Page.getFrameTree")["frameTree"]["frame"]["id"]
        world = self.cdp.send("Page.createIsolatedWorld", {"frameId": frame_id, "worldName": WORLD_NAME})
        self._world = int(world["executionContextId"])
        return self._world

    def _run(self, params: dict[str, Any]) -> dict[str, Any]:
        """``Runtime.evaluate`` in kuzet's world of the main frame; a script error is an EvidenceError."""
        for attempt in (0, 1):
            world = self._world if self._world is not None and attempt == 0 else self._new_world()
            try:
                res: dict[str, Any] = self.cdp.send("Runtime.evaluate", {**params, "contextId": world})
            except PlaywrightError as e:
                # The page replaced its document (a script redirect) and the world went with it.
                if attempt == 0 and "context" in str(e).lower():
                    continue
                raise
            if "exceptionDetails" in res:
                details = res["exceptionDetails"]
                text = (details.get("exception") or {}).get("description") or details.get("text") or "error"
                raise EvidenceError(f"script in the page failed: {str(text)[:300]}")
            return res
        raise EvidenceError("the page's document kept changing")

    def evaluate(self, expression: str) -> Any:
        """The JSON value of ``expression``."""
        return (self._run({"expression": expression, "returnByValue": True}).get("result") or {}).get("value")

    def outer_html(self) -> str:
        """The document serialized by Chromium (doctype included), as ``page.content()`` gives it."""
        object_id = (self._run({"expression": "document"}).get("result") or {}).get("objectId")
        if not object_id:
            raise EvidenceError("the page has no document to serialize")
        try:
            return str(self.cdp.send("DOM.getOuterHTML", {"objectId": object_id})["outerHTML"])
        finally:
            with contextlib.suppress(PlaywrightError):  # the document went away: nothing to release
                self.cdp.send("Runtime.releaseObject", {"objectId": object_id})

    def png(self, clip: dict[str, float] | None = None) -> bytes:
        """PNG with ``optimizeForSpeed``: the same pixels as Playwright's screenshot (checked pixel
        by pixel), about half the CPU on tall pages, a somewhat larger file. With ``clip``, the
        area is rendered beyond the viewport at 1:1."""
        params: dict[str, Any] = {"format": "png", "optimizeForSpeed": True}
        if clip is not None:
            params.update(captureBeyondViewport=True, clip={**clip, "scale": 1})
        return base64.b64decode(self.cdp.send("Page.captureScreenshot", params)["data"])

    def pdf(self) -> bytes:
        return base64.b64decode(self.cdp.send("Page.printToPDF", PDF_PARAMS)["data"])

    def mhtml(self) -> bytes:
        snap = self.cdp.send("Page.captureSnapshot", {"format": "mhtml"})
        return str(snap.get("data", "")).encode("utf-8")


__all__ = ["PDF_PARAMS", "PageReader"]
