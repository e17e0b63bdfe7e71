"""Everything a visitor can read on a page, block by block, with selectolax (lexbor).

Casino and pyramid landing pages are rarely article-shaped: the words that matter sit in menus,
buttons ("Играть", "Получить бонус"), banners' alt text and promo blocks that main-text
extractors drop as boilerplate. This walker keeps them:

* skips script, style, noscript, template, svg, head contents (not visible text);
* keeps image ``alt``/``title``, ``aria-label`` of links and buttons, ``value`` of submit
  buttons and ``placeholder`` of inputs ("Введите промокод");
* block elements and <br> end a line, inline elements do not (so "бонус <b>500%</b>" stays on
  one line for phrase matching); whitespace is collapsed.

Hidden elements (display:none, modals) are kept on purpose: registration and bonus pop-ups
are hidden until clicked, and hidden keyword stuffing is itself a signal.

The walk is iterative (child/next/parent pointers), so depth cannot exhaust the Python stack.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

SKIP = frozenset(
    {"script", "style", "noscript", "template", "svg", "head", "iframe", "object", "canvas", "math", "select"}
)
BLOCK = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "caption",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "html",
        "legend",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
        "option",
        "button",
        "label",
        "center",
        "marquee",
    }
)
# Zero-width characters are kept inside lines (they split words on purpose: obfuscation that
# detection normalises and reports); only real spaces are collapsed.
_WS = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_EDGE = " \u200b\u200c\u200d\u2060\ufeff"
MAX_CHARS = 400_000


def _attr_text(node: LexborNode) -> str | None:
    tag = node.tag
    attrs = node.attributes
    if tag == "img":
        parts = [attrs.get("alt") or "", attrs.get("title") or ""]
        return " ".join(p for p in dict.fromkeys(parts) if p) or None
    if tag == "input":
        kind = (attrs.get("type") or "text").lower()
        if kind in ("submit", "button", "reset"):
            return attrs.get("value") or None
        if kind in ("text", "email", "tel", "number", "search", "password", ""):
            return attrs.get("placeholder") or None
        return None
    if tag == "textarea":
        return attrs.get("placeholder") or None
    if tag in ("a", "button") and not (node.text(deep=True) or "").strip():
        return attrs.get("aria-label") or attrs.get("title") or None
    return None


def _walk(root: LexborNode, out: list[str], budget: int) -> None:
    """Append text pieces (with "\\n" at block boundaries) under ``root`` to ``out``."""
    size = 0
    node: LexborNode | None = root.child
    while node is not None and size < budget:
        tag = node.tag
        descend = False
        if tag == "-text":
            t = node.text_content or ""
            if t:
                out.append(t)
                size += len(t)
        elif tag is not None and not tag.startswith("-") and tag not in SKIP:
            if tag == "br":
                out.append("\n")
            else:
                if tag in BLOCK:
                    out.append("\n")
                extra = _attr_text(node)
                if extra:
                    out.append(f" {extra} ")
                    size += len(extra)
                descend = node.child is not None
        if descend:
            node = node.child
            continue
        # Climb until a next sibling exists, closing blocks on the way up.
        while node is not None and node.next is None:
            node = node.parent
            if node is None or node.mem_id == root.mem_id:
                return
            if node.tag in BLOCK:
                out.append("\n")
        if node is None:
            return
        if node.tag in BLOCK:
            out.append("\n")
        node = node.next


def normalise_lines(raw: str) -> list[str]:
    lines = []
    for line in raw.split("\n"):
        line = _WS.sub(" ", line).strip(_EDGE)
        if line:
            lines.append(line)
    return lines


def visible_lines(node: LexborNode, budget: int = MAX_CHARS) -> list[str]:
    """The visible text under ``node`` as non-empty, whitespace-collapsed lines."""
    out: list[str] = []
    _walk(node, out, budget)
    return normalise_lines("".join(out))


def visible_text(html_or_tree: str | LexborHTMLParser, budget: int = MAX_CHARS) -> str:
    tree = LexborHTMLParser(html_or_tree) if isinstance(html_or_tree, str) else html_or_tree
    root = tree.body or tree.root
    if root is None:
        return ""
    return "\n".join(visible_lines(root, budget))
