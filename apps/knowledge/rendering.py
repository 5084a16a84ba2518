"""Article bodies: Markdown to HTML, then through a sanitizer, so that nothing an author writes runs in a reader's
browser.

Markdown is parsed by markdown-it-py (CommonMark plus tables) with raw HTML turned off: `<script>` in a body is
shown as text. Its output then goes through nh3 with an allow-list of tags and attributes: links keep only
http, https and mailto targets (and same-site paths) and get rel="nofollow noopener noreferrer"; images are
kept only from this site (a path such as /static/...), since an image from another host would tell that host
who reads what. Everything else (event handlers, style, iframes, `javascript:` and `data:` URLs) is dropped.
"""

import html
from urllib.parse import urlsplit

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_PARSER = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a", "img",
    "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}, "th": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}


def _same_site(url: str) -> bool:
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc and url.startswith("/") and not url.startswith("//")


def _attribute(tag: str, name: str, value: str) -> str | None:
    if tag == "img" and name == "src" and not _same_site(value):
        return None
    # Links: absolute http, https and mailto targets (nh3 checks the scheme) or this site's paths; a relative
    # target such as "java%09script:..." means nothing useful and is dropped.
    local = _same_site(value) or value.startswith("#")
    if tag == "a" and name == "href" and not local and urlsplit(value).scheme.lower() not in URL_SCHEMES:
        return None
    return value


def markdown_to_html(text: str) -> SafeString:
    """Safe HTML of a Markdown text (the sanitizer's output is the only thing marked safe)."""
    clean = nh3.clean(
        _PARSER.render(text or ""),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        attribute_filter=_attribute,
        strip_comments=True,
    )
    return mark_safe(clean)  # noqa: S308 — nh3's output, from an allow-list


def markdown_to_text(text: str, *, limit: int = 200) -> str:
    """Plain text of a Markdown body (no markup at all), cut at `limit` characters: excerpts of search results."""
    # Tags removed, then the entities the sanitizer wrote turned back into characters: the caller escapes.
    plain = " ".join(html.unescape(nh3.clean(_PARSER.render(text or ""), tags=set())).split())
    return plain if len(plain) <= limit else plain[: limit - 1].rstrip() + "…"
