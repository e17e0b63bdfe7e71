"""The case API: read cases, move them, record the authority's answers.

Reads are open like the rest of the UI. Writes need ``Authorization: Bearer TOKEN`` with a token
from ``KUZET_API_TOKENS`` (``TOKEN=ACTOR``): the actor is who the token belongs to, never a name
sent in the request, so the four-eyes rule and the audit log name the real person. Without
configured tokens the API is read-only.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Header, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from kuzet.cases.service import case_summaries, case_view, transition
from kuzet.errors import KuzetError
from kuzet.settings import Settings
from kuzet.store.db import Database

MAX_TEXT = 4000


class TransitionIn(BaseModel):
    action: str = Field(max_length=32, description="submit, approve, return, dismiss, reopen, acknowledge...")
    reason: str = Field(default="", max_length=MAX_TEXT)


class AnswerIn(BaseModel):
    kind: str = Field(max_length=32, description="acknowledged, blocked, refused, removed or other")
    text: str = Field(default="", max_length=MAX_TEXT)
    reference: str = Field(default="", max_length=200)
    received_at: datetime | None = None


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def cases_router(settings: Settings, database: Database) -> APIRouter:
    router = APIRouter(prefix="/api/cases", tags=["cases"])
    actors = settings.api_actors

    def actor_of(authorization: str | None) -> str:
        if not actors:
            raise HTTPException(403, "the case API is read-only here (no KUZET_API_TOKENS configured)")
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise HTTPException(401, "send Authorization: Bearer TOKEN")
        for known, actor in actors.items():
            if hmac.compare_digest(known.encode(), token.strip().encode()):
                return actor
        raise HTTPException(401, "unknown token")

    def view(case_id: int) -> dict[str, Any]:
        with database.session() as s:
            v = case_view(s, case_id)
        data = dict(v.__dict__)
        data["time_to_block_s"] = v.time_to_block_s
        return _jsonable(data)  # type: ignore[no-any-return]

    @router.get("")
    def list_cases(status: str | None = None, route: str | None = None) -> JSONResponse:
        with database.session() as s:
            return JSONResponse(case_summaries(s, status=status, route=route))

    @router.get("/{case_id}")
    def get_case(case_id: int) -> JSONResponse:
        try:
            return JSONResponse(view(case_id))
        except KuzetError as e:
            raise HTTPException(404, str(e)) from e

    @router.post("/{case_id}/transitions")
    def move(case_id: int, body: TransitionIn, authorization: str | None = Header(default=None)) -> JSONResponse:
        actor = actor_of(authorization)
        try:
            with database.session() as s:
                transition(
                    s, case_id, body.action, actor=actor, reason=body.reason, supervisors=settings.supervisor_names
                )
        except KuzetError as e:
            raise HTTPException(409, str(e)) from e
        return JSONResponse(view(case_id))

    @router.post("/{case_id}/answers")
    def answer(case_id: int, body: AnswerIn, authorization: str | None = Header(default=None)) -> JSONResponse:
        from kuzet.dispatch.answers import record_answer

        actor = actor_of(authorization)
        try:
            with database.session() as s:
                result = record_answer(
                    s,
                    case_id,
                    body.kind,
                    actor=actor,
                    text=body.text,
                    reference=body.reference,
                    received_at=body.received_at,
                )
        except KuzetError as e:
            raise HTTPException(409, str(e)) from e
        return JSONResponse({"answer_id": result.answer_id, "status": result.status, "moved": result.moved})

    return router
