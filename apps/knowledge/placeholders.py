"""`{article:<slug or id>}` in canned responses and macros: the article's title and its portal link, registered in
apps/tickets/extensions.py `reply_placeholders` (apps.py) and filled by apps/macros/placeholders.py.

Saving a macro checks the argument (`article_placeholder_check`): it must name an article whose English version
(the one every reader falls back to) is published for requesters (public or signed-in requesters); an unknown
article, a draft or an agents-only article is refused with the reason. Filling it (`article_placeholder_text`)
reads the article as the ticket's requester may: the variant in the ticket's language (else the requester's, else
English), and nothing when they may not read it (then the placeholder is sent as written).
"""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.tickets.extensions import ReplyPlaceholder

from .choices import ArticleStatus, Audience
from .models import Article
from .permissions import REQUESTER_AUDIENCES
from .selectors import FALLBACK_LANGUAGE, article_get_for_reader, articles_visible_to
from .tasks import absolute


def placeholder_for(article: Article) -> str:
    """What to write in a canned response to refer to this article (every language variant: the same)."""
    return f"{{article:{article.slug}}}"


def _slug(argument: str, articles) -> str | None:
    """The slug an argument names: an article's id (any of its variants) or its slug."""
    if argument.isdigit():
        return articles.filter(pk=int(argument)).values_list("slug", flat=True).first()
    return argument


def article_placeholder_check(argument: str) -> None:
    """Refuse an article a requester could not read: unknown, a draft, for agents only, or without English version."""
    slug = _slug(argument, Article.objects.all())
    variants = {a.language: a for a in Article.objects.filter(slug=slug).only("language", "status", "audience")}
    if not variants:
        raise ValidationError(gettext("{article:%(arg)s}: there is no such article.") % {"arg": argument})
    named = variants.get(FALLBACK_LANGUAGE)
    if argument.isdigit():
        named = Article.objects.only("language", "status", "audience").get(pk=int(argument))
    for article in (named, variants.get(FALLBACK_LANGUAGE)):
        if article is None:
            raise ValidationError(
                gettext(
                    "{article:%(arg)s}: the article has no English version, the one sent when the ticket's "
                    "language has none."
                )
                % {"arg": argument}
            )
        if article.status != ArticleStatus.PUBLISHED:
            raise ValidationError(
                gettext("{article:%(arg)s}: the article (%(language)s) is a draft; publish it first.")
                % {"arg": argument, "language": article.language}
            )
        if article.audience not in REQUESTER_AUDIENCES:
            raise ValidationError(
                gettext(
                    "{article:%(arg)s}: the article (%(language)s) is for %(audience)s; a reply may only link to "
                    "articles requesters may read."
                )
                % {"arg": argument, "language": article.language, "audience": Audience(article.audience).label}
            )


def article_placeholder_text(argument: str, ticket, agent) -> str:
    """The article's title and portal link, as the ticket's requester may read it; "" when they may not."""
    requester = ticket.requester
    slug = _slug(argument, articles_visible_to(requester))
    if not slug:
        return ""
    language = ticket.language or requester.language or FALLBACK_LANGUAGE
    try:
        article = article_get_for_reader(user=requester, slug=slug, language=language)
    except Http404:
        return ""
    return f"{article.title}: {absolute(reverse('portal:help_article', args=[article.slug]))}"


ARTICLE_PLACEHOLDER = ReplyPlaceholder(
    name="article",
    label=_(
        "an article's title and its portal link, in the ticket's language; the article's page under Work › "
        "Articles shows what to write"
    ),
    argument=_("slug or id"),
    validate=article_placeholder_check,
    render=article_placeholder_text,
)
