"""What the API says about each item. Read-only; every object carries its public page (``url``) and
its API address (``api_url``), both absolute on the public site (SITE_URL).

Lists use the summary serializers; a detail adds the rows a summary only counts. Every serializer
reads what its view's queryset already fetched (``for_list()``, ``for_detail()``, prefetches), so no
field queries per row.
"""

from django.urls import reverse
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from evidence.annotations import CONTEXT as ANNOTATION_CONTEXT
from evidence.annotations import web_annotation
from evidence.links import absolute, claim_url
from evidence.models import (
    Claim,
    ClaimVersion,
    Evidence,
    SourceArticle,
    Study,
    StudyNotice,
    Substance,
    UnfoundReference,
    Warning,
    Wording,
)
from evidence.services.desk import public_reviewer


def api_url(name, **kwargs):
    return absolute(reverse(f"api:{name}", kwargs=kwargs))


@extend_schema_field(OpenApiTypes.URI)
class PageUrlField(serializers.Field):
    """The item's public HTML page, absolute."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, help_text="The item's public page.", **kwargs)

    def to_representation(self, obj):
        return absolute(obj.get_absolute_url())


@extend_schema_field(OpenApiTypes.URI)
class ApiUrlField(serializers.Field):
    """The item's address in this API, absolute."""

    def __init__(self, view_name, lookup="slug", **kwargs):
        self.view_name, self.lookup = view_name, lookup
        super().__init__(source="*", read_only=True, help_text="The item in this API.", **kwargs)

    def to_representation(self, obj):
        return api_url(self.view_name, **{self.lookup: getattr(obj, self.lookup)})


# Small references to related items ---------------------------------------------------------------


class SubstanceRefSerializer(serializers.ModelSerializer):
    url = PageUrlField()
    api_url = ApiUrlField("substance-detail")

    class Meta:
        model = Substance
        fields = ["slug", "name", "url", "api_url"]


class ClaimRefSerializer(serializers.ModelSerializer):
    url = PageUrlField()
    api_url = ApiUrlField("claim-detail")

    class Meta:
        model = Claim
        fields = ["slug", "statement", "verdict", "certainty", "polarity", "url", "api_url"]


class StudyRefSerializer(serializers.ModelSerializer):
    url = PageUrlField()
    api_url = ApiUrlField("study-detail", lookup="key")

    class Meta:
        model = Study
        fields = ["key", "title", "year", "design", "population", "url", "api_url"]


class ArticleRefSerializer(serializers.ModelSerializer):
    url = PageUrlField()
    api_url = ApiUrlField("article-detail")

    class Meta:
        model = SourceArticle
        fields = ["slug", "title", "url", "api_url"]


class WarningRefSerializer(serializers.ModelSerializer):
    url = PageUrlField()
    api_url = ApiUrlField("warning-detail")

    class Meta:
        model = Warning
        fields = ["slug", "title", "severity", "certainty", "url", "api_url"]


# Passages as W3C Web Annotations (https://www.w3.org/TR/annotation-model/) ------------------------


def passage_annotation(passage, article=None):
    """A passage as the W3C Web Annotation every publisher of passages writes (evidence/annotations.py),
    with the API's references to the claim and the article and the wording verdict as fields."""
    article = article or passage.article
    return {
        "@context": ANNOTATION_CONTEXT,
        **web_annotation(passage, article, stamp=lambda value: value.isoformat()),
        "claim": ClaimRefSerializer(passage.claim).data,
        "article": ArticleRefSerializer(article).data,
        "wording": passage.wording,
        "wording_note": passage.wording_note,
    }


class ConstantField(serializers.CharField):
    """A string that is always ``value`` (a JSON-LD type or context)."""

    def __init__(self, value, **kwargs):
        self.value = value
        super().__init__(**kwargs)


class ConstantFieldExtension(OpenApiSerializerFieldExtension):
    target_class = ConstantField

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "enum": [self.target.value]}


