"""Cheap substring pre-checks that spare running a regular expression that cannot match.

Detection runs some forty regular expressions over every text (lexicon patterns, the model
view's placeholders). Python's regex engine only skips ahead quickly when a pattern begins
with a literal or a plain character class; a pattern that begins with ``\\b``, a lookbehind or a
repeated group is tried at every position of the text, which made these scans the largest
single cost of ``kuzet classify``. Most texts cannot match most patterns, and that can be
known from substrings alone: ``\\d+\\s?(?:fs|фс)\\b`` needs "fs" or "фс" somewhere in the text.

``required_substrings`` derives such conditions from the parsed pattern: a list of
alternatives-tuples, each of which must be satisfied by at least one of its strings being in
the text. It only ever weakens the pattern (anything it does not understand adds no
condition), so a gated search finds exactly what the plain search finds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

try:  # The parser is CPython's own (re._parser since 3.11); without it nothing is gated.
    from re import _constants as _C  # type: ignore[attr-defined]
    from re import _parser as _P  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - other interpreters
    _C = _P = None

Requirement = tuple[str, ...]


def _collect(items: Any, out: list[Requirement]) -> None:
    """Conditions of a sequence of parsed items (every item of a sequence must match)."""
    run: list[str] = []

    def flush() -> None:
        if run:
            out.append(("".join(run),))
            run.clear()

    for op, av in items:
        if op is _C.LITERAL:
            run.append(chr(av))
            continue
        flush()
        if op is _C.SUBPATTERN:
            if not av[1] & re.IGNORECASE:  # a (?i:...) group: its literals may be any case
                _collect(av[-1].data, out)
        elif op is _C.ATOMIC_GROUP:
            _collect(av.data, out)
        elif op in (_C.MAX_REPEAT, _C.MIN_REPEAT, _C.POSSESSIVE_REPEAT) and av[0] >= 1:
            _collect(av[2].data, out)
        elif op is _C.BRANCH:
            # Each alternative contributes its strongest condition; the text meets one of them.
            alternatives: list[str] = []
            for alt in av[1]:
                inner: list[Requirement] = []
                _collect(alt.data, inner)
                if not inner:
                    alternatives = []  # an alternative without a fixed string: no condition
                    break
                best: Requirement = max(inner, key=_strength)
                alternatives.extend(best)
            if alternatives:
                out.append(tuple(dict.fromkeys(alternatives)))
        elif op is _C.IN and av and all(o is _C.LITERAL for o, _ in av):
            out.append(tuple(dict.fromkeys(chr(v) for _, v in av)))
        # Anything else (classes, anchors, lookarounds, optional parts) adds no condition.
    flush()


def _strength(requirement: Requirement) -> tuple[int, int]:
    """Longer strings and fewer alternatives make a rarer condition."""
    return min(len(s) for s in requirement), -len(requirement)


def required_substrings(pattern: str | re.Pattern[str], *, lower_case: bool = False) -> list[Requirement]:
    """Conditions every text matched by ``pattern`` meets; ``[]`` when none can be derived.

    A case-insensitive pattern gets conditions only with ``lower_case``: then they are lower
    case and hold for the text lower-cased, unless the text has a character that the regex
    engine folds differently from ``str.lower`` (``case_exotic``; see ``GatedPattern``).
    """
    source = pattern.pattern if isinstance(pattern, re.Pattern) else pattern
    flags = pattern.flags if isinstance(pattern, re.Pattern) else 0
    if _P is None or not isinstance(source, str):
        return []
    try:
        parsed = _P.parse(source, flags)
    except Exception:  # noqa: BLE001 - an unparsable pattern simply gets no gate
        return []
    ignore_case = bool(parsed.state.flags & re.IGNORECASE)
    if ignore_case and (not lower_case or _CASE_EXOTIC is None or parsed.state.flags & re.LOCALE):
        return []
    out: list[Requirement] = []
    try:
        _collect(parsed.data, out)
    except Exception:  # noqa: BLE001 - parser internals differ between versions: no gate
        return []
    if ignore_case:
        # Only conditions spelt in ASCII and Cyrillic, where str.lower and the engine agree.
        out = [tuple(dict.fromkeys(x.lower() for x in req)) for req in out if all(map(_plain_case, req))]
    # The rarest-looking conditions first, so that a failing text is rejected early.
    return sorted(out, key=_strength, reverse=True)


def _plain_case(s: str) -> bool:
    """ASCII, Cyrillic or a character without case (₸, %, €): where str.lower and the regex
    engine's case folding agree."""
    return all(ord(c) < 0x80 or 0x400 <= ord(c) <= 0x4FF or c.lower() == c == c.upper() for c in s)


