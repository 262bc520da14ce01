"""The read-only API's views: one list and one detail per kind of item, and claim review versions.

Every queryset starts from ``published()`` (a detail also answers 410 for a withdrawn item and 301
for a renamed one, as the HTML pages do); lists filter with the HTML lists' FilterSets and page by
cursor; every 200 carries ETag and Last-Modified and answers 304 when unchanged.
"""

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponsePermanentRedirect
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import viewsets
from rest_framework.exceptions import NotAcceptable, NotFound
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from evidence.api import serializers as api
from evidence.api.caching import conditional
from evidence.api.errors import (
    ErrorSerializer,
    ThrottledSerializer,
    ValidationErrorSerializer,
    WithdrawnSerializer,
    withdrawn_body,
)
from evidence.filters import ArticleFilter, ClaimFilter, StudyFilter, SubstanceFilter, WarningFilter
from evidence.links import absolute
from evidence.models import (
    PUBLIC_STATUSES,
    Certainty,
    Claim,
    ClaimVersion,
    Evidence,
    Passage,
    SlugRedirect,
    SourceArticle,
    Status,
    Study,
    Substance,
    UnfoundReference,
    Verdict,
    Warning,
    WarningQuerySet,
)
from evidence.models.choices import rank

SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"  # Django's slug path converter
LARGEST_VERSION = 2**31 - 1  # a version number past any the database holds answers 404, not an error


class OwnFormat(DefaultContentNegotiation):
    """A view answers in its own format (JSON; the docs page in HTML) whatever else a client asks for."""

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except (NotAcceptable, Http404):
            return renderers[0], renderers[0].media_type


class PublicAPIMixin:
    content_negotiation_class = OwnFormat

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        return conditional(request, response)


# What every operation may answer, for the schema ----------------------------------------------------

CONDITIONAL_HEADERS = [
    OpenApiParameter(
        "If-None-Match",
        str,
        OpenApiParameter.HEADER,
        description="An ETag from an earlier answer: 304 if it is still current.",
    ),
    OpenApiParameter(
        "If-Modified-Since",
        str,
        OpenApiParameter.HEADER,
        description="An HTTP date: 304 if the library has not changed since.",
    ),
    OpenApiParameter("ETag", str, OpenApiParameter.HEADER, response=[200], description="A hash of this answer."),
    OpenApiParameter(
        "Last-Modified", str, OpenApiParameter.HEADER, response=[200], description="When the library last changed."
    ),
    OpenApiParameter(
        "Retry-After", int, OpenApiParameter.HEADER, response=[429], description="Seconds to wait before asking again."
    ),
    OpenApiParameter(
        "Location", str, OpenApiParameter.HEADER, response=[301], description="The item's new address in this API."
    ),
]
NOT_MODIFIED = OpenApiResponse(description="Not modified: the copy named by If-None-Match or If-Modified-Since.")
THROTTLED = OpenApiResponse(ThrottledSerializer, description="Too many requests from this address; see Retry-After.")
TOO_SLOW = OpenApiResponse(ErrorSerializer, description="The request took too long; try again or narrow it down.")
BAD_QUERY = OpenApiResponse(
    ValidationErrorSerializer, description="A filter value, the cursor or the page size was not understood."
)
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such item (or not published).")
MOVED = OpenApiResponse(description="The item was renamed: Location gives its new address in this API.")
GONE = OpenApiResponse(WithdrawnSerializer, description="The item was published, then withdrawn by an editor.")


def list_schema(serializer, description):
    return extend_schema(
        description=description,
        parameters=CONDITIONAL_HEADERS,
        responses={200: serializer(many=True), 304: NOT_MODIFIED, 400: BAD_QUERY, 429: THROTTLED, 503: TOO_SLOW},
    )


def address(name, description):
    return OpenApiParameter(name, str, OpenApiParameter.PATH, pattern=SLUG_PATTERN, description=description)


