import re

import pytest

from forums import markdown
from forums.markdown import link_count, quote_markdown, render_markdown
from tests.forums.xss_corpus import XSS_PAYLOADS, assert_harmless, find_dangers

REL = 'rel="nofollow ugc noopener"'


def a_count(html: str) -> int:
    return len(re.findall(r"<a\b", html))


# --- hostile input -----------------------------------------------------------------------


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_payload_renders_harmless(payload):
    assert_harmless(render_markdown(payload))


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_payload_inside_ordinary_markdown_renders_harmless(payload):
    html = render_markdown("Great film!\n\n" + payload + "\n\n*really*")
    assert_harmless(html)
    assert html.startswith("<p>Great film!</p>")
    assert html.endswith("<p><em>really</em></p>")


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_sanitizer_alone_makes_payload_harmless(payload):
    # The second layer on its own: if markdown-it ever let raw HTML through, nh3 still holds.
    assert_harmless(markdown._cleaner.clean(payload))


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_link_count_matches_the_links_rendered(payload):
    for source in (payload, f"[ok](https://ok.example) {payload} <https://ok.example>"):
        assert link_count(source) == a_count(render_markdown(source))


def test_corpus_is_large_and_distinct():
    assert len(XSS_PAYLOADS) >= 40
    assert len(set(XSS_PAYLOADS)) == len(XSS_PAYLOADS)


def test_raw_html_is_shown_as_text():
    assert render_markdown('<b onclick="x()">bold</b>') == '<p>&lt;b onclick="x()"&gt;bold&lt;/b&gt;</p>'
    assert render_markdown("<script>alert(1)</script>") == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"


def test_template_syntax_is_plain_text():
    assert render_markdown("{{ user.password }} {% debug %}") == "<p>{{ user.password }} {% debug %}</p>"


def test_code_span_cannot_close_its_element():
    assert render_markdown("`</code><script>x</script>`") == (
        "<p><code>&lt;/code&gt;&lt;script&gt;x&lt;/script&gt;</code></p>"
    )


def test_link_title_cannot_break_out_of_its_attribute():
    html = render_markdown('[a](http://x "\\" onmouseover=\\"alert(1)")')
    assert html == f'<p><a href="http://x" title="&quot; onmouseover=&quot;alert(1)" {REL}>a</a></p>'


# --- assert_harmless can fail ---------------------------------------------------------------

GOOD_LINK = f'<a href="https://ok.example" {REL}>ok</a>'


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
        "<p>hi<img src=x></p>",
        "<iframe src=https://evil.example></iframe>",
        "<svg><circle/></svg>",
        '<meta http-equiv="refresh" content="0">',
        "<p onclick=alert(1)>x</p>",
        "<p ONMOUSEOVER=alert(1)>x</p>",
        '<p style="color:red">x</p>',
        f'<a href="javascript:alert(1)" {REL}>x</a>',
        f'<a href="JavaScript:alert(1)" {REL}>x</a>',
        f'<a href="&#106;avascript:alert(1)" {REL}>x</a>',
        f'<a href="&amp;#106;avascript:alert(1)" {REL}>x</a>',
        f'<a href=" &#x09;java&#x0A;script:alert(1)" {REL}>x</a>',
        f'<a href="\x01javascript:alert(1)" {REL}>x</a>',
        f'<a href="data:text/html,x" {REL}>x</a>',
        f'<a href="vbscript:x" {REL}>x</a>',
        f'<a href="/relative" {REL}>x</a>',
        '<a href="https://ok.example">no rel</a>',
        '<a href="https://ok.example" rel="nofollow noopener">no ugc</a>',
        f"<p>{GOOD_LINK}<!--[if IE]><script>x</script><![endif]--></p>",
    ],
)
def test_assert_harmless_rejects(html):
    assert find_dangers(html)
    with pytest.raises(AssertionError):
        assert_harmless(html)


@pytest.mark.parametrize(
    "html",
    [
        "<p>plain</p>",
        f"<p>{GOOD_LINK}</p>",
        f'<a href="mailto:me@ok.example" {REL}>mail</a>',
        "<p>&lt;script&gt;alert(1)&lt;/script&gt; javascript:alert(1)</p>",
        "<pre><code>&lt;img src=x onerror=alert(1)&gt;</code></pre>",
    ],
)
def test_assert_harmless_accepts(html):
    assert_harmless(html)


