"""A reviewed passage as a W3C Web Annotation (https://www.w3.org/TR/annotation-model/).

One shape for every place that publishes passages this way: the API's claim and article responses
(evidence/api/serializers.py) and the data package's annotation collection
(evidence/dataset/library.py). The article's text as KratomRef reviewed it is the target, selected
by quote and by position (Unicode code points); the body links the reviewed claim and says its grade
and how the article words it.
"""

from evidence.links import absolute, claim_url

CONTEXT = "http://www.w3.org/ns/anno.jsonld"


def web_annotation(passage, article=None, *, stamp):
    """``passage`` as an annotation; ``stamp`` writes its dates (the API and the data package each
    keep their own date format). ``article`` saves a lookup when the caller has it."""
    article = article or passage.article
    page = absolute(article.get_absolute_url())
    value = passage.assessment + (f": {passage.wording_note}" if passage.wording_note else "")
    target = {"source": page}
    if article.original_url:
        target["via"] = article.original_url  # where KratomRef took the text from
    target["selector"] = [
        {"type": "TextQuoteSelector", "exact": passage.quote, "prefix": passage.prefix, "suffix": passage.suffix},
        {"type": "TextPositionSelector", "start": passage.start, "end": passage.end},
    ]
    return {
        "id": f"{page}#{passage.anchor}",
        "type": "Annotation",
        "motivation": "assessing",
        "created": stamp(passage.created_at),
        "modified": stamp(passage.updated_at),
        "body": [
            {"type": "SpecificResource", "purpose": "linking", "source": claim_url(passage.claim)},
            {"type": "TextualBody", "purpose": "assessing", "format": "text/plain", "language": "en", "value": value},
        ],
        "target": target,
    }
