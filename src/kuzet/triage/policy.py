"""Route policy: ordered rules, kept as YAML that legal staff edit and version, first match wins.

The shipped ``policies/kz-default.yaml`` is configuration, not legal advice. Every error in a
policy file is reported with the file, the line and the reason (YAML node marks are kept while
validating), so that a person editing it in a text editor can find the mistake.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from kuzet.errors import PolicyError
from kuzet.records import RegistryEntry, Route, RouteDecision, TriageContext
from kuzet.triage.conditions import Condition, describe_entry, statutory_entries

DEFAULT_POLICY = Path(__file__).with_name("policies") / "kz-default.yaml"
MAX_POLICY_BYTES = 1 << 20

DocumentName = Literal["blocking_notification", "criminal_referral", "administrative_materials"]
# Placeholders a legal-basis text may use; they are filled from the matched registry entry, and
# {link} from the chain of links that ties a mirror to the listed resource.
PLACEHOLDERS = ("decision", "decision_number", "decision_date", "authority", "resource", "link")
# {link} when the chain is not at hand (a document drafted without it): still a sentence.
LINK_FALLBACK = {
    "ru": "связь с ресурсом, указанным в решении, установлена по общим идентификаторам",
    "kk": "шешімде көрсетілген ресурспен байланыс ортақ сәйкестендіргіштер бойынша анықталды",
}
_PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")


class LegalBasis(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ru: str = Field(min_length=1)
    kk: str = ""


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
    description: str = ""
    when: Condition = Field(default_factory=Condition)
    route: Route
    legal_basis: LegalBasis
    documents: list[DocumentName] = Field(default_factory=list)

    @field_validator("legal_basis", mode="before")
    @classmethod
    def _plain_text_is_russian(cls, v: Any) -> Any:
        return {"ru": v} if isinstance(v, str) else v


class PolicyDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str = Field(min_length=1)
    description: str = ""
    disclaimer: str = ""
    rules: list[Rule] = Field(min_length=1)

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int | float) else v


@dataclass(frozen=True, slots=True)
class Policy:
    """A validated route policy."""

    version: str
    rules: tuple[Rule, ...]
    path: Path
    disclaimer: str = ""

    @classmethod
    def load(cls, path: Path | None = None) -> Policy:
        """Read and validate a policy file (the shipped Kazakhstan defaults when ``path`` is None)."""
        path = Path(path) if path is not None else DEFAULT_POLICY
        try:
            raw = path.read_bytes()
        except OSError as e:
            raise PolicyError(f"{path}: cannot read policy file: {e.strerror}", path=path) from e
        if len(raw) > MAX_POLICY_BYTES:
            raise PolicyError(f"{path}: policy file over {MAX_POLICY_BYTES} bytes", path=path)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise PolicyError(f"{path}: policy file is not UTF-8 ({e.reason})", path=path) from e
        return cls.from_text(text, path)

    @classmethod
    def from_text(cls, text: str, path: Path) -> Policy:
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
            data = yaml.safe_load(text)
        except yaml.MarkedYAMLError as e:
            mark = e.problem_mark or e.context_mark
            line = mark.line + 1 if mark is not None else None
            raise _error(path, line, f"invalid YAML: {e.problem or e}") from e
        except yaml.YAMLError as e:
            raise _error(path, None, f"invalid YAML: {e}") from e
        if root is None or not isinstance(data, dict):
            raise _error(path, 1, "a policy is a mapping with 'version' and 'rules'")
        _check_duplicate_keys(root, path)
        try:
            doc = PolicyDocument.model_validate(data)
        except ValidationError as e:
            first = e.errors()[0]
            loc = tuple(first["loc"])
            where = ".".join(str(p) for p in loc) or "(top level)"
            reason = first["msg"]
            if first["type"] == "extra_forbidden":
                reason = f"unknown field {loc[-1]!r}"
            raise _error(path, _line_of(root, loc), f"{where}: {reason}") from None
        _check_rules(doc, root, path)
        return cls(version=doc.version, rules=tuple(doc.rules), path=path, disclaimer=doc.disclaimer)

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def decide(self, ctx: TriageContext) -> RouteDecision:
        """The route proposed by the first rule whose conditions hold."""
        for rule in self.rules:
            reasons = rule.when.evaluate(ctx)
            if reasons is None:
                continue
            entry = statutory_entries(ctx)[0] if rule.when.registry_match and statutory_entries(ctx) else None
            link = ""
            if entry is None and rule.when.network_registry_match and ctx.network_registry_matches:
                entry = ctx.network_registry_matches[0][0]
                link = ctx.network_link_text.get("ru") or ctx.network_registry_matches[0][1]
            if entry is None and statutory_entries(ctx):
                # Say so: a person may want to override a rule that outranked the registry.
                reasons.append(f"note: also matches the registry ({describe_entry(statutory_entries(ctx)[0])})")
            if not reasons:
                reasons = ["no earlier rule applied (default rule)"]
            return RouteDecision(
                route=rule.route.value,
                rule_id=rule.id,
                legal_basis=self.legal_basis(rule.id, "ru", entry, link),
                policy_version=self.version,
                reasons=reasons,
                documents=list(rule.documents),
                registry_entry=entry,
            )
        raise PolicyError(f"{self.path}: no rule matched and there is no default rule", path=self.path)

    def legal_basis(self, rule_id: str, lang: str = "ru", entry: RegistryEntry | None = None, link: str = "") -> str:
        """The rule's legal basis in ``lang`` ("ru" or "kk", falling back to ru), placeholders filled."""
        basis = self.rule(rule_id).legal_basis
        text = basis.kk if lang == "kk" and basis.kk else basis.ru
        return fill_placeholders(text, entry, "kk" if lang == "kk" and basis.kk else "ru", link)