def _case_exotic() -> re.Pattern[str] | None:
    """Characters a case-insensitive pattern may match that ``str.lower`` does not fold to the
    same letter: the regex engine's extra case pairs outside ASCII and Cyrillic (Cyrillic
    "ᲀ" for "в", "ſ" for "s"...) and the dotted capital I, which lower() makes two characters."""
    try:
        from re._casefix import _EXTRA_CASES  # type: ignore[import-not-found]
    except ImportError:  # pragma: no cover - other interpreters
        return None
    codes = {c for k, vs in _EXTRA_CASES.items() for c in (k, *vs)} | {0x130}
    chars = sorted(chr(c) for c in codes if not (c < 0x80 or 0x400 <= c <= 0x4FF))
    return re.compile("[" + "".join(re.escape(c) for c in chars) + "]")


_CASE_EXOTIC = _case_exotic()


def passes(requirements: Sequence[Requirement], text: str) -> bool:
    for alternatives in requirements:
        for s in alternatives:
            if s in text:
                break
        else:
            return False
    return True


class GatedPattern:
    """A compiled pattern with its substring conditions checked before each scan, and found
    through its quick scan (``scan_pattern``) where there is one: the results of ``search``,
    ``finditer``, ``findall`` and ``sub`` are those of the plain pattern."""

    __slots__ = ("regex", "requirements", "pattern", "scan", "lower")

    def __init__(self, pattern: str | re.Pattern[str], flags: int = 0) -> None:
        self.regex = pattern if isinstance(pattern, re.Pattern) else re.compile(pattern, flags)
        self.pattern = self.regex.pattern
        self.requirements = required_substrings(self.regex, lower_case=True)
        # Case-insensitive: conditions are checked on the text lower-cased.
        self.lower = bool(self.requirements) and bool(self.regex.flags & re.IGNORECASE)
        self.scan = scan_pattern(self.regex)

    @property
    def flags(self) -> int:
        return self.regex.flags

    def possible(self, text: str) -> bool:
        if self.lower:
            if _CASE_EXOTIC is None or _CASE_EXOTIC.search(text) is not None:
                return True
            return passes(self.requirements, text.lower())
        return passes(self.requirements, text)

    def match(self, text: str, pos: int = 0) -> re.Match[str] | None:
        return self.regex.match(text, pos)

    def search(self, text: str) -> re.Match[str] | None:
        if not self.possible(text):
            return None
        return next(scan_finditer(self.regex, self.scan, text), None)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        if self.possible(text):
            yield from scan_finditer(self.regex, self.scan, text)

    def findall(self, text: str) -> list[Any]:
        # The plain scan: findall is used where matches are many, and stepping through them in
        # Python would cost more than the quick scan saves.
        return self.regex.findall(text) if self.possible(text) else []

    def sub(self, repl: str | Callable[[re.Match[str]], str], text: str) -> str:
        if not self.possible(text):
            return text
        if self.scan is None:
            return self.regex.sub(repl, text)
        parts: list[str] = []
        pos = 0
        # A replacement without backslashes is literal; expand() would parse it every time.
        literal = repl if isinstance(repl, str) and "\\" not in repl else None
        for m in scan_finditer(self.regex, self.scan, text):
            parts.append(text[pos : m.start()])
            if literal is not None:
                parts.append(literal)
            else:
                parts.append(repl(m) if callable(repl) else m.expand(repl))
            pos = m.end()
        if not parts:
            return text
        parts.append(text[pos:])
        return "".join(parts)