class TextQuoteSelectorSerializer(serializers.Serializer):
    type = ConstantField("TextQuoteSelector")
    exact = serializers.CharField(help_text="The quoted text, exactly.")
    prefix = serializers.CharField(allow_blank=True, help_text="Up to 32 characters just before the quote.")
    suffix = serializers.CharField(allow_blank=True, help_text="Up to 32 characters just after the quote.")


class TextPositionSelectorSerializer(serializers.Serializer):
    type = ConstantField("TextPositionSelector")
    start = serializers.IntegerField(min_value=0, help_text="Where the quote starts, in code points.")
    end = serializers.IntegerField(min_value=0, help_text="Where it ends (exclusive).")


@extend_schema_field(
    PolymorphicProxySerializer(
        component_name="Selector",
        serializers={
            "TextQuoteSelector": TextQuoteSelectorSerializer,
            "TextPositionSelector": TextPositionSelectorSerializer,
        },
        resource_type_field_name="type",
        many=True,
    )
)
class SelectorListField(serializers.ListField):
    """A TextQuoteSelector, then a TextPositionSelector: two ways to find the same passage."""


class AnnotationTargetSerializer(serializers.Serializer):
    source = serializers.URLField(help_text="The article's page on KratomRef, whose text the selectors address.")
    via = serializers.URLField(required=False, help_text="Where KratomRef took the article's text from.")
    selector = SelectorListField()


class AnnotationBodySerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["SpecificResource", "TextualBody"])
    purpose = serializers.ChoiceField(choices=["linking", "assessing"])
    source = serializers.URLField(required=False, help_text="The reviewed claim (SpecificResource).")
    format = serializers.CharField(required=False)
    language = serializers.CharField(required=False, help_text="The language of the value (TextualBody).")
    value = serializers.CharField(required=False, help_text="The grade and the wording verdict (TextualBody).")


class AnnotationSerializer(serializers.Serializer):
    """A passage as a W3C Web Annotation. The fields describe what ``passage_annotation`` writes."""

    id = serializers.URLField(help_text="The passage's permanent anchor on the article page.")
    type = ConstantField("Annotation")
    motivation = ConstantField("assessing")
    created = serializers.DateTimeField()
    modified = serializers.DateTimeField()
    body = AnnotationBodySerializer(many=True)
    target = AnnotationTargetSerializer()
    claim = ClaimRefSerializer()
    article = ArticleRefSerializer()
    wording = serializers.ChoiceField(choices=Wording.choices, help_text="How faithfully the article words the claim.")
    wording_note = serializers.CharField(allow_blank=True)

    def get_fields(self):
        fields = super().get_fields()
        return {"@context": ConstantField(ANNOTATION_CONTEXT), **fields}

    def to_representation(self, passage):
        return passage_annotation(passage, self.context.get("article"))


# Claims ------------------------------------------------------------------------------------------


@extend_schema_field(
    {
        "type": "object",
        "nullable": True,
        "properties": {"name": {"type": "string"}, "url": {"type": "string", "format": "uri", "nullable": True}},
        "required": ["name", "url"],
    }
)
class ReviewedByField(serializers.Field):
    """Who last reviewed an item, as readers see it: a reviewer who chose to be named, else the team."""

    def __init__(self, **kwargs):
        kwargs.setdefault("source", "*")
        kwargs.setdefault("read_only", True)
        kwargs.setdefault(
            "help_text",
            "Who last reviewed it: “the KratomRef editors”, or a reviewer who chose to be named. Null before "
            "its first review.",
        )
        super().__init__(**kwargs)

    def to_representation(self, item):
        if not item.last_reviewed_at:
            return None
        reviewer = public_reviewer(item.last_reviewed_by if item.last_reviewed_by_id else None)
        return {"name": reviewer.name, "url": absolute(reviewer.url) if reviewer.url else None}


