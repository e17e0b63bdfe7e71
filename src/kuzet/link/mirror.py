"""Mirror watch: the registry decisions that cover other members of a resource's network, each
with the chain of links that ties the resource to the listed member."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from kuzet.link.graph import Link, path
from kuzet.link.members import registry_rows
from kuzet.link.networks import members, network_of
from kuzet.link.proof import chain_en, chain_words
from kuzet.link.settings import LinkSettings
from kuzet.records import RegistryEntry, TriageContext
from kuzet.store.models import RegistryEntryRow, Resource
from kuzet.store.repo import row_to_entry

LANGS = ("ru", "kk")


@dataclass(slots=True)
class NetworkMatch:
    entry: RegistryEntry
    entry_row_id: int
    member_key: str
    chain: list[Link]
    proof: str  # English, for the analyst's reasons
    words: dict[str, str] = field(default_factory=dict)  # ru / kk, for a legal-basis text


@dataclass(slots=True)
class NetworkView:
    network_id: int | None
    size: int
    matches: list[NetworkMatch]


def network_registry_matches(s: Session, rid: int, threshold: float) -> NetworkView:
    """The resource's network, its size and the registry entries of its other members, nearest first."""
    nid = network_of(s, rid)
    if nid is None:
        return NetworkView(None, 1, [])
    res = s.get(Resource, rid)
    start_key = res.key if res is not None else str(rid)
    mems = members(s, nid)
    out: list[NetworkMatch] = []
    for m in mems:
        if m.resource_id == rid:
            continue
        rows: list[RegistryEntryRow] = registry_rows(s, m.resource_key)
        if not rows:
            continue
        chain = path(s, rid, m.resource_id, threshold)
        if chain is None:
            continue
        keys = _keys(s, chain)
        for row in rows:
            out.append(
                NetworkMatch(
                    entry=row_to_entry(row),
                    entry_row_id=row.id,
                    member_key=m.resource_key,
                    chain=chain,
                    proof=chain_en(start_key, chain, keys),
                    words={lang: chain_words(start_key, chain, keys, lang) for lang in LANGS},
                )
            )
    out.sort(key=lambda m: (len(m.chain), m.member_key, m.entry_row_id))
    return NetworkView(nid, len(mems), out)


def _keys(s: Session, chain: list[Link]) -> dict[int, str]:
    ids = {i for lk in chain for i in (lk.a_id, lk.b_id)}
    return {r.id: r.key for r in s.execute(select(Resource).where(Resource.id.in_(ids))).scalars()}


def fill_network_context(
    s: Session, ctx: TriageContext, rid: int | None, settings: LinkSettings | None = None
) -> NetworkView:
    """Set the network fields of a triage context (``mirrors`` = the other members of the network)."""
    if rid is None:
        return NetworkView(None, 1, [])
    view = network_registry_matches(s, rid, (settings or LinkSettings()).network_threshold)
    ctx.network_id = view.network_id
    ctx.mirrors = max(ctx.mirrors, view.size - 1)
    ctx.network_registry_matches = [(m.entry, m.proof) for m in view.matches]
    ctx.network_link_text = dict(view.matches[0].words) if view.matches else {}
    return view


def decision_row_id(view: NetworkView, entry: RegistryEntry | None) -> int | None:
    """The registry row behind a decision that cited a network member's entry."""
    return next((m.entry_row_id for m in view.matches if entry is not None and m.entry == entry), None)


def network_link_words(s: Session, rid: int | None, settings: LinkSettings | None = None) -> dict[str, str]:
    """The ru / kk chain tying ``rid`` to the nearest registry-listed member of its network, for
    ``kuzet.notify.build_context(network_link=...)``; empty when there is none."""
    if rid is None:
        return {}
    view = network_registry_matches(s, rid, (settings or LinkSettings()).network_threshold)
    return dict(view.matches[0].words) if view.matches else {}