# --- ordinary Markdown ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("", ""),
        ("plain text", "<p>plain text</p>"),
        (
            "*em* _em_ **strong** __strong__",
            "<p><em>em</em> <em>em</em> <strong>strong</strong> <strong>strong</strong></p>",
        ),
        ("~~gone~~", "<p><s>gone</s></p>"),
        ("use `pick()` here", "<p>use <code>pick()</code> here</p>"),
        ("one\ntwo\n\nthree", "<p>one<br>\ntwo</p>\n<p>three</p>"),
        ("hard  \nbreak", "<p>hard<br>\nbreak</p>"),
        ("- a\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"),
        ("1. a\n2. b", "<ol>\n<li>a</li>\n<li>b</li>\n</ol>"),
        ("3. third\n4. fourth", '<ol start="3">\n<li>third</li>\n<li>fourth</li>\n</ol>'),
        ("> quoted\n> more", "<blockquote>\n<p>quoted<br>\nmore</p>\n</blockquote>"),
        ("above\n\n---\n\nbelow", "<p>above</p>\n<hr>\n<p>below</p>"),
        ("```\n<script>alert(1)</script>\n```", "<pre><code>&lt;script&gt;alert(1)&lt;/script&gt;\n</code></pre>"),
        ("```python\nx = 1\n```", "<pre><code>x = 1\n</code></pre>"),
        ("    indented", "<pre><code>indented\n</code></pre>"),
        ("# One\n## Two\n### Three\n#### Four", "<h3>One</h3>\n<h4>Two</h4>\n<h5>Three</h5>\n<h6>Four</h6>"),
        ("Title\n=====", "<h3>Title</h3>"),
        (
            "| Film | Odds |\n|:-----|-----:|\n| Anora | 40% |",
            "<table>\n<thead>\n<tr>\n<th>Film</th>\n<th>Odds</th>\n</tr>\n</thead>\n"
            "<tbody>\n<tr>\n<td>Anora</td>\n<td>40%</td>\n</tr>\n</tbody>\n</table>",
        ),
    ],
)
def test_ordinary_markdown(source, expected):
    assert render_markdown(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("[site](https://ok.example/a?b=1&c=2)", f'<p><a href="https://ok.example/a?b=1&amp;c=2" {REL}>site</a></p>'),
        ('[t](http://ok.example "Hover")', f'<p><a href="http://ok.example" title="Hover" {REL}>t</a></p>'),
        ("<https://ok.example>", f'<p><a href="https://ok.example" {REL}>https://ok.example</a></p>'),
        ("<me@ok.example>", f'<p><a href="mailto:me@ok.example" {REL}>me@ok.example</a></p>'),
        ("[ref][1]\n\n[1]: https://ok.example", f'<p><a href="https://ok.example" {REL}>ref</a></p>'),
        # bare URLs stay text: linkify is off
        ("see https://ok.example", "<p>see https://ok.example</p>"),
        # relative URLs lose their href
        ("[ours](/films/1)", f"<p><a {REL}>ours</a></p>"),
        ("[other](//evil.example)", f"<p><a {REL}>other</a></p>"),
        ("[ftp](ftp://ok.example)", f"<p><a {REL}>ftp</a></p>"),
    ],
)
def test_links(source, expected):
    assert render_markdown(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("![Poster](https://ok.example/p.jpg)", f'<p><a href="https://ok.example/p.jpg" {REL}>Poster</a></p>'),
        (
            "![](https://ok.example/p.jpg)",
            f'<p><a href="https://ok.example/p.jpg" {REL}>https://ok.example/p.jpg</a></p>',
        ),
        ('![P](https://ok.example/p.jpg "T")', f'<p><a href="https://ok.example/p.jpg" title="T" {REL}>P</a></p>'),
        ("![*big* P](https://ok.example/p.jpg)", f'<p><a href="https://ok.example/p.jpg" {REL}><em>big</em> P</a></p>'),
        # an image inside a link is that link's text; a link inside an image's alt is text
        (
            "[![Badge](https://ok.example/b.png)](https://ok.example)",
            f'<p><a href="https://ok.example" {REL}>Badge</a></p>',
        ),
        (
            "![a [b](https://ok.example/b)](https://ok.example/i.png)",
            f'<p><a href="https://ok.example/i.png" {REL}>a b</a></p>',
        ),
        # data: images are not fetched either
        ("![x](data:image/png;base64,AAAA)", f"<p><a {REL}>x</a></p>"),
    ],
)
def test_images_render_as_links(source, expected):
    assert render_markdown(source) == expected


