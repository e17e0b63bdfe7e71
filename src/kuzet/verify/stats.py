"""The figures of ``kuzet report``: counts, resources restricted, time to detect and to block.

Definitions (the report reproduces them exactly, so they are fixed here):

* The period is ``[from 00:00 UTC, to + 1 day 00:00 UTC)``: both dates are included.
* **counts**: for each dimension (category, platform, route, status, month) and value, the
  cases created in the period and the findings created in the period (dismissed findings,
  which analysts judged benign, are left out everywhere). A finding's category is
  its label; a case's is the most frequent label of its findings (ties: alphabetical first;
  "unknown" without findings). Platform is "telegram" for a ``t.me/NAME`` resource, else "web".
  A finding's route is its own (else its case's), its status its case's ("no case" without
  one); month is the creation month (YYYY-MM, UTC).
* **restricted**: cases that reached ``blocked`` or ``content_removed`` in the period (a
  ``case_events`` row), per category: distinct resources (the case's resource and those of its
  findings, dismissed findings left out; each under the most frequent label of its findings in
  that case) and distinct cases. A resource restricted twice counts once.
* **durations** in seconds: *time to detect* per finding created in the period = finding
  created - the document's ``published_at``, else - the first time the frontier saw the URL;
  findings with neither, or with a start after the finding, are left out. *time to block* per
  closing event in the period = its time - the last ``sent`` event of the case before it (else
  ``cases.sent_at``). Median (mean of the two middle values for an even count), p90 by nearest
  rank (the ceil(0.9 n)-th smallest value), min and max; None when there is no value.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kuzet.store.frontier import CrawlUrl
from kuzet.store.models import CaseEventRow, CaseRow, DocumentRow, FindingRow, Resource
from kuzet.store.repo import as_utc
from kuzet.urls import canonical_url, resource_key

DIMENSIONS = ("category", "platform", "route", "status", "month")
RESTRICTING = ("blocked", "content_removed")


@dataclass(frozen=True, slots=True)
class CountRow:
    dimension: str
    key: str
    cases: int
    findings: int


@dataclass(frozen=True, slots=True)
class RestrictedRow:
    category: str
    resources: int
    cases: int


@dataclass(frozen=True, slots=True)
class Distribution:
    metric: str
    n: int
    median_s: float | None
    p90_s: float | None
    min_s: float | None
    max_s: float | None


@dataclass(slots=True)
class Report:
    date_from: date
    date_to: date
    counts: list[CountRow] = field(default_factory=list)
    restricted: list[RestrictedRow] = field(default_factory=list)
    durations: list[Distribution] = field(default_factory=list)


def period(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    return datetime.combine(date_from, time(), UTC), datetime.combine(date_to + timedelta(days=1), time(), UTC)


def platform(key: str) -> str:
    return "telegram" if key.startswith("t.me/") else "web"


def distribution(metric: str, values: Iterable[float]) -> Distribution:
    xs = sorted(values)
    if not xs:
        return Distribution(metric, 0, None, None, None, None)
    # ceil(0.9 n) in integers: 0.9 * 70 is 63.000000000000014 in floating point.
    p90 = xs[max(0, (9 * len(xs) + 9) // 10 - 1)]
    return Distribution(metric, len(xs), float(statistics.median(xs)), float(p90), float(xs[0]), float(xs[-1]))


def principal_label(labels: Iterable[str]) -> str:
    counts = Counter(labels)
    if not counts:
        return "unknown"
    return min(counts, key=lambda label: (-counts[label], label))


def _keys(s: Session, given: Iterable[int | None]) -> dict[int, str]:
    """Resource id -> key (ids start at 1: ``.get(x or 0)`` finds nothing for None)."""
    ids = {i for i in given if i is not None}
    if not ids:
        return {}
    return {rid: key for rid, key in s.execute(select(Resource.id, Resource.key).where(Resource.id.in_(ids)))}


def _month(dt: datetime | None) -> str:
    at = as_utc(dt)
    return at.strftime("%Y-%m") if at else "unknown"


def build_report(s: Session, date_from: date, date_to: date) -> Report:
    start, end = period(date_from, date_to)
    report = Report(date_from, date_to)
    findings = s.scalars(
        select(FindingRow)
        .where(FindingRow.created_at >= start, FindingRow.created_at < end, FindingRow.status != "dismissed")
        .order_by(FindingRow.id)
    ).all()
    cases = s.scalars(
        select(CaseRow).where(CaseRow.created_at >= start, CaseRow.created_at < end).order_by(CaseRow.id)
    ).all()
    case_ids = {c.id for c in cases} | {f.case_id for f in findings if f.case_id is not None}
    case_rows = {c.id: c for c in s.scalars(select(CaseRow).where(CaseRow.id.in_(case_ids)))} if case_ids else {}
    labels_of: dict[int, list[str]] = defaultdict(list)
    if case_ids:
        for cid, label in s.execute(
            select(FindingRow.case_id, FindingRow.label).where(
                FindingRow.case_id.in_(case_ids), FindingRow.status != "dismissed"
            )
        ):
            labels_of[cid or 0].append(label)
    keys = _keys(s, [*(f.resource_id for f in findings), *(c.resource_id for c in cases)])
    tally: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for c in cases:
        key = keys.get(c.resource_id or 0) or _first_finding_key(s, c.id)
        for dim, value in zip(
            DIMENSIONS,
            (principal_label(labels_of[c.id]), platform(key), c.route, c.status, _month(c.created_at)),
            strict=True,
        ):
            tally[(dim, value)][0] += 1
    for f in findings:
        case = case_rows.get(f.case_id or 0)
        key = keys.get(f.resource_id or 0) or resource_key(f.url)
        route = f.route or (case.route if case else "") or "none"
        values = (f.label, platform(key), route, case.status if case else "no case", _month(f.created_at))
        for dim, value in zip(DIMENSIONS, values, strict=True):
            tally[(dim, value)][1] += 1
    order = {d: i for i, d in enumerate(DIMENSIONS)}
    report.counts = [
        CountRow(dim, value, n[0], n[1])
        for (dim, value), n in sorted(tally.items(), key=lambda kv: (order[kv[0][0]], kv[0][1]))
    ]
    report.restricted, closings = _restricted(s, start, end)
    report.durations = [
        distribution("time_to_detect", _detect_times(s, findings)),
        distribution("time_to_block", closings),
    ]
    return report


def _first_finding_key(s: Session, case_id: int) -> str:
    f = s.scalars(select(FindingRow).where(FindingRow.case_id == case_id).order_by(FindingRow.id).limit(1)).first()
    if f is None:
        return ""
    res = s.get(Resource, f.resource_id) if f.resource_id else None
    return res.key if res is not None else resource_key(f.url)


def _restricted(s: Session, start: datetime, end: datetime) -> tuple[list[RestrictedRow], list[float]]:
    events = s.scalars(
        select(CaseEventRow)
        .where(CaseEventRow.to_status.in_(RESTRICTING), CaseEventRow.at >= start, CaseEventRow.at < end)
        .order_by(CaseEventRow.at, CaseEventRow.id)
    ).all()
    resources: dict[str, set[str]] = defaultdict(set)
    cases_by: dict[str, set[int]] = defaultdict(set)
    durations: list[float] = []
    for ev in events:
        case = s.get(CaseRow, ev.case_id)
        if case is None:
            continue
        closed = as_utc(ev.at)
        sent = s.scalar(
            select(func.max(CaseEventRow.at)).where(
                CaseEventRow.case_id == ev.case_id, CaseEventRow.to_status == "sent", CaseEventRow.at <= ev.at
            )
        )
        sent_at = as_utc(sent) or as_utc(case.sent_at)
        if sent_at is not None and closed is not None and closed >= sent_at:
            durations.append((closed - sent_at).total_seconds())
        rows = s.execute(
            select(FindingRow.resource_id, FindingRow.url, FindingRow.label).where(
                FindingRow.case_id == case.id, FindingRow.status != "dismissed"
            )
        ).all()
        names = _keys(s, [case.resource_id, *(rid for rid, _, _ in rows)])
        by_resource: dict[str, list[str]] = defaultdict(list)
        for rid, url, label in rows:
            by_resource[names.get(rid or 0) or resource_key(url)].append(label)
        case_label = principal_label(label for _, _, label in rows)
        own = names.get(case.resource_id or 0)
        if own and own not in by_resource:
            by_resource[own] = [case_label]
        for name, labels in by_resource.items():
            resources[principal_label(labels)].add(name)
        cases_by[case_label].add(case.id)
    categories = sorted(set(resources) | set(cases_by))
    return [RestrictedRow(c, len(resources[c]), len(cases_by[c])) for c in categories], durations


def _detect_times(s: Session, findings: Iterable[FindingRow]) -> list[float]:
    out: list[float] = []
    for f in findings:
        doc = s.get(DocumentRow, f.document_id)
        start = as_utc(doc.published_at) if doc is not None else None
        if start is None:
            start = as_utc(
                s.scalar(select(func.min(CrawlUrl.first_seen)).where(CrawlUrl.url_key == canonical_url(f.url)))
            )
        found = as_utc(f.created_at)
        if start is not None and found is not None and found >= start:
            out.append((found - start).total_seconds())
    return out
