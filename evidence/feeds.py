"""Atom feeds of new and changed reviews and newly reviewed articles.

``/feeds/reviews.atom`` has one entry per review version, newest first: a claim's first version
("New review") and each later approval ("Revised review"), each linking to the version's pinned,
citable address, with the change note as its summary and the verdict and certainty in its title.
Only versions of public claims appear; a draft never does. A claim that was withdrawn keeps its
entries, because its pinned versions stay readable (with a banner saying it was withdrawn): the
summary says so, and subscribers who saw the entry before are not left with a broken link.

``/feeds/articles.atom`` has the published articles, the most recently first published first.

Every address in a feed is absolute on SITE_URL, whatever host the request came to. The author of
every entry is KratomRef: no account name appears.
"""

from django.contrib.syndication.views import Feed
from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from evidence.dataset import LICENCE
from evidence.links import absolute, claim_url
from evidence.models import Certainty, ClaimVersion, SourceArticle, Status, Verdict

FEED_LENGTH = 50
AUTHOR = "KratomRef"


class LibraryFeed(Feed):
    feed_type = Atom1Feed
    author_name = AUTHOR
    url_name = ""

    def link(self):
        return absolute(reverse("evidence:home"))

    def feed_url(self):
        return absolute(reverse(self.url_name))

    def feed_guid(self):
        return self.feed_url()

    def feed_copyright(self):
        return _("KratomRef’s reviews are under %(licence)s (%(url)s).") % {
            "licence": LICENCE["title"],
            "url": LICENCE["path"],
        }

    def item_author_name(self, item):
        return AUTHOR

    def item_guid_is_permalink(self, item):
        return True


class ReviewFeed(LibraryFeed):
    url_name = "evidence:feed-reviews"
    title = gettext_lazy("KratomRef: new and revised claim reviews")
    subtitle = gettext_lazy("Every approved version of a claim review, newest first, linking to its permanent address.")

    def items(self):
        return (
            ClaimVersion.objects.filter(claim__status__in=(Status.PUBLISHED, Status.WITHDRAWN))
            .select_related("claim")
            .only("claim__slug", "claim__status", "number", "approved_at", "change_note", "snapshot")
            .order_by("-approved_at", "-pk")[:FEED_LENGTH]
        )

    def item_title(self, version):
        snapshot = version.snapshot
        verdicts, certainties = dict(Verdict.choices), dict(Certainty.choices)
        grade = "{} · {}".format(
            verdicts.get(snapshot.get("verdict"), snapshot.get("verdict", "")),
            _("%(certainty)s certainty")
            % {"certainty": str(certainties.get(snapshot.get("certainty"), snapshot.get("certainty", ""))).lower()},
        )
        statement = snapshot.get("statement") or version.claim.slug
        if version.number == 1:
            return _("New review: %(statement)s — %(grade)s") % {"statement": statement, "grade": grade}
        return _("Revised review (version %(n)s): %(statement)s — %(grade)s") % {
            "n": version.number,
            "statement": statement,
            "grade": grade,
        }

    def item_description(self, version):
        # Atom's summary here is HTML: the curator's note is escaped, its line breaks kept.
        summary = format_html("<p>{}</p>", linebreaksbr(version.change_note, autoescape=True))
        if version.claim.status == Status.WITHDRAWN:
            summary += format_html(
                "<p>{}</p>",
                _("This review has since been withdrawn; this version stays readable at its permanent address."),
            )
        return summary

    def item_link(self, version):
        return claim_url(version.claim, version.number)

    def item_pubdate(self, version):
        return version.approved_at

    def item_updateddate(self, version):
        return version.approved_at  # a version never changes after its approval

    def item_categories(self, version):
        return [value for value in (version.snapshot.get("verdict"), version.snapshot.get("certainty")) if value]


class ArticleFeed(LibraryFeed):
    url_name = "evidence:feed-articles"
    title = gettext_lazy("KratomRef: newly reviewed articles")
    subtitle = gettext_lazy("Articles whose claims KratomRef has reviewed, passage by passage, newest first.")

    def items(self):
        return (
            SourceArticle.objects.published()
            .with_passage_counts()
            .defer("text")
            .order_by("-first_published_at", "-pk")[:FEED_LENGTH]
        )

    def item_title(self, article):
        return article.title

    def item_description(self, article):
        graded = ngettext("%(n)s claim passage graded.", "%(n)s claim passages graded.", article.passage_count) % {
            "n": article.passage_count
        }
        source = " · ".join(part for part in [article.site, article.stated_author] if part)
        if source:
            return format_html("<p>{}</p><p>{}</p>", source, graded)
        return format_html("<p>{}</p>", graded)

    def item_link(self, article):
        return absolute(article.get_absolute_url())

    def item_pubdate(self, article):
        return article.first_published_at

    def item_updateddate(self, article):
        return article.published_at