def _ops(node: Any) -> Iterator[Any]:
    """Every operation of a parsed pattern, nested ones included."""
    if isinstance(node, _P.SubPattern):
        for op, av in node.data:
            yield op
            yield from _ops(av)
    elif isinstance(node, tuple | list):
        for item in node:
            yield from _ops(item)


def _uses_backreferences(parsed: Any) -> bool:
    return any(op in (_C.GROUPREF, _C.GROUPREF_EXISTS) for op in _ops(parsed))


def _first_char_prefix(items: Any, run_start: bool) -> tuple[bool, bool]:
    r"""Make the pattern begin with one character (class) where it can; ``(done, run_start)``.

    ``X{m,n}`` (X one character, m >= 1) is rewritten as ``X X{m-1,n-1}`` (inside leading
    groups too): the same strings, but the regex engine only skips quickly to where a match can
    begin when a pattern starts with a literal, a class or alternatives of literals; ``\d+%`` is
    otherwise tried at every position of the text.

    With ``run_start`` and an unbounded repeat (``\d+``), a check that the character before is
    not an X goes after the first X: a match that starts inside a run of X implies one starting
    a character earlier, so only run starts can be leftmost (``scan_finditer`` tries the search
    position itself, which may be inside a run). ``run_start`` comes back True if it was used.
    """
    if not items.data:
        return False, False
    op, av = items.data[0]
    if op is _C.SUBPATTERN:
        return _first_char_prefix(av[-1], run_start)
    if op is _C.BRANCH:
        _hoist_common_head(items)
        return True, False
    if op in (_C.LITERAL, _C.IN):
        return True, False
    unit = _leading_unit(items.data[0]) if op in (_C.MAX_REPEAT, _C.MIN_REPEAT) else None
    if unit is None:
        return False, False
    unbounded = av[1] is _C.MAXREPEAT
    head: list[Any] = [unit]
    if run_start and unbounded:
        head.append((_C.ASSERT_NOT, (-1, _P.SubPattern(items.state, [unit, unit]))))
    items.data[0:1] = [*head, _one_less(op, av)]
    return True, run_start and unbounded


def _one_less(op: Any, av: Any) -> tuple[Any, Any]:
    """``X{m,n}`` as ``X{m-1,n-1}``: what is left after its first X."""
    return (op, (av[0] - 1, av[1] if av[1] is _C.MAXREPEAT else av[1] - 1, av[2]))


def _leading_unit(item: Any) -> Any:
    """The one character (class) ``item`` starts with: itself, or the X of ``X{m,n}``, m >= 1."""
    op, av = item
    if op in (_C.LITERAL, _C.IN):
        return item
    repeated = op in (_C.MAX_REPEAT, _C.MIN_REPEAT) and av[0] >= 1 and len(av[2].data) == 1
    if repeated and av[2].data[0][0] in (_C.LITERAL, _C.IN):
        return av[2].data[0]
    return None


def _hoist_common_head(items: Any) -> None:
    """``X A|X{1,3} B`` -> ``X (?:A|X{0,2} B)`` when every alternative starts with the same
    character (class) X: the same strings, and a pattern the engine can skip through."""
    alternatives = items.data[0][1][1]
    units = [_leading_unit(alt.data[0]) if alt.data else None for alt in alternatives]
    if units[0] is None or any(u != units[0] for u in units):
        return
    for alt in alternatives:
        op, av = alt.data[0]
        if op in (_C.LITERAL, _C.IN):
            del alt.data[0]
        else:
            alt.data[0] = _one_less(op, av)
    items.data.insert(0, units[0])


