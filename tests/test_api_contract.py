"""The API against its own OpenAPI schema: schemathesis generates requests from the schema that
/api/v1/schema/ serves and checks every answer — no server error; status codes, headers and bodies
as declared — on the seed library.

The schema is generated in process when this module is imported (schemathesis' lazy fixture loader
does not run under this pytest), and a test checks it is exactly the one the API serves.
"""

import json

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from kratomref.wsgi import application

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 8  # per operation and phase: keeps the module under a minute on SQLite, seed library included


def own_schema():
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


CONFIG = {
    "generation": {"max-examples": MAX_EXAMPLES},
    # Whether a well-formed value names something (a substance's slug, a cursor the API gave out)
    # depends on the data, not the schema: the API answers 400 for those, as documented.
    "checks": {"positive_data_acceptance": {"enabled": False}},
}
schema = schemathesis.openapi.from_dict(own_schema(), config=SchemathesisConfig.from_dict(CONFIG))
schema.app = application  # requests go through the WSGI application, in process


@pytest.fixture
def in_process():
    """Keep the test's database connection across in-process requests, as Django's test client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_the_schema_tested_here_is_the_one_the_api_serves(client):
    served = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert served.status_code == 200 and served.headers["Content-Type"].startswith("application/")
    assert json.loads(served.content) == own_schema()


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_generated_request_gets_an_answer_the_schema_declares(case, seed_library_module, in_process):
    case.call_and_validate()


def test_every_public_item_of_the_seed_library_is_answered_as_the_schema_says(seed_library_module, in_process):
    """Generated requests mostly miss real items; this asks for each one and checks it against the schema."""
    from evidence.models import Claim, SourceArticle, Study, Substance, Warning

    items = {
        "/api/v1/claims/{slug}/": [{"slug": s} for s in Claim.objects.published().values_list("slug", flat=True)],
        "/api/v1/studies/{key}/": [{"key": k} for k in Study.objects.published().values_list("key", flat=True)],
        "/api/v1/articles/{slug}/": [
            {"slug": s} for s in SourceArticle.objects.published().values_list("slug", flat=True)
        ],
        "/api/v1/substances/{slug}/": [
            {"slug": s} for s in Substance.objects.published().values_list("slug", flat=True)
        ],
        "/api/v1/warnings/{slug}/": [{"slug": s} for s in Warning.objects.published().values_list("slug", flat=True)],
        "/api/v1/claims/{slug}/versions/{number}/": [
            {"slug": claim.slug, "number": claim.versions.order_by("-number").first().number}
            for claim in Claim.objects.published()[:10]
        ],
    }
    lists = ["claims", "studies", "articles", "substances", "warnings"]
    for path, parameters in items.items():
        assert parameters, path
        for values in parameters:
            response = schema[path]["GET"].Case(path_parameters=values).call_and_validate()
            assert response.status_code == 200, (path, values)
    for name in lists:
        response = schema[f"/api/v1/{name}/"]["GET"].Case(query={"page_size": 100}).call_and_validate()
        assert response.status_code == 200 and response.json()["results"], name