REVIEW_FIELDS = ["last_reviewed_at", "next_review_due", "reviewed_by"]
REVIEW_FIELD_HELP = {
    "last_reviewed_at": {"help_text": "When the review readers see was last confirmed (null before the first)."},
    "next_review_due": {"help_text": "When it is due to be reviewed again."},
}


class ClaimSerializer(serializers.ModelSerializer):
    grade = serializers.CharField(source="grade_label", help_text="Verdict and certainty as readers see them.")
    substances = SubstanceRefSerializer(many=True)
    evidence_count = serializers.IntegerField(help_text="Studies reviewed for the claim.")
    passage_count = serializers.IntegerField(help_text="Passages of reviewed articles that make the claim.")
    version = serializers.IntegerField(
        source="current_version", allow_null=True, help_text="The number of the current review version."
    )
    version_url = serializers.SerializerMethodField(help_text="The current version's pinned, citable page.")
    versions_url = serializers.SerializerMethodField(help_text="Every review version, in this API.")
    reviewed_by = ReviewedByField()
    url = PageUrlField()
    api_url = ApiUrlField("claim-detail")

    class Meta:
        model = Claim
        fields = [
            "slug",
            "statement",
            "topic",
            "verdict",
            "certainty",
            "polarity",
            "grade",
            "summary",
            "substances",
            "evidence_count",
            "passage_count",
            "version",
            "version_url",
            "versions_url",
            "first_published_at",
            "published_at",
            *REVIEW_FIELDS,
            "url",
            "api_url",
        ]
        extra_kwargs = {"summary": {"help_text": "The reviewer's summary, in Markdown."}, **REVIEW_FIELD_HELP}

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_version_url(self, claim):
        return claim_url(claim, claim.current_version) if claim.current_version else None

    @extend_schema_field(OpenApiTypes.URI)
    def get_versions_url(self, claim):
        return api_url("claim-version-list", slug=claim.slug)


class EvidenceSerializer(serializers.ModelSerializer):
    study = StudyRefSerializer()

    class Meta:
        model = Evidence
        fields = ["study", "direction", "note"]


class ClaimUnfoundReferenceSerializer(serializers.ModelSerializer):
    article = ArticleRefSerializer()

    class Meta:
        model = UnfoundReference
        fields = ["article", "citation", "searched"]


class ClaimDetailSerializer(ClaimSerializer):
    evidence = EvidenceSerializer(many=True, help_text="Each study's bearing on the claim.")
    passages = serializers.SerializerMethodField(help_text="Where reviewed articles make the claim.")
    warnings = WarningRefSerializer(many=True)
    unfound_references = ClaimUnfoundReferenceSerializer(
        many=True, help_text="Sources articles cite that were not found."
    )

    class Meta(ClaimSerializer.Meta):
        fields = [*ClaimSerializer.Meta.fields, "evidence", "passages", "warnings", "unfound_references"]

    @extend_schema_field(AnnotationSerializer(many=True))
    def get_passages(self, claim):
        return [passage_annotation(passage) for passage in claim.passages.all()]


class ClaimVersionSerializer(serializers.ModelSerializer):
    claim = serializers.CharField(source="claim.slug", help_text="The claim's slug.")
    statement = serializers.SerializerMethodField(help_text="The statement as this version recorded it.")
    verdict = serializers.SerializerMethodField(help_text="The verdict as recorded (a stored verdict value).")
    certainty = serializers.SerializerMethodField(help_text="The certainty as recorded (a stored value).")
    url = serializers.SerializerMethodField(help_text="This version's pinned, citable page.")
    api_url = serializers.SerializerMethodField(help_text="This version in this API.")

    class Meta:
        model = ClaimVersion
        fields = [
            "claim",
            "number",
            "approved_at",
            "change_note",
            "statement",
            "verdict",
            "certainty",
            "url",
            "api_url",
        ]

    def get_statement(self, version) -> str:
        return str(version.snapshot.get("statement", ""))

    def get_verdict(self, version) -> str:
        return str(version.snapshot.get("verdict", ""))

    def get_certainty(self, version) -> str:
        return str(version.snapshot.get("certainty", ""))

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, version):
        return claim_url(version.claim, version.number)

    @extend_schema_field(OpenApiTypes.URI)
    def get_api_url(self, version):
        return api_url("claim-version-detail", slug=version.claim.slug, number=version.number)