def _head_list(items: Any) -> list[Any] | None:
    """The item list whose first item is the pattern's first character, inside leading groups."""
    while items.data and items.data[0][0] is _C.SUBPATTERN:
        items = items.data[0][1][-1]
    if items.data and items.data[0][0] in (_C.LITERAL, _C.IN):
        return items.data  # type: ignore[no-any-return]
    return None


_ANY_CHAR = (_C.IN, [(_C.CATEGORY, _C.CATEGORY_SPACE), (_C.CATEGORY, _C.CATEGORY_NOT_SPACE)]) if _C else None


def _after_first_char(assertion: Any, state: Any) -> Any:
    """A leading assertion rewritten to stand after the first character, or None.

    ``(?<!L)X`` is ``X(?<!L.)`` and ``(?=C)X`` is ``X(?<=C)`` for one character C: kept in the
    quick pattern, they spare confirming hits that the full pattern would refuse."""
    op, av = assertion
    if op not in (_C.ASSERT, _C.ASSERT_NOT):
        return None
    direction, sub = av
    if any(o is _C.SUBPATTERN for o in _ops(sub)):
        return None  # groups inside an assertion: leave it out
    if direction == -1:
        lo, hi = sub.getwidth()
        if lo != hi:
            return None
        return (op, (-1, _P.SubPattern(state, [(_C.SUBPATTERN, (None, 0, 0, sub)), _ANY_CHAR])))
    if len(sub.data) == 1 and sub.data[0][0] in (_C.LITERAL, _C.IN):
        return (op, (-1, sub))
    return None


class Scan:
    """Patterns that match wherever ``regex`` matches and that the engine scans quickly: one,
    or one per top-level alternative (a match of ``regex`` starts where one of them matches)."""

    __slots__ = ("patterns", "run_start")

    def __init__(self, patterns: list[re.Pattern[str]], run_start: bool) -> None:
        self.patterns = patterns
        self.run_start = run_start  # hits are only run starts: also try the search position

    @property
    def pattern(self) -> re.Pattern[str]:
        return self.patterns[0]


def _assertions_in_front(items: list[Any]) -> int:
    """How many zero-width assertions (``\\b``, lookarounds) stand before the first item that
    consumes text."""
    skip = 0
    while skip < len(items) and items[skip][0] in (_C.AT, _C.ASSERT, _C.ASSERT_NOT):
        skip += 1
    return skip


def _quick(parsed: Any, flags: int, run_start_ok: bool) -> tuple[re.Pattern[str], bool] | None:
    """Rewrite ``parsed`` (in place) into a pattern with a prefix the engine can skip by."""
    data = parsed.data
    skip = _assertions_in_front(data)
    leading = data[:skip]
    del data[:skip]
    # Run starts only without leading assertions: one that holds inside a run may fail a
    # character earlier, and then the earlier start is no match.
    done, run_start = _first_char_prefix(parsed, run_start_ok and not leading)
    if not done:
        return None
    head = _head_list(parsed)
    if head is not None:
        head[1:1] = [a for a in (_after_first_char(x, parsed.state) for x in leading) if a is not None]
    from re import _compiler  # type: ignore[attr-defined]

    # Only worth it when the engine gets a prefix to skip by (its own test, as in
    # _compile_info): without one the dropped assertions were the cheap early exit.
    flags |= parsed.state.flags
    if flags & re.IGNORECASE and flags & re.LOCALE:
        return None
    if not _compiler._get_literal_prefix(parsed, flags)[0] and not _compiler._get_charset_prefix(parsed, flags):
        return None
    return _compiler.compile(parsed, flags), run_start


_MAX_EXPANSIONS = 8


def _clone(node: Any) -> Any:
    """A copy of a parsed pattern's lists, tuples and subpatterns (operation codes shared)."""
    if isinstance(node, _P.SubPattern):
        return _P.SubPattern(node.state, _clone(node.data))
    if isinstance(node, list):
        return [_clone(x) for x in node]
    if isinstance(node, tuple):
        return tuple(_clone(x) for x in node)
    return node