def detail_schema(serializer, description, *, lookup="slug"):
    responses = {
        200: serializer,
        301: MOVED,
        304: NOT_MODIFIED,
        404: NOT_FOUND,
        410: GONE,
        429: THROTTLED,
        503: TOO_SLOW,
    }
    parameters = [address(lookup, f"The item's {lookup}, as in its page's address."), *CONDITIONAL_HEADERS]
    return extend_schema(description=description, parameters=parameters, responses=responses)


# The library's items -------------------------------------------------------------------------------


class LibraryViewSet(PublicAPIMixin, viewsets.GenericViewSet):
    """A public list (filtered, cursor-paged) and detail of one kind of reviewed item."""

    model = None
    lookup_field = lookup_url_kwarg = "slug"
    detail_serializer_class = None
    not_found = "No such item."

    def get_serializer_class(self):
        return self.detail_serializer_class if self.action == "retrieve" else self.serializer_class

    def get_queryset(self):
        return self.detail_queryset() if self.action == "retrieve" else self.list_queryset()

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        key = kwargs[self.lookup_url_kwarg]
        obj = self.get_queryset().filter(**{self.lookup_field: key}).first()
        if obj is not None and obj.status == Status.WITHDRAWN:
            return self.moved(key) or Response(withdrawn_body(obj, absolute(obj.get_absolute_url())), status=410)
        if obj is None or not self.is_public(obj):
            moved = self.moved(key)
            if moved is None:
                raise NotFound(self.not_found)
            return moved
        self.prepare(obj)
        return Response(self.get_serializer(obj).data)

    def is_public(self, obj):
        return obj.status == Status.PUBLISHED

    def prepare(self, obj):
        """Read what the detail shows beyond its queryset (a few queries, never one per row)."""

    def moved(self, key):
        """A 301 to the item's new address when ``key`` was renamed (as the HTML page does)."""
        new_key = SlugRedirect.resolve(self.model._meta.model_name, key)
        if new_key is None:
            return None
        path = self.request.path.replace(f"/{key}/", f"/{new_key}/", 1)
        query = self.request.META.get("QUERY_STRING", "")
        return HttpResponsePermanentRedirect(f"{path}?{query}" if query else path)


def latest_version():
    return Subquery(
        ClaimVersion.objects.filter(claim=OuterRef("pk")).order_by("-number").values("number")[:1],
        output_field=IntegerField(),
    )


def count_of(queryset, column):
    """How many rows of ``queryset`` (filtered on ``OuterRef``) each outer row has, as a subquery."""
    counted = queryset.order_by().values(column).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def public_counts():
    """How many evidence rows (with a public study) and public passages each claim has."""
    evidence = Evidence.objects.filter(claim=OuterRef("pk"), study__in=Study.objects.published())
    passages = Passage.objects.published().filter(claim=OuterRef("pk"))
    return {"evidence_count": count_of(evidence, "claim"), "passage_count": count_of(passages, "claim")}


@extend_schema_view(
    list=list_schema(
        api.ClaimSerializer,
        "Published claim reviews. Filters are the claim list's (`/claims/`): `q` is the library's full-text "
        "search (best match first), `o` sorts as on the list.",
    ),
    retrieve=detail_schema(
        api.ClaimDetailSerializer,
        "One claim review with its evidence, passages (W3C Web Annotations), warnings and current version.",
    ),
)
class ClaimViewSet(LibraryViewSet):
    model = Claim
    serializer_class = api.ClaimSerializer
    detail_serializer_class = api.ClaimDetailSerializer
    filterset_class = ClaimFilter
    not_found = "No such claim."

    def annotate(self, queryset):
        return queryset.annotate(current_version=latest_version(), **public_counts())

    def list_queryset(self):
        return self.annotate(
            Claim.objects.published()
            .select_related("last_reviewed_by__reviewer_profile")
            .annotate(verdict_rank=rank("verdict", Verdict.values), certainty_rank=rank("certainty", Certainty.values))
            .prefetch_related(Prefetch("substances", queryset=Substance.objects.published()))
            .order_by("statement")
        )

    def detail_queryset(self):
        return self.annotate(Claim.objects.for_detail())


