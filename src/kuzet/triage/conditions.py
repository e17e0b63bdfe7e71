"""The ``when`` part of a route rule: conditions on one finding, all of which must hold.

Each condition that holds contributes one human-readable reason, so that a route decision can
say why it was proposed (for the analyst and the audit log, not for the outgoing document).
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kuzet.records import RegistryEntry, TriageContext

LabelName = Literal["gambling", "pyramid", "illegal_finance", "benign"]


def _as_list(value: object) -> object:
    return [value] if isinstance(value, str) else value


@lru_cache(maxsize=4096)
def _glob(text: str, pattern: str) -> bool:
    """Case-insensitive glob: lexicon entries and patterns may be written in any case."""
    return fnmatchcase(text.casefold(), pattern.casefold())


def statutory_entries(ctx: TriageContext) -> list[RegistryEntry]:
    """Registry matches on the resource itself; an IP match alone is not one (shared hosting)."""
    return [e for e in ctx.registry_matches if e.kind != "ip"]


def describe_entry(entry: RegistryEntry) -> str:
    parts = [entry.resource]
    if entry.decision_number:
        parts.append(f"decision {entry.decision_number}")
    if entry.decision_date:
        parts.append(f"of {entry.decision_date}")
    if entry.authority:
        parts.append(f"({entry.authority})")
    return " ".join(parts)


class Condition(BaseModel):
    """Conditions of a rule; an empty condition holds for every finding (the default rule)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=False)

    label: list[LabelName] | None = None
    # Signal categories present (glob patterns), e.g. ["drops", "counterfeit*"].
    categories: list[str] | None = None
    # Signal names (glob patterns against "name" and "category.name"), any one present.
    signals: list[str] | None = None
    min_score: float | None = Field(default=None, ge=0.0, le=1.0)
    registry_match: bool | None = None
    registry_ip_match: bool | None = None
    # Another resource of the same network (shared wallet, card, handle, IDs, mirror text) is in
    # the registry: a mirror of a prohibited site.
    network_registry_match: bool | None = None
    allowlisted: bool | None = None
    # Valid indicator kinds present (glob patterns), e.g. ["wallet*", "card", "iban"].
    indicators: list[str] | None = None
    min_subscribers: int | None = Field(default=None, ge=0)
    min_views: int | None = Field(default=None, ge=0)
    min_amount: float | None = Field(default=None, ge=0)
    min_mirrors: int | None = Field(default=None, ge=0)
    min_repeat_offences: int | None = Field(default=None, ge=0)
    # At least one of these alternatives must hold as well.
    any_of: list[Condition] | None = Field(default=None, alias="any", min_length=1)

    _as_lists = field_validator("label", "categories", "signals", "indicators", mode="before")(_as_list)

    @property
    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name in type(self).model_fields)

    def evaluate(self, ctx: TriageContext) -> list[str] | None:
        """The reasons when every condition holds, else None."""
        reasons: list[str] = []
        checks = (
            self._label,
            self._score,
            self._registry,
            self._network,
            self._allowlist,
            self._categories,
            self._signals,
            self._indicators,
            self._scale,
            self._alternatives,
        )
        for check in checks:
            said = check(ctx)
            if said is None:
                return None
            reasons.extend(said)
        return reasons

    def _label(self, ctx: TriageContext) -> list[str] | None:
        if self.label is None:
            return []
        return [f"label is {ctx.label}"] if ctx.label in self.label else None

    def _score(self, ctx: TriageContext) -> list[str] | None:
        if self.min_score is None:
            return []
        return [f"score {ctx.score:.2f} >= {self.min_score:.2f}"] if ctx.score >= self.min_score else None

    def _registry(self, ctx: TriageContext) -> list[str] | None:
        out: list[str] = []
        if self.registry_match is not None:
            entries = statutory_entries(ctx)
            if bool(entries) != self.registry_match:
                return None
            out.append(f"registry match: {describe_entry(entries[0])}" if entries else "no registry match")
        if self.registry_ip_match is not None:
            ips = [e for e in ctx.registry_matches if e.kind == "ip"]
            if bool(ips) != self.registry_ip_match:
                return None
            out.append(
                f"server address in the registry: {describe_entry(ips[0])}"
                if ips
                else "server address not in the registry"
            )
        return out

    def _network(self, ctx: TriageContext) -> list[str] | None:
        if self.network_registry_match is None:
            return []
        matches = ctx.network_registry_matches
        if bool(matches) != self.network_registry_match:
            return None
        if not matches:
            return ["no registry match in the resource's network"]
        entry, proof = matches[0]
        where = f"network {ctx.network_id}: " if ctx.network_id is not None else ""
        return [f"{where}{proof}, listed under {describe_entry(entry)}"]

    def _allowlist(self, ctx: TriageContext) -> list[str] | None:
        if self.allowlisted is None:
            return []
        if ctx.allowlisted != self.allowlisted:
            return None
        if ctx.allowlisted:
            return [ctx.allowlist_reason or "resource is on the allow-list"]
        return ["resource is not on the allow-list"]

    def _categories(self, ctx: TriageContext) -> list[str] | None:
        if self.categories is None:
            return []
        present = sorted({s.category for s in ctx.signals if any(_glob(s.category, p) for p in self.categories)})
        return [f"signal categories present: {', '.join(present)}"] if present else None

    def _signals(self, ctx: TriageContext) -> list[str] | None:
        if self.signals is None:
            return []
        hits = sorted(
            {
                s.name
                for s in ctx.signals
                if any(_glob(s.name, p) or _glob(f"{s.category}.{s.name}", p) for p in self.signals)
            }
        )
        return [f"signals present: {', '.join(hits[:10])}"] if hits else None

    def _indicators(self, ctx: TriageContext) -> list[str] | None:
        if self.indicators is None:
            return []
        kinds = sorted({i.kind for i in ctx.indicators if i.valid and any(_glob(i.kind, p) for p in self.indicators)})
        return [f"indicators present: {', '.join(kinds)}"] if kinds else None

    def _scale(self, ctx: TriageContext) -> list[str] | None:
        out: list[str] = []
        pairs: tuple[tuple[str, float | None, float | None], ...] = (
            ("subscribers", self.min_subscribers, ctx.subscribers),
            ("views", self.min_views, ctx.views),
            ("largest amount", self.min_amount, max(ctx.amounts) if ctx.amounts else None),
            ("mirrors", self.min_mirrors, ctx.mirrors),
            ("repeat offences", self.min_repeat_offences, ctx.repeat_offences),
        )
        for name, floor, value in pairs:
            if floor is None:
                continue
            if value is None or value < floor:
                return None
            out.append(f"{name} {value:g} >= {floor:g}")
        return out

    def _alternatives(self, ctx: TriageContext) -> list[str] | None:
        if self.any_of is None:
            return []
        for alternative in self.any_of:
            said = alternative.evaluate(ctx)
            if said is not None:
                return said or ["an unconditional alternative"]
        return None