def _expand(items: list[Any], depth: int) -> list[list[Any]] | None:
    """Item lists whose match starts, together, include every match start of ``items``: the
    first element's alternatives one by one, an optional first element present and absent,
    a leading group opened up (assertions in front stay in front of each). None past a bound."""
    if depth > 4:
        return None
    skip = _assertions_in_front(items)
    if skip >= len(items):
        return None
    lead, (op, av), rest = items[:skip], items[skip], items[skip + 1 :]
    parts: list[list[Any]]
    if op is _C.SUBPATTERN:
        parts = [[*av[-1].data, *rest]]
    elif op is _C.BRANCH:
        parts = [[*alt.data, *rest] for alt in av[1]]
    elif op in (_C.MAX_REPEAT, _C.MIN_REPEAT) and av[0] == 0 and av[1] != 0:
        parts = [[(op, (1, av[1], av[2])), *rest], rest]
    else:
        return [items]
    out: list[list[Any]] = []
    for part in parts:
        more = _expand([*lead, *part], depth + 1)
        if more is None:
            return None
        out.extend(more)
        if len(out) > _MAX_EXPANSIONS:
            return None
    return out


def scan_pattern(regex: re.Pattern[str]) -> Scan | None:
    r"""Quicker patterns to find where ``regex`` may match (see ``scan_finditer``); None when
    none is derived and the plain search is used.

    Leading zero-width assertions (``\b``, lookbehinds, lookaheads) stop the engine's quick
    skip: they move behind the first character where they can (``_after_first_char``) and are
    dropped otherwise; each hit is then confirmed with ``regex.match`` at the same position,
    which sees the text before that position as a search does. A pattern whose start is a
    choice (``https?://\S+|\b[a-z]+\.com``, ``\+?7\d+``) gets one quick pattern per way it can
    start (``_expand``).
    """
    if _P is None:
        return None
    try:
        parsed = _P.parse(regex.pattern, regex.flags)
        if parsed.getwidth()[0] == 0:
            return None  # empty matches follow finditer's own stepping rules: leave them to it
        run_start_ok = not _uses_backreferences(parsed)
        whole = _quick(parsed, regex.flags, run_start_ok)
        if whole is not None:
            return Scan([whole[0]], whole[1])
        if not run_start_ok:
            return None  # flattening groups below would break a backreference
        parsed = _P.parse(regex.pattern, regex.flags)
        expansions = _expand(list(parsed.data), 0)
        if expansions is None or len(expansions) < 2:
            return None
        patterns: list[re.Pattern[str]] = []
        for items in expansions:
            # A fresh tree for each: _quick rewrites in place and expansions share subtrees.
            sub = _P.SubPattern(parsed.state, _clone(items))
            quick = _quick(sub, regex.flags, False)
            if quick is None:
                return None
            patterns.append(quick[0])
    except Exception:  # noqa: BLE001 - parser internals differ between versions: no accelerator
        return None
    return Scan(patterns, False)


def scan_finditer(regex: re.Pattern[str], scan: Scan | None, text: str) -> Iterator[re.Match[str]]:
    """``regex.finditer(text)``, found with ``scan`` (from ``scan_pattern``) where there is one.

    The same matches in the same order: a match of ``regex`` starting at ``s`` is a match of
    ``scan`` starting at ``s`` (or, for a run-start scan, of the search position or an earlier
    run start), so stepping through ``scan``'s hits, confirming each with ``regex.match`` and
    moving one character on when it fails, finds the leftmost match of ``regex`` as the plain
    search does; after a match the search goes on from its end.
    """
    if scan is None:
        yield from regex.finditer(text)
        return
    if len(scan.patterns) > 1:
        yield from _scan_alternatives(regex, scan.patterns, text)
        return
    quick, run_start = scan.pattern, scan.run_start
    pos, end = 0, len(text)
    while pos <= end:
        if run_start and pos:
            m = regex.match(text, pos)
            if m is not None:
                yield m
                pos = m.end()
                continue
        hit = quick.search(text, pos)
        if hit is None:
            return
        s = hit.start()
        m = regex.match(text, s)
        if m is None:
            pos = s + 1
            continue
        yield m
        pos = m.end()  # never empty (scan_pattern refuses patterns of zero width)


