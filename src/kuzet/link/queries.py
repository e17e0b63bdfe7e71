"""Read-only views of networks for the CLI and exports: a network with its members, how each
joined, the indicators they share and the registry decisions covering any of them; the resources
carrying an indicator value."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from kuzet.link.graph import KIND_ALIAS, Link, path
from kuzet.link.members import registry_rows
from kuzet.link.networks import live_network, live_networks, members, network_of
from kuzet.link.proof import chain_en
from kuzet.store.models import IndicatorRow, NetworkRow, Resource, ResourceLinkRow
from kuzet.store.repo import row_to_entry
from kuzet.triage.conditions import describe_entry
from kuzet.urls import resource_key


@dataclass(slots=True)
class MemberView:
    resource: str
    joined_via: str  # "shares TRON wallet T... with x.test"
    via_kind: str
    via_value: str
    via_resource: str
    decisions: list[str] = field(default_factory=list)


@dataclass(slots=True)
class NetworkDetail:
    id: int
    created_at: str
    merged: list[dict[str, Any]]
    members: list[MemberView]
    shared: list[dict[str, Any]]  # kind, value (display), resources

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def detail(s: Session, network_id: int) -> NetworkDetail | None:
    row = s.get(NetworkRow, network_id)
    if row is None:
        return None
    nid = live_network(s, network_id)
    net = s.get(NetworkRow, nid)
    assert net is not None
    mems = members(s, nid)
    views = []
    for m in mems:
        shown = _display(s, m.resource_id, m.via_kind, m.via_value) if m.via_kind else ""
        joined = ""
        if m.via_kind:
            # The member's own link, as a one-step chain from it to the resource it joined through.
            lk = Link(0, 1, m.via_kind, m.via_value, shown, 0.0)
            joined = chain_en(m.resource_key, [lk], {0: m.resource_key, 1: m.via_resource_key})
        views.append(
            MemberView(
                resource=m.resource_key,
                joined_via=joined,
                via_kind=m.via_kind,
                via_value=shown,
                via_resource=m.via_resource_key,
                decisions=[describe_entry(row_to_entry(r)) for r in registry_rows(s, m.resource_key)],
            )
        )
    merged = [
        {"id": r.id, **(r.merge_detail or {})}
        for r in s.execute(select(NetworkRow).where(NetworkRow.merged_into == nid).order_by(NetworkRow.id)).scalars()
    ]
    return NetworkDetail(
        nid, net.created_at.isoformat(), merged, views, shared_indicators(s, [m.resource_id for m in mems])
    )


def _display(s: Session, rid: int, kind: str, value: str) -> str:
    shown = s.execute(
        select(ResourceLinkRow.display)
        .where(or_(ResourceLinkRow.a_id == rid, ResourceLinkRow.b_id == rid))
        .where(ResourceLinkRow.kind == kind, ResourceLinkRow.value == value)
        .limit(1)
    ).scalar()
    return shown or value


def shared_indicators(s: Session, ids: list[int]) -> list[dict[str, Any]]:
    """Links among the given resources, grouped by (kind, value), with the resources on each."""
    if not ids:
        return []
    keys = {r.id: r.key for r in s.execute(select(Resource).where(Resource.id.in_(ids))).scalars()}
    rows = s.execute(
        select(ResourceLinkRow)
        .where(ResourceLinkRow.a_id.in_(ids), ResourceLinkRow.b_id.in_(ids))
        .order_by(ResourceLinkRow.weight.desc(), ResourceLinkRow.kind, ResourceLinkRow.value)
    ).scalars()
    grouped: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        g = grouped.setdefault(
            (r.kind, r.value), {"kind": r.kind, "value": r.display or r.value, "weight": r.weight, "resources": []}
        )
        for rid in (r.a_id, r.b_id):
            if keys[rid] not in g["resources"]:
                g["resources"].append(keys[rid])
    for g in grouped.values():
        g["resources"].sort()
    return list(grouped.values())


def find_resource(s: Session, text: str) -> Resource | None:
    """A resource by its key, or by a URL on it."""
    text = text.strip()
    res = s.execute(select(Resource).where(Resource.key == text.lower())).scalar_one_or_none()
    if res is None and "://" in text:
        res = s.execute(select(Resource).where(Resource.key == resource_key(text))).scalar_one_or_none()
    return res


def indicator_resources(s: Session, value: str) -> list[dict[str, Any]]:
    """Every resource whose content carries ``value`` (any kind), with its network if it has one.

    Benign resources are listed too: this answers "where else does this number appear?"."""
    value = value.strip()
    variants = {value, value.lower(), value.upper()}
    if value and value[0] != "@" and not value[0].isdigit():
        variants.add("@" + value.lower())
    rows = s.execute(
        select(IndicatorRow.kind, IndicatorRow.display, Resource.id, Resource.key, func.count())
        .join(Resource, Resource.id == IndicatorRow.resource_id)
        .where(IndicatorRow.value.in_(variants))
        .group_by(IndicatorRow.kind, IndicatorRow.display, Resource.id, Resource.key)
        .order_by(Resource.key)
    ).all()
    return [
        {
            "kind": KIND_ALIAS.get(kind, kind),
            "value": display,
            "resource": key,
            "documents": int(n),
            "network": network_of(s, rid),
        }
        for kind, display, rid, key, n in rows
    ]


def network_list(s: Session) -> list[dict[str, Any]]:
    out = []
    for nid in live_networks(s):
        mems = members(s, nid)
        out.append(
            {
                "id": nid,
                "members": len(mems),
                "resources": [m.resource_key for m in mems],
                "listed": sorted({m.resource_key for m in mems if registry_rows(s, m.resource_key)}),
            }
        )
    return out


def resource_path(s: Session, a: Resource, b: Resource, threshold: float) -> list[dict[str, Any]] | None:
    chain = path(s, a.id, b.id, threshold)
    if chain is None:
        return None
    ids = {i for lk in chain for i in (lk.a_id, lk.b_id)}
    keys = {r.id: r.key for r in s.execute(select(Resource).where(Resource.id.in_(ids))).scalars()}
    out = []
    here = a.key
    for lk in chain:
        there = keys[lk.b_id] if keys[lk.a_id] == here else keys[lk.a_id]
        out.append({"from": here, "to": there, "kind": lk.kind, "value": lk.display or lk.value, "weight": lk.weight})
        here = there
    return out
