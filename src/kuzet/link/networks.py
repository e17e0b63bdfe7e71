"""Networks: connected components of joined resources, with ids that never change.

``update_network(s, rid, threshold)`` is called after links of ``rid`` were added. It walks the
component of ``rid``; resources not yet in a network join the one already there; when the
component holds several networks, the oldest (lowest id) survives, the others record
``merged_into`` and their members move. Each new member records the link that brought it in.
A resource joined to nothing stays outside any network (a network has at least two members).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from kuzet.link.graph import Link, component
from kuzet.records import utcnow
from kuzet.store import audit
from kuzet.store.models import NetworkMemberRow, NetworkRow, Resource


@dataclass(frozen=True, slots=True)
class Membership:
    resource_id: int
    resource_key: str
    network_id: int
    via_resource_key: str
    via_kind: str
    via_value: str
    via_display: str


def live_network(s: Session, network_id: int) -> int:
    """Follow ``merged_into`` to the network an id now belongs to."""
    seen: set[int] = set()
    nid = network_id
    while nid not in seen:
        seen.add(nid)
        row = s.get(NetworkRow, nid)
        if row is None or row.merged_into is None:
            return nid
        nid = row.merged_into
    return nid


def network_of(s: Session, rid: int) -> int | None:
    row = s.get(NetworkMemberRow, rid)
    return live_network(s, row.network_id) if row is not None else None


def _member(s: Session, rid: int, nid: int, lk: Link | None) -> NetworkMemberRow:
    row = NetworkMemberRow(
        resource_id=rid,
        network_id=nid,
        via_resource_id=lk.other(rid) if lk else None,
        via_kind=lk.kind if lk else "",
        via_value=lk.value if lk else "",
        via_display=lk.display if lk else "",
    )
    s.add(row)
    return row


def update_network(s: Session, rid: int, threshold: float) -> int | None:
    """Bring ``rid``'s component into one network; returns its id (None when ``rid`` is joined to nothing)."""
    tree = component(s, rid, threshold)
    own = s.get(NetworkMemberRow, rid)
    if own is not None:
        nid = live_network(s, own.network_id)
        others = s.execute(
            select(NetworkMemberRow.resource_id).where(
                NetworkMemberRow.network_id == nid, NetworkMemberRow.resource_id != rid
            )
        ).scalars()
        if not any(o in tree for o in others):
            # Nothing ties it to its network any more (it turned out to advertise several): it leaves.
            s.delete(own)
            s.flush()
            audit.record(s, "network_left", "network", nid, detail={"resource_id": rid})
    if len(tree) < 2:
        return network_of(s, rid)
    rows = {
        m.resource_id: m
        for m in s.execute(select(NetworkMemberRow).where(NetworkMemberRow.resource_id.in_(tree))).scalars()
    }
    nets = sorted({live_network(s, m.network_id) for m in rows.values()})
    if nets:
        survivor = nets[0]
    else:
        net = NetworkRow()
        s.add(net)
        s.flush()
        survivor = net.id
        audit.record(s, "network_created", "network", survivor, detail={"resource_id": rid})
    for younger in nets[1:]:
        _merge(s, younger, survivor, tree, rows)
    for node, step in tree.items():
        if node in rows:
            continue
        # The start has no parent: its proof is the link to the first resource it reached.
        proof = step[1] if step is not None else next(st[1] for st in tree.values() if st is not None and st[0] == node)
        _member(s, node, survivor, proof)
        audit.record(
            s,
            "network_joined",
            "network",
            survivor,
            detail={"resource_id": node, "kind": proof.kind, "value": proof.value},
        )
    s.get(NetworkRow, survivor).updated_at = utcnow()  # type: ignore[union-attr]
    s.flush()
    return survivor


def _merge(
    s: Session, younger: int, survivor: int, tree: dict[int, tuple[int, Link] | None], rows: dict[int, NetworkMemberRow]
) -> None:
    old_net = {rid: live_network(s, m.network_id) for rid, m in rows.items()}
    bridge = next(
        (
            step[1]
            for node, step in tree.items()
            if step is not None and {old_net.get(node), old_net.get(step[0])} >= {younger}
        ),
        None,
    )
    net = s.get(NetworkRow, younger)
    assert net is not None
    net.merged_into = survivor
    net.merge_detail = (
        {
            "kind": bridge.kind,
            "value": bridge.value,
            "a_id": bridge.a_id,
            "b_id": bridge.b_id,
            "at": utcnow().isoformat(),
        }
        if bridge
        else {"at": utcnow().isoformat()}
    )
    net.updated_at = utcnow()
    for m in s.execute(select(NetworkMemberRow).where(NetworkMemberRow.network_id == younger)).scalars():
        m.network_id = survivor
    audit.record(s, "network_merged", "network", younger, detail={"into": survivor, **net.merge_detail})


def members(s: Session, network_id: int) -> list[Membership]:
    nid = live_network(s, network_id)
    rows = s.execute(
        select(NetworkMemberRow, Resource.key)
        .join(Resource, Resource.id == NetworkMemberRow.resource_id)
        .where(NetworkMemberRow.network_id == nid)
        .order_by(NetworkMemberRow.joined_at, NetworkMemberRow.resource_id)
    ).all()
    keys = {
        r.id: r.key
        for r in s.execute(
            select(Resource).where(Resource.id.in_([m.via_resource_id for m, _ in rows if m.via_resource_id]))
        ).scalars()
    }
    return [
        Membership(
            resource_id=m.resource_id,
            resource_key=key,
            network_id=nid,
            via_resource_key=keys.get(m.via_resource_id or 0, ""),
            via_kind=m.via_kind,
            via_value=m.via_value,
            via_display=m.via_display,
        )
        for m, key in rows
    ]


def live_networks(s: Session) -> list[int]:
    return list(
        s.execute(select(NetworkRow.id).where(NetworkRow.merged_into.is_(None)).order_by(NetworkRow.id)).scalars()
    )