@extend_schema_view(
    list=list_schema(
        api.StudySerializer,
        "Published studies whose identifiers were verified. Filters are the study list's (`/studies/`).",
    ),
    retrieve=detail_schema(
        api.StudyDetailSerializer, "One study with the claims it bears on and its warnings.", lookup="key"
    ),
)
class StudyViewSet(LibraryViewSet):
    model = Study
    serializer_class = api.StudySerializer
    detail_serializer_class = api.StudyDetailSerializer
    filterset_class = StudyFilter
    lookup_field = lookup_url_kwarg = "key"
    not_found = "No such study."

    def list_queryset(self):
        return Study.objects.published().for_list()

    def detail_queryset(self):
        return Study.objects.for_detail().annotate(
            claim_count=Count("evidence", filter=Q(evidence__claim__status=Status.PUBLISHED))
        )

    def is_public(self, obj):
        return obj.status == Status.PUBLISHED and obj.is_verified


@extend_schema_view(
    list=list_schema(
        api.ArticleSerializer,
        "Reviewed source articles (metadata; the text itself is not republished). Filters are the article "
        "list's (`/articles/`).",
    ),
    retrieve=detail_schema(
        api.ArticleDetailSerializer,
        "One reviewed article: its passages as W3C Web Annotations (TextQuoteSelector and "
        "TextPositionSelector), unfound references, and the warnings it leaves out.",
    ),
)
class ArticleViewSet(LibraryViewSet):
    model = SourceArticle
    serializer_class = api.ArticleSerializer
    detail_serializer_class = api.ArticleDetailSerializer
    filterset_class = ArticleFilter
    not_found = "No such article."

    def list_queryset(self):
        return SourceArticle.objects.published().for_list().defer("text")

    def detail_queryset(self):
        # With its text: the detail gives it where the whole text is shown (full_text_shown).
        return SourceArticle.objects.with_passage_counts().prefetch_related(
            Prefetch(
                "passages",
                queryset=Passage.objects.published().select_related("claim").order_by("start"),
                to_attr="public_passages",
            ),
            Prefetch(
                "unfound_references",
                queryset=UnfoundReference.objects.filter(claim__in=Claim.objects.published())
                .select_related("claim")
                .order_by("citation", "pk"),
                to_attr="public_unfound_references",
            ),
        )

    def prepare(self, obj):
        obj.omitted_warnings = list(Warning.objects.omitted_by(obj))


@extend_schema_view(
    list=list_schema(api.SubstanceSerializer, "Kratom and its alkaloids. `q` is the library's full-text search."),
    retrieve=detail_schema(api.SubstanceDetailSerializer, "One substance with its parts, claims and warnings."),
)
class SubstanceViewSet(LibraryViewSet):
    model = Substance
    serializer_class = api.SubstanceSerializer
    detail_serializer_class = api.SubstanceDetailSerializer
    filterset_class = SubstanceFilter
    not_found = "No such substance."

    def list_queryset(self):
        return Substance.objects.for_list()

    def detail_queryset(self):
        return Substance.objects.for_detail().annotate(
            claim_count=Count("claims", filter=Q(claims__status=Status.PUBLISHED), distinct=True)
        )


@extend_schema_view(
    list=list_schema(
        api.WarningSerializer, "Safety warnings, most severe first. Filters are the warning list's (`/warnings/`)."
    ),
    retrieve=detail_schema(api.WarningDetailSerializer, "One warning with its studies and the claims it bears on."),
)
class WarningViewSet(LibraryViewSet):
    model = Warning
    serializer_class = api.WarningSerializer
    detail_serializer_class = api.WarningDetailSerializer
    filterset_class = WarningFilter
    not_found = "No such warning."

    def list_queryset(self):
        return (
            Warning.objects.published()
            .for_list()
            .select_related("last_reviewed_by__reviewer_profile")
            .annotate(severity_rank=WarningQuerySet.SEVERITY_ORDER)
            .order_by("severity_rank", "title")
        )

    def detail_queryset(self):
        return Warning.objects.for_detail().annotate(
            study_count=Count("studies", filter=Q(studies__status=Status.PUBLISHED, studies__is_verified=True))
        )


