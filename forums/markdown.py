"""Markdown for forum posts: CommonMark in, safe HTML out.

Why markdown-it-py + nh3: markdown-it-py is a faithful CommonMark parser (the same one the
spec's reference JS implementation is ported from), with GFM tables and strikethrough as
built-in rules, and it lets us rewrite the token stream before rendering. nh3 (Rust's
ammonia) is an allow-list HTML sanitizer built on a real HTML5 parser, so whatever the
Markdown renderer emits is re-parsed and re-serialised before it reaches a page. The two
layers are independent: raw HTML in a post is already escaped by markdown-it (``html=False``)
and markdown-it refuses ``javascript:``/``vbscript:``/``file:``/``data:`` links, and nh3
would still strip anything outside the allow-list if either of those ever failed.

What a post may contain:

- paragraphs, line breaks (a single newline is a ``<br>``, as people expect in a forum),
  emphasis, strong, strikethrough (``~~x~~`` gives ``<s>``), inline code, fenced and
  indented code, blockquotes, ordered and unordered lists, horizontal rules, tables.
- links, with ``rel="nofollow ugc noopener"`` added to every ``<a>``. Only absolute
  ``http``, ``https`` and ``mailto`` URLs keep their ``href``; relative URLs (``/films/1``,
  ``//host``, ``#x``) are dropped, so a link to our own pages must be written in full.
  Bare URLs are not turned into links: linkify needs the extra ``linkify-it-py`` package.
- headings are shifted down two levels (``#`` is ``<h3>``, ``##`` is ``<h4>``, deeper ones
  ``<h5>``/``<h6>``) because the page around a post already uses ``<h1>``/``<h2>``.
- images are never embedded (no hotlinked tracking pixels, no layout breakage): an image
  renders as a link to the image URL whose text is the alt text, or the URL when there is
  no alt text. An image inside a link renders as that link's text.
- no ``class`` or ``style`` attributes at all: the ``language-*`` class of fenced code and
  the ``text-align`` style of table columns are dropped.

Call ``render_markdown`` when a post is saved and store the HTML with ``RENDERER_VERSION``.
The output is safe to mark safe in a template.
"""

import re

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

# Bump when anything below changes what a given source renders to: stored rows with an
# older version are re-rendered.
RENDERER_VERSION = 1

_ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "del",
    "s",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    # markdown-it only ever writes digits here ("3. item" starts a list at 3).
    "ol": {"start"},
}
_URL_SCHEMES = {"http", "https", "mailto"}
# Tags whose content is dropped, not kept as text. markdown-it never emits them (raw HTML is
# escaped), so this only matters if that layer fails.
_CLEAN_CONTENT_TAGS = {"script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math"}

_cleaner = nh3.Cleaner(
    tags=_ALLOWED_TAGS,
    clean_content_tags=_CLEAN_CONTENT_TAGS,
    attributes=_ALLOWED_ATTRIBUTES,
    url_schemes=_URL_SCHEMES,
    url_relative="deny",
    link_rel="nofollow ugc noopener",
    strip_comments=True,
)


def _link_open(href: str, title: str | None) -> Token:
    token = Token("link_open", "a", 1, attrs={"href": href})
    if title:
        token.attrs["title"] = title
    return token


def _rewrite_inline(children: list[Token], *, in_link: bool) -> list[Token]:
    """Turn image tokens into links (or plain text inside a link); drop links nested in links."""
    out: list[Token] = []
    depth = 1 if in_link else 0
    for token in children:
        if token.type in ("link_open", "link_close"):
            # CommonMark forbids links in links, but an image's alt text may hold one; once the
            # image itself is a link, that inner link would nest, so it keeps only its text.
            if in_link:
                continue
            depth += 1 if token.type == "link_open" else -1
            out.append(token)
        elif token.type == "image":
            src = str(token.attrs.get("src", ""))
            alt = _rewrite_inline(token.children or [], in_link=True)
            if not alt:
                alt = [Token("text", "", 0, content=src)]
            if depth:
                out.extend(alt)
            else:
                title = token.attrs.get("title")
                out.append(_link_open(src, str(title) if title else None))
                out.extend(alt)
                out.append(Token("link_close", "a", -1))
        else:
            out.append(token)
    return out


def _frontrunner_tokens(state: StateCore) -> None:
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 2, 6)}"
        elif token.type == "inline" and token.children:
            token.children = _rewrite_inline(token.children, in_link=False)


def _make_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False, "breaks": True})
    md.enable(["table", "strikethrough"])
    md.core.ruler.after("inline", "frontrunner_tokens", _frontrunner_tokens)
    return md


_md = _make_parser()


def render_markdown(source: str) -> str:
    """Safe HTML for a post body (see the module docstring for what survives)."""
    return _cleaner.clean(_md.render(source)).strip()


def link_count(source: str) -> int:
    """How many links the rendered post contains: explicit, reference, ``<url>`` autolinks and
    images (each image is a link). Bare URLs are plain text, since linkify is off."""
    count = 0
    for token in _md.parse(source):
        if token.type == "inline" and token.children:
            count += sum(1 for child in token.children if child.type == "link_open")
    return count


# Every ASCII punctuation character may be backslash-escaped in CommonMark; escaping all of
# them means nothing in a name can open emphasis, a link, an autolink, an entity or code.
_MARKDOWN_PUNCTUATION = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")
_LINE_ENDING = re.compile(r"\r\n|\r|\n")


def quote_markdown(*, author: str, source: str) -> str:
    """Markdown that quotes ``source`` in a reply, attributed to ``author``.

    Every line is prefixed with ``> `` (blank lines with ``>``, so paragraphs stay inside
    one quote); the result ends with a blank line so the reply typed after it starts a new
    paragraph rather than continuing the quote.
    """
    name = " ".join(author.split()) or "Someone"  # a newline in a name must not end the quote
    name = _MARKDOWN_PUNCTUATION.sub(r"\\\1", name)
    lines = [f"> **{name}** wrote:", ">"]
    for line in _LINE_ENDING.split(source.strip("\r\n")):
        lines.append(f"> {line}" if line.strip() else ">")
    return "\n".join(lines) + "\n\n"