class ClaimVersionDetailSerializer(ClaimVersionSerializer):
    snapshot = serializers.JSONField(
        help_text="The review exactly as the public read it after this approval: statement, grade, summary, "
        "substances, evidence with each study's citation, passages, unfound references, warnings."
    )

    class Meta(ClaimVersionSerializer.Meta):
        fields = [*ClaimVersionSerializer.Meta.fields, "snapshot"]


# Studies, articles, substances, warnings ---------------------------------------------------------


class StudyNoticeSerializer(serializers.ModelSerializer):
    date = serializers.DateField(source="notice_date", allow_null=True, help_text="When the notice appeared.")
    url = serializers.CharField(source="link", help_text="The notice itself (its page or doi.org); may be empty.")

    class Meta:
        model = StudyNotice
        fields = ["nature", "date", "url", "source"]
        extra_kwargs = {"source": {"help_text": "Where the notice was recorded, e.g. Retraction Watch."}}


class StudySerializer(serializers.ModelSerializer):
    authors = serializers.SerializerMethodField(help_text="The authors, when they were confirmed; else empty.")
    # Addresses curators recorded are given as recorded (not every one is a strict RFC 3986 URI).
    source_url = serializers.CharField(source="url", help_text="The study's own address, if any.")
    verified_on = serializers.CharField(help_text="The page its identifiers were checked on.")
    reader_url = serializers.CharField(help_text="Where to read it: doi.org, PubMed, or its own address.")
    claim_count = serializers.IntegerField(help_text="Published claims that cite it.")
    notices = StudyNoticeSerializer(
        many=True,
        help_text="Publishers' notices about it: retraction, expression of concern, correction, reinstatement.",
    )
    url = PageUrlField()
    api_url = ApiUrlField("study-detail", lookup="key")

    class Meta:
        model = Study
        fields = [
            "key",
            "title",
            "title_is_descriptive",
            "authors",
            "authors_confirmed",
            "venue",
            "year",
            "doi",
            "pmid",
            "pmcid",
            "source_url",
            "reader_url",
            "design",
            "population",
            "sample_size",
            "finding",
            "verified_on",
            "claim_count",
            "notices",
            "url",
            "api_url",
        ]

    def get_authors(self, study) -> str:
        return study.authors if study.authors_confirmed else ""


class StudyEvidenceSerializer(serializers.ModelSerializer):
    claim = ClaimRefSerializer()

    class Meta:
        model = Evidence
        fields = ["claim", "direction", "note"]


class StudyDetailSerializer(StudySerializer):
    evidence = StudyEvidenceSerializer(many=True, help_text="The published claims it bears on, and how.")
    warnings = WarningRefSerializer(many=True)

    class Meta(StudySerializer.Meta):
        fields = [*StudySerializer.Meta.fields, "evidence", "warnings"]


class ArticleSerializer(serializers.ModelSerializer):
    original_url = serializers.CharField(help_text="Where the article was published, as recorded (may be empty).")
    passage_count = serializers.IntegerField(help_text="Reviewed passages shown on its page.")
    url = PageUrlField()
    api_url = ApiUrlField("article-detail")

    class Meta:
        model = SourceArticle
        fields = [
            "slug",
            "title",
            "site",
            "original_url",
            "stated_author",
            "stated_credentials",
            "reviewer_note",
            "published_on",
            "imported_at",
            "content_hash",
            "full_text_shown",
            "passage_count",
            "url",
            "api_url",
        ]
        extra_kwargs = {
            "content_hash": {"help_text": "SHA-256 of the article text as imported (the text the passages address)."},
            "full_text_shown": {
                "help_text": "Whether KratomRef shows the whole text (an editor recorded why that is allowed); "
                "otherwise only the reviewed passages, with their quote and context, are given."
            },
        }