def _scan_alternatives(regex: re.Pattern[str], quick: list[re.Pattern[str]], text: str) -> Iterator[re.Match[str]]:
    """``scan_finditer`` with one quick pattern per alternative: the next candidate is the
    nearest hit of any of them (each hit is kept until the search passes it)."""
    end = len(text)
    hits = [-1] * len(quick)  # next hit of each, -1 when not looked for yet, end + 1 when none
    pos = 0
    while pos <= end:
        for k, pattern in enumerate(quick):
            if hits[k] < pos:
                hit = pattern.search(text, pos)
                hits[k] = hit.start() if hit is not None else end + 1
        s = min(hits)
        if s > end:
            return
        m = regex.match(text, s)
        if m is None:
            pos = s + 1
            continue
        yield m
        pos = m.end()


# --- word runs -----------------------------------------------------------------------------------
# ``[^\W\d_]`` and ``[^\W_]`` make the engine look every character up in the Unicode database;
# a class of explicit ranges is a bitmap test, about twice as fast. Texts whose characters all
# lie where the two agree (Latin, Cyrillic, punctuation, symbols and emoji without letters) use
# the ranges; any other text the Unicode class.
_FAST_LIMIT = 0x500
# Blocks without letters, digits or underscore: general punctuation, currency, arrows, maths,
# technical, box drawing, shapes, dingbats, emoji (a test checks every character of them).
_LETTERLESS = "\u2000-\u206f\u20a0-\u20cf\u2190-\u23ff\u2500-\u2775\u2794-\u27bf\U0001f300-\U0001faff"


def _ranges(pattern: str) -> str:
    """The characters below _FAST_LIMIT that ``pattern`` (one class) matches, as ranges."""
    probe = re.compile(pattern)
    codes = [o for o in range(_FAST_LIMIT) if probe.fullmatch(chr(o))]
    out: list[str] = []
    start = prev = codes[0]
    for o in [*codes[1:], -2]:
        if o == prev + 1:
            prev = o
            continue
        out.append(re.escape(chr(start)) if start == prev else f"{re.escape(chr(start))}-{re.escape(chr(prev))}")
        start = prev = o
    return "".join(out)


_OUTSIDE_FAST = re.compile(f"[^\\x00-\\u04ff{_LETTERLESS}]")


class WordRuns:
    """``findall`` and ``split`` of ``(CLASS)+`` for a Unicode class such as ``[^\\W\\d_]``,
    with the same results, through explicit ranges where the text allows."""

    __slots__ = ("exact", "fast", "exact_split", "fast_split")

    def __init__(self, unicode_class: str) -> None:
        fast_class = f"[{_ranges(unicode_class)}]"
        self.exact = re.compile(f"{unicode_class}+")
        self.fast = re.compile(f"{fast_class}+")
        self.exact_split = re.compile(f"({unicode_class}+)")
        self.fast_split = re.compile(f"({fast_class}+)")

    def findall(self, text: str) -> list[str]:
        return (self.exact if _OUTSIDE_FAST.search(text) else self.fast).findall(text)

    def split(self, text: str) -> list[str]:
        """Separators and runs, alternating (``re.split`` with the run as a group)."""
        return (self.exact_split if _OUTSIDE_FAST.search(text) else self.fast_split).split(text)


LETTER_RUNS = WordRuns(r"[^\W\d_]")
ALNUM_RUNS = WordRuns(r"[^\W_]")