def fill_placeholders(text: str, entry: RegistryEntry | None, lang: str = "ru", link: str = "") -> str:
    values = {name: "" for name in PLACEHOLDERS}
    values["link"] = link or LINK_FALLBACK.get(lang, LINK_FALLBACK["ru"])
    if entry is not None:
        values.update(
            decision=decision_phrase(entry, lang),
            decision_number=entry.decision_number,
            decision_date=_dotted(entry.decision_date),
            authority=entry.authority,
            resource=entry.resource,
        )
    return _PLACEHOLDER_RE.sub(lambda m: values.get(m.group(1).strip(), m.group(0)), text)


def decision_phrase(entry: RegistryEntry, lang: str = "ru") -> str:
    """«решение № 2-946/13 от 10.06.2013 (суд)» / «10.06.2013 жылғы № 2-946/13 шешім (сот)»."""
    number = f"№ {entry.decision_number}" if entry.decision_number else ""
    when = _dotted(entry.decision_date)
    if lang == "kk":
        core = " ".join(p for p in (f"{when} жылғы" if when else "", number, "шешім") if p)
    else:
        core = " ".join(p for p in ("решение", number, f"от {when}" if when else "") if p)
    return f"{core} ({entry.authority})" if entry.authority else core


def _dotted(iso: str) -> str:
    parts = iso.split("-")
    return ".".join(reversed(parts)) if len(parts) == 3 else iso


def _error(path: Path, line: int | None, reason: str) -> PolicyError:
    where = f"{path}:{line}" if line is not None else str(path)
    return PolicyError(f"{where}: {reason}", path=path, line=line)


def _line_of(root: yaml.Node, loc: Sequence[int | str]) -> int:
    """1-based line of the YAML node at a validation error's location (as deep as it resolves)."""
    node = root
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key, value in node.value:
                if key.value == part:
                    # An unknown field is reported on its key; anything else on its value.
                    node = value if part != loc[-1] else key
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        # Other parts (union member names from pydantic) do not move in the YAML tree.
    return int(node.start_mark.line) + 1


def _check_duplicate_keys(node: yaml.Node, path: Path) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if key.value in seen:
                raise _error(path, key.start_mark.line + 1, f"duplicate key {key.value!r}")
            seen.add(key.value)
            _check_duplicate_keys(value, path)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check_duplicate_keys(item, path)


def _check_rules(doc: PolicyDocument, root: yaml.Node, path: Path) -> None:
    ids: set[str] = set()
    for i, rule in enumerate(doc.rules):
        line = _line_of(root, ("rules", i))
        if rule.id in ids:
            raise _error(path, _line_of(root, ("rules", i, "id")), f"duplicate rule id {rule.id!r}")
        ids.add(rule.id)
        if rule.when.is_empty and i != len(doc.rules) - 1:
            raise _error(
                path,
                line,
                f"rule {rule.id!r} has no conditions, so the rules after it never apply; "
                "an unconditional rule must come last",
            )
        for lang in ("ru", "kk"):
            text = getattr(rule.legal_basis, lang)
            for name in _PLACEHOLDER_RE.findall(text):
                if name.strip() not in PLACEHOLDERS:
                    raise _error(
                        path,
                        _line_of(root, ("rules", i, "legal_basis")),
                        f"rule {rule.id!r}: unknown placeholder {{{name}}} in legal_basis.{lang} "
                        f"(allowed: {', '.join(PLACEHOLDERS)})",
                    )
                if name.strip() == "link" and rule.when.network_registry_match is not True:
                    raise _error(
                        path,
                        _line_of(root, ("rules", i, "legal_basis")),
                        f"rule {rule.id!r}: placeholder {{link}} needs 'network_registry_match: true' "
                        "in the rule's conditions",
                    )
                if rule.when.registry_match is not True and rule.when.network_registry_match is not True:
                    raise _error(
                        path,
                        _line_of(root, ("rules", i, "legal_basis")),
                        f"rule {rule.id!r}: placeholder {{{name}}} needs 'registry_match: true' "
                        "(or 'network_registry_match: true') in the rule's conditions",
                    )
        if rule.route is not Route.NONE and not rule.documents:
            raise _error(path, line, f"rule {rule.id!r} routes to {rule.route.value} but drafts no documents")
    if not doc.rules[-1].when.is_empty:
        raise _error(
            path,
            _line_of(root, ("rules", len(doc.rules) - 1)),
            "the last rule must be the default: a rule without conditions ('when: {}')",
        )