class ArticleUnfoundReferenceSerializer(serializers.ModelSerializer):
    claim = ClaimRefSerializer()

    class Meta:
        model = UnfoundReference
        fields = ["claim", "citation", "searched"]


class ArticleDetailSerializer(ArticleSerializer):
    passages = serializers.SerializerMethodField(help_text="Each reviewed passage, as a W3C Web Annotation.")
    unfound_references = ArticleUnfoundReferenceSerializer(
        many=True, source="public_unfound_references", help_text="Sources it cites that could not be found."
    )
    omitted_warnings = WarningRefSerializer(
        many=True, help_text="Warnings that bear on what the article recommends but that it never mentions."
    )

    text = serializers.SerializerMethodField(
        help_text="The article text the passages' offsets address, where its whole text is shown "
        "(`full_text_shown`); null otherwise: the text belongs to its publisher."
    )

    class Meta(ArticleSerializer.Meta):
        fields = [*ArticleSerializer.Meta.fields, "text", "passages", "unfound_references", "omitted_warnings"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_text(self, article):
        return article.text if article.full_text_shown else None

    @extend_schema_field(AnnotationSerializer(many=True))
    def get_passages(self, article):
        return [passage_annotation(passage, article) for passage in article.public_passages]


class SubstanceSerializer(serializers.ModelSerializer):
    synonyms = serializers.SerializerMethodField(help_text="Other names readers use.")
    parent = SubstanceRefSerializer(source="public_parent", allow_null=True, help_text="What it is part of.")
    claim_count = serializers.IntegerField(help_text="Published claims about it.")
    url = PageUrlField()
    api_url = ApiUrlField("substance-detail")

    class Meta:
        model = Substance
        fields = [
            "slug",
            "name",
            "scientific_name",
            "kind",
            "synonyms",
            "summary",
            "parent",
            "claim_count",
            "url",
            "api_url",
        ]

    def get_synonyms(self, substance) -> list[str]:
        synonyms = substance.synonyms if isinstance(substance.synonyms, list) else []
        return [name for name in synonyms if isinstance(name, str)]


class SubstanceDetailSerializer(SubstanceSerializer):
    children = SubstanceRefSerializer(many=True, help_text="Its published parts (alkaloids, metabolites).")
    claims = ClaimRefSerializer(many=True)
    warnings = WarningRefSerializer(many=True)

    class Meta(SubstanceSerializer.Meta):
        fields = [*SubstanceSerializer.Meta.fields, "children", "claims", "warnings"]


class WarningSerializer(serializers.ModelSerializer):
    substances = SubstanceRefSerializer(many=True)
    study_count = serializers.IntegerField(help_text="Published studies behind it.")
    reviewed_by = ReviewedByField()
    url = PageUrlField()
    api_url = ApiUrlField("warning-detail")

    class Meta:
        model = Warning
        fields = [
            "slug",
            "title",
            "severity",
            "certainty",
            "text",
            "substances",
            "study_count",
            *REVIEW_FIELDS,
            "url",
            "api_url",
        ]
        extra_kwargs = {"text": {"help_text": "The warning, in Markdown."}, **REVIEW_FIELD_HELP}


class WarningDetailSerializer(WarningSerializer):
    studies = StudyRefSerializer(many=True)
    claims = ClaimRefSerializer(many=True, help_text="Claims it bears on.")

    class Meta(WarningSerializer.Meta):
        fields = [*WarningSerializer.Meta.fields, "studies", "claims"]


class RootSerializer(serializers.Serializer):
    claims = serializers.URLField()
    studies = serializers.URLField()
    articles = serializers.URLField()
    substances = serializers.URLField()
    warnings = serializers.URLField()
    schema = serializers.URLField(help_text="This API's OpenAPI 3 schema.")
    docs = serializers.URLField(help_text="Interactive documentation.")
