"""What crawlers and browsers ask the site's root for: /sitemap.xml, /robots.txt and /favicon.ico.

The sitemap lists every public page a search engine should know (published claims, articles,
verified studies, warnings, substances, and the home, list and how-we-grade pages) at its
absolute address on ``SITE_URL`` — never the host a request happened to use — with ``lastmod``
from when its current public state was approved. robots.txt lets every crawler read the library
and the API (/api/ stays allowed), keeps them out of the report form, and points to the sitemap.
A custom ``ADMIN_URL`` is deliberately *not* named there: robots.txt is public, and the point of
moving the admin is that scanners cannot find it. No public page links to the admin, and every
admin response says ``X-Robots-Tag: noindex`` (evidence/middleware.py). The default ``admin/`` is
no secret, so it is disallowed by name.

Browsers ask for /favicon.ico whatever the page's ``<link rel="icon">`` says: it answers with an
ICO drawn with Pillow after ``static/favicon.svg`` (a white tick on the brand green).
"""

import io
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import sitemap as sitemap_view
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from evidence.links import absolute
from evidence.models import Claim, SourceArticle, Study, Substance, Warning

FAVICON_GREEN = "#1e6b3a"  # static/favicon.svg
CACHE_SECONDS = 3600


class PublicSitemap(Sitemap):
    """Locations on SITE_URL (scheme and host), whatever host the request came in on."""

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme or "https"

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc


class PageSitemap(PublicSitemap):
    """The pages that are not library items: home, the lists, how we grade, corrections, data."""

    changefreq = "weekly"
    names = [
        "evidence:home",
        "evidence:article-list",
        "evidence:claim-list",
        "evidence:study-list",
        "evidence:warning-list",
        "evidence:substance-list",
        "evidence:how-we-grade",
        "evidence:corrections",
        "evidence:dataset-list",
    ]

    def items(self):
        return self.names

    def location(self, item):
        return reverse(item)


class ReviewedSitemap(PublicSitemap):
    """Published library items of one model, in a stable order, ``lastmod`` from their approval."""

    model = None
    order = ("pk",)

    def items(self):
        return (
            self.model.objects.published().only("pk", "published_at", "updated_at", *self.fields).order_by(*self.order)
        )

    def lastmod(self, item):
        return item.published_at or item.updated_at


class ClaimSitemap(ReviewedSitemap):
    model, fields = Claim, ("slug",)


class ArticleSitemap(ReviewedSitemap):
    model, fields = SourceArticle, ("slug",)


class StudySitemap(ReviewedSitemap):
    model, fields = Study, ("key",)


class WarningSitemap(ReviewedSitemap):
    model, fields = Warning, ("slug",)


class SubstanceSitemap(ReviewedSitemap):
    model, fields = Substance, ("slug",)


SITEMAPS = {
    "pages": PageSitemap,
    "claims": ClaimSitemap,
    "articles": ArticleSitemap,
    "studies": StudySitemap,
    "warnings": WarningSitemap,
    "substances": SubstanceSitemap,
}


@require_safe
@cache_control(public=True, max_age=CACHE_SECONDS)
def sitemap(request):
    """``/sitemap.xml``: every public page, absolute on SITE_URL."""
    return sitemap_view(request, sitemaps=SITEMAPS)


def robots_lines():
    lines = ["User-agent: *", "Allow: /"]
    if settings.ADMIN_URL == "admin/":  # a custom admin address stays unpublished (see the docstring)
        lines.append("Disallow: /admin/")
    lines += [
        f"Disallow: {reverse('evidence:report')}",
        "",
        f"Sitemap: {absolute(reverse('sitemap'))}",
    ]
    return lines


@require_safe
@cache_control(public=True, max_age=CACHE_SECONDS)
def robots_txt(request):
    """``/robots.txt``: read everything but the report form (and the default admin); here is the sitemap."""
    return HttpResponse("\n".join(robots_lines()) + "\n", content_type="text/plain; charset=utf-8")


@lru_cache(maxsize=1)
def favicon_bytes():
    """``static/favicon.svg`` as an ICO (16, 32 and 48 px): a white tick on a rounded green square."""
    from PIL import Image, ImageDraw

    scale = 8  # draw large, then let Pillow scale down each size
    side = 32 * scale
    image = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, side - 1, side - 1), radius=6 * scale, fill=FAVICON_GREEN)
    tick = [(9 * scale, 17 * scale), (14 * scale, 22 * scale), (23 * scale, 10 * scale)]
    width = round(3.5 * scale)
    draw.line(tick, fill="white", width=width, joint="curve")
    for x, y in (tick[0], tick[-1]):  # round caps
        draw.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill="white")
    out = io.BytesIO()
    image.save(out, format="ICO", sizes=[(16, 16), (32, 32), (48, 48)])
    return out.getvalue()


@require_safe
@cache_control(public=True, max_age=86400)
def favicon(request):
    """``/favicon.ico``, which browsers ask for on their own."""
    return HttpResponse(favicon_bytes(), content_type="image/vnd.microsoft.icon")