# Claim review versions -----------------------------------------------------------------------------

SLUG = address("slug", "The claim's slug, as in its page's address.")
NUMBER = OpenApiParameter("number", int, OpenApiParameter.PATH, description="The version number, from 1.")


@extend_schema_view(
    list=extend_schema(
        description="Every review version of a claim, newest first: what changed, when, and its pinned page. "
        "Versions stay readable after a claim is withdrawn.",
        parameters=[SLUG, *CONDITIONAL_HEADERS],
        responses={
            200: api.ClaimVersionSerializer(many=True),
            301: MOVED,
            304: NOT_MODIFIED,
            400: BAD_QUERY,
            404: NOT_FOUND,
            429: THROTTLED,
            503: TOO_SLOW,
        },
    ),
    retrieve=extend_schema(
        description="One review version exactly as recorded at its approval (its snapshot).",
        parameters=[SLUG, NUMBER, *CONDITIONAL_HEADERS],
        responses={
            200: api.ClaimVersionDetailSerializer,
            301: MOVED,
            304: NOT_MODIFIED,
            404: NOT_FOUND,
            429: THROTTLED,
            503: TOO_SLOW,
        },
    ),
)
class ClaimVersionViewSet(PublicAPIMixin, viewsets.GenericViewSet):
    queryset = ClaimVersion.objects.none()
    serializer_class = api.ClaimVersionSerializer
    filter_backends = []

    def get_serializer_class(self):
        return api.ClaimVersionDetailSerializer if self.action == "retrieve" else api.ClaimVersionSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the view's shape
            return ClaimVersion.objects.none()
        return ClaimVersion.objects.filter(claim=self.claim).select_related("claim").order_by("-number")

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        slug = kwargs["slug"]
        self.claim = Claim.objects.filter(slug=slug).first()
        if self.claim is None or self.claim.status not in PUBLIC_STATUSES:
            new_slug = SlugRedirect.resolve(Claim._meta.model_name, slug)
            if new_slug is None:
                raise NotFound("No such claim.")
            self.claim = None
            self.moved_to = request.path.replace(f"/{slug}/", f"/{new_slug}/", 1)

    def moved(self):
        query = self.request.META.get("QUERY_STRING", "")
        return HttpResponsePermanentRedirect(f"{self.moved_to}?{query}" if query else self.moved_to)

    def list(self, request, *args, **kwargs):
        if self.claim is None:
            return self.moved()
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        if self.claim is None:
            return self.moved()
        number = kwargs["number"]
        version = self.get_queryset().filter(number=number).first() if number <= LARGEST_VERSION else None
        if version is None:
            raise NotFound("No such version of this claim.")
        return Response(self.get_serializer(version).data)


# The API's root, its docs, and addresses it does not have ------------------------------------------


class RootView(PublicAPIMixin, APIView):
    @extend_schema(
        description="Where each resource, the schema and the docs are.",
        parameters=CONDITIONAL_HEADERS,
        responses={200: api.RootSerializer, 304: NOT_MODIFIED, 429: THROTTLED},
    )
    def get(self, request):
        names = ["claim-list", "study-list", "article-list", "substance-list", "warning-list", "schema", "docs"]
        keys = ["claims", "studies", "articles", "substances", "warnings", "schema", "docs"]
        return Response({key: api.api_url(name) for key, name in zip(keys, names, strict=True)})


class NotFoundView(PublicAPIMixin, APIView):
    """Any other address under the API: a JSON 404 that points to the root."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        raise NotFound(f"There is nothing at this address; the API's resources are listed at {api.api_url('root')}.")


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI from the app's own files (drf-spectacular-sidecar), under the site's strict CSP: the
    page loads only files (no inline script or style) and its setup script comes from this view."""

    content_negotiation_class = OwnFormat
    template_name = "api/docs.html"
    url_name = "api:schema"
    title = "KratomRef API"
