"""Contact points in free text: phones, Telegram and WhatsApp, e-mails, URLs and bare domains.

Phones go through ``phonenumbers.PhoneNumberMatcher`` but only on short candidate runs cut out by
a regex first: the matcher costs about 2 ms on a 1 KB text and swallows neighbouring numbers into
one failed candidate, while on a 20-character run it is fast and exact. Kazakhstan and Russia
share +7, so the region is read back from the number, not from the matcher's default region.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import unquote, urlsplit

import phonenumbers
from phonenumbers import Leniency, PhoneNumberFormat, PhoneNumberMatcher

from kuzet.detect.regex_gate import GatedPattern
from kuzet.urls import TELEGRAM_HOSTS, canonical_url, public_suffix, registrable_domain

WHATSAPP_HOSTS = {"wa.me", "api.whatsapp.com", "whatsapp.com", "www.whatsapp.com", "chat.whatsapp.com"}


@dataclass(slots=True)
class ContactMatch:
    kind: str
    value: str
    display: str
    start: int
    end: int
    detail: dict[str, Any] = field(default_factory=dict)


# --- phones ----------------------------------------------------------------------------------

# Digits with the separators people type in phone numbers; a "+" always starts a new run so that
# two numbers written side by side are tried one by one.
# It never starts inside another run and never backtracks (``*+``): linear on hostile input.
_PHONE_RUN = re.compile(
    r"(?=[+\d(])(?:(?<!\w)\+ ?|(?<![\w+().\-])(?<![\d().\-][ \u00a0]))[\d(](?:[\d().\-]|[ \u00a0](?=[\d(]))*+"
)
_RUN_TAIL = "().- \u00a0"
# Matcher calls allowed per text: each costs ~0.1 ms, and a hostile page can hold thousands of runs.
MAX_PHONE_TRIES = 200
MAX_PHONE_RUN = 300
_DIGIT = re.compile(r"\d")
_GROUPS = re.compile(r"\d+")


def _regions_for(snippet: str, ndigits: int) -> tuple[str, ...]:
    """Matcher regions worth trying for a run, from its shape (each try costs ~0.1 ms)."""
    if snippet.startswith(("+", "00")):
        return ("KZ",) if ndigits >= 7 else ()  # international form: the default region is unused
    if ndigits < 9:
        return ()  # national numbers in KZ/RU have 10 digits, in KG and UZ 9: shorter is a date or ID
    first = snippet.lstrip("(")[:1]
    if first in ("7", "8") and ndigits >= 10:
        # Kazakhstan and Russia share +7 and the trunk prefix 8: one region parses both, and the
        # true region is read back from the number.
        return ("KZ",)
    # Kyrgyz and Uzbek national numbers are 9 digits, as are many ranges and counts
    # ("5000-10000"): take them only written as phones are, in three or more groups or after
    # the Kyrgyz trunk prefix 0.
    if first == "0" or len(_GROUPS.findall(snippet)) >= 3:
        return ("KG", "UZ")
    return ()


@dataclass(frozen=True, slots=True)
class _PhoneHit:
    start: int
    end: int
    e164: str
    international: str
    region: str
    type: str


@lru_cache(maxsize=8192)
def _match_phone(snippet: str) -> tuple[_PhoneHit, ...]:
    """Numbers in one candidate run, formatted once: mirrors repeat the same numbers."""
    ndigits = len(_DIGIT.findall(snippet))
    for region in _regions_for(snippet, ndigits):
        found = tuple(
            _PhoneHit(
                m.start,
                m.end,
                phonenumbers.format_number(m.number, PhoneNumberFormat.E164),
                phonenumbers.format_number(m.number, PhoneNumberFormat.INTERNATIONAL),
                phonenumbers.region_code_for_number(m.number) or "",
                phonenumbers.PhoneNumberType.to_string(phonenumbers.number_type(m.number)).lower(),
            )
            for m in PhoneNumberMatcher(snippet, region, leniency=Leniency.VALID, max_tries=4)
        )
        if found:
            return found
    return ()


def _phone(hit: _PhoneHit, start: int, end: int) -> ContactMatch:
    return ContactMatch("phone", hit.e164, hit.international, start, end, {"region": hit.region, "type": hit.type})


def find_phones(text: str) -> Iterator[ContactMatch]:
    """Phone numbers in ``text``; the caller masks cards, IBANs, wallets and URLs first."""
    budget = [MAX_PHONE_TRIES]

    def attempt(snippet: str) -> tuple[_PhoneHit, ...]:
        ndigits = len(_DIGIT.findall(snippet))
        if ndigits > 15 or not _regions_for(snippet, ndigits) or budget[0] <= 0:
            return ()
        budget[0] -= 1
        return _match_phone(snippet)

    for m in _PHONE_RUN.finditer(text):
        if budget[0] <= 0:
            return
        if m.end() < len(text) and (text[m.end()].isalnum() or text[m.end()] == "_"):
            continue  # glued to a word: an ID or a code, not a phone
        run = m.group().rstrip(_RUN_TAIL)
        if len(run) > MAX_PHONE_RUN or len(_DIGIT.findall(run)) < 7:
            continue  # too short for a phone, or a table of numbers rather than a list of phones
        hits = attempt(run)
        for hit in hits:
            yield _phone(hit, m.start() + hit.start, m.start() + hit.end)
        if hits:
            continue
        # Numbers side by side, or a number glued to other digits: try windows of whole
        # space-separated tokens, longest first, from each token on.
        tokens = [(t.start(), t.end()) for t in re.finditer(r"\S+", run)]
        if len(tokens) < 2:
            continue
        i = 0
        while i < len(tokens):
            for j in range(min(len(tokens), i + 6), i, -1):
                s, e = tokens[i][0], tokens[j - 1][1]
                if (i, j) == (0, len(tokens)):
                    continue  # the whole run, tried above
                window_hits = [h for h in attempt(run[s:e]) if h.start == 0]
                if window_hits:
                    he = window_hits[0].end
                    yield _phone(window_hits[0], m.start() + s, m.start() + s + he)
                    # Go on from the first token after the number.
                    while i + 1 < len(tokens) and tokens[i + 1][0] < s + he:
                        i += 1
                    break
            i += 1


# --- Telegram and WhatsApp --------------------------------------------------------------------

_TG_LINK = re.compile(
    r"(?<![\w.-])(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me|telegram\.dog)/"
    r"(?:s/)?(?P<path>\+[\w-]{6,64}|joinchat/[\w-]{6,64}|[A-Za-z][A-Za-z0-9_]{3,31}(?![\w]))"
    r"(?:/\d+)?(?:\?start=(?P<start>[\w-]{1,64}))?",
    re.I,
)
_TG_RESOLVE = re.compile(r"tg://resolve\?domain=(?P<path>[A-Za-z][A-Za-z0-9_]{3,31})", re.I)
_TG_HANDLE = GatedPattern(r"(?=@)(?<![\w@.+-])@(?P<name>[A-Za-z][A-Za-z0-9_]{4,31})(?![\w@-])(?!\.[^\W\d_]{2,})")
# First path segments of t.me that are service pages, not channels or users.
_TG_RESERVED = {
    "share",
    "addstickers",
    "addemoji",
    "proxy",
    "socks",
    "iv",
    "setlanguage",
    "login",
    "confirmphone",
    "addtheme",
    "c",
    "bg",
    "invoice",
    "addlist",
    "boost",
    "m",
    "s",
}
# CSS at-rules and mail-ish words that look like handles when page CSS leaks into the text.
_HANDLE_STOP = {
    "media",
    "import",
    "charset",
    "keyframes",
    "supports",
    "namespace",
    "font-face",
    "layer",
    "container",
    "property",
    "everyone",
}

_WA = re.compile(
    r"(?<![\w.-])(?:https?://)?(?:(?:www\.|api\.)?whatsapp\.com/send/?\?(?:[\w=&]{0,200}&)?phone=|wa\.me/)"
    r"\+?(?P<digits>\d{7,15})(?!\d)",
    re.I,
)
_WA_GROUP = re.compile(r"(?<![\w.-])(?:https?://)?chat\.whatsapp\.com/(?P<code>[A-Za-z0-9]{16,32})(?!\w)")


def _tg_name(name: str, start: int, end: int, extra: dict[str, Any]) -> ContactMatch:
    value = "@" + name.lower()
    kind = "telegram_bot" if name.lower().endswith("bot") else "telegram"
    return ContactMatch(kind, value, "@" + name, start, end, extra)


def find_telegram(text: str) -> Iterator[ContactMatch]:
    if "t.me" in text or "T.ME" in text or "elegram." in text or "ELEGRAM." in text:
        for m in _TG_LINK.finditer(text):
            path = m.group("path")
            if path.startswith("+") or path.lower().startswith("joinchat/"):
                # Invite hashes are case-sensitive; +HASH and joinchat/HASH are the same link.
                code = path[1:] if path.startswith("+") else path.split("/", 1)[1]
                yield ContactMatch("telegram_invite", "t.me/+" + code, m.group(), m.start(), m.end())
                continue
            if path.lower() in _TG_RESERVED or path.endswith("_"):
                continue
            extra = {"start": m.group("start")} if m.group("start") else {}
            yield _tg_name(path, m.start(), m.end(), extra)
    if "tg://" in text:
        for m in _TG_RESOLVE.finditer(text):
            yield _tg_name(m.group("path"), m.start(), m.end(), {})
    if "@" in text:
        for m in _TG_HANDLE.finditer(text):
            name = m.group("name")
            if name.endswith("_") or "__" in name or name.lower() in _HANDLE_STOP:
                continue
            yield _tg_name(name, m.start(), m.end(), {})


def find_whatsapp(text: str) -> Iterator[ContactMatch]:
    lowered = text.lower()
    if "wa.me" not in lowered and "whatsapp" not in lowered:
        return
    for m in _WA.finditer(text):
        try:
            number = phonenumbers.parse("+" + m.group("digits"), None)
        except phonenumbers.NumberParseException:
            continue
        if not phonenumbers.is_valid_number(number):
            continue
        e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
        yield ContactMatch(
            "whatsapp", e164, e164, m.start(), m.end(), {"region": phonenumbers.region_code_for_number(number)}
        )
    for m in _WA_GROUP.finditer(text):
        value = "chat.whatsapp.com/" + m.group("code")
        yield ContactMatch("whatsapp_invite", value, value, m.start(), m.end())


# --- e-mail, URLs, domains ---------------------------------------------------------------------

_EMAIL = GatedPattern(
    r"(?<![\w.+%-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@"
    r"((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,24})(?![\w-])"
)
_URL = re.compile(r"(?<![\w@])https?://[^\s<>\"'`{}|\\^\[\]«»]{1,2048}", re.I)
_BARE_DOMAIN = re.compile(
    r"(?=[^\W_])(?<![\w@/.:%+-])(?:[^\W_](?:[\w-]{0,62}[^\W_])?\.){1,6}[^\W\d_]{2,63}(?![\w-]|\.[^\W_])"
)
_DOTTED = re.compile(r"[^\W_]\.[^\W\d_]{2}")
# Public suffixes that are far more often file extensions when written without a scheme.
_FILE_LIKE_SUFFIXES = {"py", "md", "sh", "zip", "mov", "rar", "exe", "pdf", "txt", "php", "html", "js"}
_TRAILING = ".,;:!?'\"»)]}*_"


def _known_suffix(host: str) -> bool:
    return bool(public_suffix(host))


def find_emails(text: str) -> Iterator[ContactMatch]:
    if "@" not in text:
        return
    for m in _EMAIL.finditer(text):
        if _known_suffix(m.group(1).lower()):
            value = m.group().lower()
            yield ContactMatch("email", value, m.group(), m.start(), m.end(), {"domain": m.group(1).lower()})


def _trim_url(url: str) -> str:
    # Cut at the first closing bracket that nothing in the URL opened: Markdown links
    # ("[text](https://x.kz/a)**bold**") and prose in parentheses end there.
    depth = 0
    for i, c in enumerate(url):
        if c in "([":
            depth += 1
        elif c in ")]":
            if depth == 0:
                url = url[:i]
                break
            depth -= 1
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break  # a balanced parenthesis belongs to the URL (Wikipedia-style paths)
        url = url[:-1]
    return url


def _host_kind(host: str) -> str:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return "domain"
    return "ip"


def find_urls(text: str) -> Iterator[ContactMatch]:
    """``url`` plus the ``domain`` (or ``ip``) it points to; Telegram and WhatsApp links are left
    to their own finders."""
    if "://" not in text:
        return
    for m in _URL.finditer(text):
        raw = _trim_url(m.group())
        try:
            parts = urlsplit(raw)
            host = (parts.hostname or "").strip(".")
            parts.port  # noqa: B018 - raises ValueError on a malformed port
        except ValueError:
            continue
        if not host or host in TELEGRAM_HOSTS or host in WHATSAPP_HOSTS:
            continue
        kind = _host_kind(host)
        if kind == "domain" and not _known_suffix(host):
            continue
        end = m.start() + len(raw)
        display = raw if len(raw) <= 300 else raw[:297] + "..."
        yield ContactMatch("url", canonical_url(raw), unquote(display), m.start(), end, {"host": host})
        host_at = m.start() + raw.lower().find(host)
        domain = registrable_domain(host) if kind == "domain" else host
        yield ContactMatch(kind, domain, domain, host_at, host_at + len(host))


def _bare_domain_matches(text: str) -> Iterator[re.Match[str]]:
    """``_BARE_DOMAIN.finditer(text)``, tried only where a domain can start.

    A match lies inside one run of word characters, dots and hyphens, starts where that run
    starts (the lookbehind refuses any of them before it) and holds a letter-dot-two-letters
    spot (``_DOTTED``). So the pattern is tried once at the start of each run holding such a
    spot, in order, instead of at every word of the text; after a match the rest of its run
    cannot hold another."""
    starts: list[int] = []
    for hit in _DOTTED.finditer(text):
        i = hit.start()
        while i > 0 and (text[i - 1].isalnum() or text[i - 1] in "_.-"):
            i -= 1
        if not starts or starts[-1] != i:
            starts.append(i)
    end = -1
    for s in starts:
        if s < end:
            continue
        m = _BARE_DOMAIN.match(text, s)
        if m is not None:
            end = m.end()
            yield m


def find_bare_domains(text: str) -> Iterator[ContactMatch]:
    """Domains written without a scheme (``vulkan-kz.com``); the caller masks URLs and e-mails."""
    for m in _bare_domain_matches(text):
        start, token = m.start(), m.group()
        if not token.isascii():
            # "Подробностиsite.com": a Cyrillic word glued to an ASCII domain. Registries do not
            # allow one label to mix scripts, so the domain starts after the glued word.
            ascii_tail = re.search(r"[A-Za-z0-9][A-Za-z0-9.-]*$", token)
            if ascii_tail and ascii_tail.start() > 0 and "." not in token[: ascii_tail.start()]:
                start, token = start + ascii_tail.start(), ascii_tail.group()
        host = token.lower()
        suffix = public_suffix(host)
        if not suffix or suffix in _FILE_LIKE_SUFFIXES:
            continue
        if host in TELEGRAM_HOSTS or host in WHATSAPP_HOSTS:
            continue
        domain = registrable_domain(host)
        yield ContactMatch("domain", domain, token, start, m.end(), {"host": host})
