"""Article bodies are Markdown rendered through a sanitizer: nothing an author writes runs in a reader's browser."""

from html.parser import HTMLParser

import pytest

from apps.knowledge.rendering import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, markdown_to_html, markdown_to_text

XSS_CORPUS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)",
    "![tracker](https://evil.example/pixel.png)",
    "![tracker](//evil.example/pixel.png)",
    "![tracker](http:evil.example/pixel.png)",
    '<iframe src="https://evil.example"></iframe>',
    "<svg onload=alert(1)>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '[x](https://ok.example "t" onmouseover="alert(1)")',
    "<style>body{display:none}</style>",
    "<!-- <script>alert(1)</script> -->",
    '<form action="https://evil.example"><input></form>',
    "[x](&#106;avascript:alert(1))",
    "[x](java&#x09;script:alert(1))",
    "<object data=x></object>",
    "[ref]\n\n[ref]: javascript:alert(1)",
    "<details open ontoggle=alert(1)>",
    "```html\n<script>alert(1)</script>\n```",
    "`<img src=x onerror=alert(1)>`",
]


class Elements(HTMLParser):
    """Every element and attribute of the rendered HTML (text is text: it cannot run)."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


@pytest.mark.parametrize("source", XSS_CORPUS)
def test_the_xss_corpus_is_rendered_harmless(source):
    parser = Elements()
    parser.feed(str(markdown_to_html(source)))
    for tag, attrs in parser.found:
        assert tag in ALLOWED_TAGS, (source, tag)
        assert set(attrs) <= ALLOWED_ATTRIBUTES.get(tag, set()) | {"rel"}, (source, tag, attrs)
        if "href" in attrs:
            assert attrs["href"].startswith(("https://", "http://", "mailto:", "/", "#")), (source, attrs)
            assert not attrs["href"].startswith("//"), (source, attrs)
        if "src" in attrs:
            assert attrs["src"].startswith("/") and not attrs["src"].startswith("//"), (source, attrs)


def test_markdown_renders_with_safe_links_and_same_site_images():
    html = str(
        markdown_to_html("# Title\n\n**bold** [docs](https://docs.example/a?b=1&c=2)\n\n![logo](/static/logo.svg)")
    )
    assert html == (
        "<h1>Title</h1>\n"
        '<p><strong>bold</strong> <a href="https://docs.example/a?b=1&amp;c=2" rel="nofollow noopener noreferrer">'
        "docs</a></p>\n"
        '<p><img src="/static/logo.svg" alt="logo"></p>\n'
    )


def test_raw_html_is_shown_as_text():
    assert str(markdown_to_html("Hello <b>there</b>")) == "<p>Hello &lt;b&gt;there&lt;/b&gt;</p>\n"


def test_plain_text_excerpt_has_no_markup_and_is_cut():
    assert markdown_to_text("# Reset\n\nTurn it **off** & <i>on</i>.") == "Reset Turn it off & <i>on</i>."
    assert markdown_to_text("word " * 100, limit=20) == "word word word word…"