def test_no_class_or_style_reaches_the_output():
    html = render_markdown("```js\nx\n```\n\n| a |\n|:-:|\n| b |")
    assert "class=" not in html
    assert "style=" not in html


def test_renderer_version_is_a_positive_int():
    assert isinstance(markdown.RENDERER_VERSION, int)
    assert markdown.RENDERER_VERSION >= 1


# --- link_count -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "count"),
    [
        ("", 0),
        ("Just text, *emphasis* and `code`.", 0),
        ("see https://ok.example and www.ok.example", 0),  # linkify is off
        ("`[a](https://ok.example)`", 0),
        ("```\n<https://ok.example>\n```", 0),
        ("\\[a](https://ok.example)", 0),
        ("[a](javascript:alert(1))", 0),
        ("<https://ok.example>", 1),
        ("<me@ok.example>", 1),
        ("[a](http://ok.example)", 1),
        ("![p](https://ok.example/p.png)", 1),
        ("[![p](https://ok.example/p.png)](https://ok.example)", 1),
        ("[ref][1]\n\n[1]: https://ok.example", 1),
        ("[rel](/films/1)", 1),
        ("> [a](http://a.example)\n\n- <https://b.example>\n- ![c](https://c.example/c.png)", 3),
        ("| [a](http://a.example) | [b](http://b.example) |\n|---|---|\n| x | y |", 2),
    ],
)
def test_link_count(source, count):
    assert link_count(source) == count
    assert a_count(render_markdown(source)) == count


# --- quote_markdown ---------------------------------------------------------------------------


def test_quote_single_line():
    assert quote_markdown(author="Ana", source="Best picture is locked.") == (
        "> **Ana** wrote:\n>\n> Best picture is locked.\n\n"
    )


def test_quote_multi_paragraph_keeps_every_line_inside_the_quote():
    source = "First para\nsecond line\n\n\nSecond para\r\nwindows line\r\n\n> earlier quote\n  \n    code\n"
    assert quote_markdown(author="Ana", source=source) == (
        "> **Ana** wrote:\n"
        ">\n"
        "> First para\n"
        "> second line\n"
        ">\n"
        ">\n"
        "> Second para\n"
        "> windows line\n"
        ">\n"
        "> > earlier quote\n"
        ">\n"
        ">     code\n\n"
    )
    html = render_markdown(quote_markdown(author="Ana", source=source))
    assert html.startswith("<blockquote>\n<p><strong>Ana</strong> wrote:</p>")
    assert html.endswith("</blockquote>")
    assert html.count("<blockquote>") == 2  # the nested quote stays nested, nothing escapes


def test_quote_is_followed_by_a_fresh_paragraph():
    html = render_markdown(quote_markdown(author="Ana", source="quoted") + "my reply")
    assert html == "<blockquote>\n<p><strong>Ana</strong> wrote:</p>\n<p>quoted</p>\n</blockquote>\n<p>my reply</p>"


@pytest.mark.parametrize(
    "author",
    [
        "*x*",
        "_x_",
        "**",
        "[a](javascript:alert(1))",
        "[a](https://evil.example)",
        "![i](https://evil.example/i.png)",
        "<https://evil.example>",
        "<me@evil.example>",
        "`code`",
        "&amp; &#60;",
        "~~x~~",
        "x\n\n# heading\n[a](https://evil.example)",
        "<script>alert(1)</script>",
        "\\*x\\*",
    ],
)
def test_quote_author_name_cannot_inject_markdown(author):
    quoted = quote_markdown(author=author, source="hello")
    html = render_markdown(quoted)
    assert_harmless(html)
    assert link_count(quoted) == 0
    name = " ".join(author.split())
    escaped = name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    assert html == f"<blockquote>\n<p><strong>{escaped}</strong> wrote:</p>\n<p>hello</p>\n</blockquote>"


def test_quote_blank_author():
    assert quote_markdown(author="  ", source="hi").startswith("> **Someone** wrote:\n")
