"""Writing the dataset: the files of the data package as bytes, and the package as a zip."""

import csv
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass

from django.urls import reverse

from evidence.annotations import CONTEXT as ANNOTATION_CONTEXT
from evidence.dataset.library import read_library, stamp
from evidence.dataset.schema import (
    ANNOTATIONS_FILE,
    EDITORS,
    FORMULA_TRIGGERS,
    LICENCE,
    NAME,
    PUBLISHER,
    QUOTE_NOTE,
    TABLES,
    TITLE,
)
from evidence.links import absolute


def neutralise(text):
    """A CSV cell a spreadsheet will not run as a formula: a leading apostrophe before a trigger.

    Reversible: a cell whose text (after any apostrophes) begins with a trigger gets one apostrophe
    more, so removing one leading apostrophe from such a cell always gives the original text.
    """
    if text[:1] in FORMULA_TRIGGERS or (text[:1] == "'" and text.lstrip("'")[:1] in FORMULA_TRIGGERS):
        return "'" + text
    return text


def csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, str):
        return neutralise(value)
    return str(value)


def csv_bytes(table, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    names = [f["name"] for f in table.fields]
    writer.writerow(names)
    for row in rows:
        writer.writerow([csv_cell(row[name]) for name in names])
    return buffer.getvalue().encode("utf-8")


def jsonl_bytes(table, rows):
    names = [f["name"] for f in table.fields]
    lines = [json.dumps({name: row[name] for name in names}, ensure_ascii=False) for row in rows]
    return "".join(line + "\n" for line in lines).encode("utf-8")


def annotations_bytes(annotations):
    collection = {
        "@context": ANNOTATION_CONTEXT,
        "id": absolute(reverse("evidence:dataset-list")) + "#annotations",
        "type": "AnnotationCollection",
        "label": "KratomRef: claim passages in reviewed articles, graded",
        "creator": {"type": "Organization", "name": PUBLISHER, "homepage": absolute("/")},
        "total": len(annotations),
        "first": {"type": "AnnotationPage", "startIndex": 0, "items": annotations},
    }
    return (json.dumps(collection, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def file_facts(data):
    return {"bytes": len(data), "hash": "sha256:" + hashlib.sha256(data).hexdigest()}


def descriptor(files, *, version, created):
    resources = []
    for table in TABLES:
        for suffix, fmt, mediatype in (("csv", "csv", "text/csv"), ("jsonl", "jsonl", "application/jsonl")):
            path = f"{table.name}.{suffix}"
            resource = {
                "name": table.name if suffix == "csv" else f"{table.name}-jsonl",
                "path": path,
                "title": table.title if suffix == "csv" else f"{table.title} (JSON Lines)",
                "description": table.description
                if suffix == "csv"
                else f"The {table.name} table as JSON Lines: one object per row, the same fields with native "
                "JSON types and the text exactly as stored (no formula neutralisation).",
                "format": fmt,
                "mediatype": mediatype,
                "encoding": "utf-8",
                **file_facts(files[path]),
            }
            if suffix == "csv":
                resource["profile"] = "tabular-data-resource"
                resource["schema"] = table.schema()
            else:
                # Described as a file: validating JSON Lines as a table needs frictionless[json]; the
                # rows follow the schema of the CSV resource of the same name.
                resource["type"] = "file"
            resources.append(resource)
    resources.append(
        {
            "name": "annotations",
            "path": ANNOTATIONS_FILE,
            "title": "Passages as W3C Web Annotations",
            "description": "The passages as a W3C Web Annotation collection (JSON-LD): a TextQuoteSelector and a "
            "TextPositionSelector on the article, the claim's verdict and certainty as the assessing body. "
            + QUOTE_NOTE,
            "format": "jsonld",
            "mediatype": "application/ld+json",
            "encoding": "utf-8",
            "type": "file",
            **file_facts(files[ANNOTATIONS_FILE]),
        }
    )
    package = {
        "profile": "data-package",
        "name": NAME,
        "title": TITLE,
        "description": "KratomRef's reviews of claims about kratom: each claim's verdict, certainty and summary, "
        "the studies behind it, the passages of reviewed articles that make it, and safety warnings. See README.md.",
        "version": version,
        "homepage": absolute(reverse("evidence:dataset-list")),
        "licenses": [LICENCE],
        "sources": [{"title": PUBLISHER, "path": absolute("/")}],
        "contributors": [{"title": EDITORS, "role": "author"}],
        "keywords": ["kratom", "mitragynine", "evidence", "claim review", "fact-checking"],
    }
    if created:
        package["created"] = created
    package["resources"] = resources
    return (json.dumps(package, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def readme(tables, *, version, created):
    lines = [
        f"# {TITLE}",
        "",
        f"Version {version or '(see datapackage.json)'}, with every approval up to {created or 'none yet'} (UTC).",
        f"Published by {PUBLISHER}: {absolute(reverse('evidence:dataset-list'))}",
        "",
        "KratomRef grades the evidence behind claims that popular articles make about kratom. This is its",
        "public library as data: a Frictionless Data Package (datapackage.json describes every file and its",
        "fields). Check it with `frictionless validate datapackage.json`.",
        "",
        "## Licence",
        "",
        "The reviews (claims, verdicts, summaries, evidence, warnings) are under",
        f"{LICENCE['title']} ({LICENCE['name']}, {LICENCE['path']}):",
        "reuse them with credit to KratomRef and a link.",
        "",
        "Articles are included as metadata only, never their text. The passages' quote, prefix and suffix",
        "are short excerpts of the reviewed articles, quoted to identify each passage: they belong to the",
        "articles' publishers, are not covered by the licence above, and each row names its source.",
        "",
        "## Files",
        "",
        "Each table is a CSV file (UTF-8, a header row, an empty cell for no value, lists as JSON arrays)",
        "and a JSON Lines copy (one JSON object per line, native types, null for no value). Rows are",
        "ordered by their key; times are UTC.",
        "",
        "| files | rows | key | what they hold |",
        "| --- | --- | --- | --- |",
    ]
    for table in TABLES:
        lines.append(
            f"| `{table.name}.csv`, `{table.name}.jsonl` | {len(tables[table.name])} | "
            f"{', '.join(table.primary_key)} | {table.description.split('. ')[0].rstrip('.')}. |"
        )
    lines += [
        "",
        f"`{ANNOTATIONS_FILE}` holds the passages again as a W3C Web Annotation collection (JSON-LD), as the",
        "API gives them: each annotation targets the article's page on KratomRef (`via` its original address",
        "when known) with a TextQuoteSelector and a TextPositionSelector; its body links the claim and gives",
        "the claim's verdict and certainty and the article's wording. Offsets count Unicode code points in",
        "the article text as KratomRef took it (`articles.imported_at`, `articles.text_sha256`).",
        "",
        "## Reading the CSV files safely",
        "",
        "A text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return has an apostrophe (`'`)",
        "added in front, so that a spreadsheet shows it as text instead of running it as a formula. The same",
        "holds for a cell whose text begins with apostrophes followed by one of those characters. To get the",
        "exact text, remove one leading apostrophe from such cells, or read the JSON Lines copy, which is",
        "never changed.",
        "",
        "## People",
        "",
        f"No account name appears. A version approved by an editor shows “{EDITORS}”; one recorded by a",
        "system (the seed library loader) names that system.",
        "",
        "## Versions",
        "",
        "The version is the date of the latest approval the data contains and a hash of the content. The same",
        "library gives the same files byte for byte, so two releases can be compared with `diff`.",
        "",
        "## Fields",
        "",
    ]
    for table in TABLES:
        lines += [f"### {table.name}", ""]
        for f in table.fields:
            values = f.get("constraints", {}).get("enum")
            one_of = f" One of: {', '.join(values)}." if values else ""
            lines.append(f"- `{f['name']}` ({f['type']}): {f['description']}{one_of}")
        lines.append("")
    return ("\n".join(lines).rstrip("\n") + "\n").encode("utf-8")


@dataclass(frozen=True)
class Package:
    version: str
    content_changed_at: object  # an aware datetime, or None for an empty library
    files: dict  # file name → bytes, every file of the package
    counts: dict  # table → rows

    @property
    def created(self):
        return stamp(self.content_changed_at)

    @property
    def download_name(self):
        return f"kratomref-dataset-{self.version}.zip"


def build_package(progress=None):
    """The data package of the public library as it stands, deterministic to the byte."""
    tables, annotations, content_at = read_library(progress)
    files = {}
    for table in TABLES:
        files[f"{table.name}.csv"] = csv_bytes(table, tables[table.name])
        files[f"{table.name}.jsonl"] = jsonl_bytes(table, tables[table.name])
    files[ANNOTATIONS_FILE] = annotations_bytes(annotations)
    created = stamp(content_at)
    # The version hashes everything, the descriptor and README included, written without a version.
    digest = hashlib.sha256()
    unversioned = {
        **files,
        "datapackage.json": descriptor(files, version="", created=created),
        "README.md": readme(tables, version="", created=created),
    }
    for name in sorted(unversioned):
        digest.update(name.encode("utf-8") + b"\0" + hashlib.sha256(unversioned[name]).digest())
    day = content_at.strftime("%Y.%m.%d") if content_at else "0000.00.00"
    version = f"{day}-{digest.hexdigest()[:8]}"
    files["datapackage.json"] = descriptor(files, version=version, created=created)
    files["README.md"] = readme(tables, version=version, created=created)
    counts = {table.name: len(tables[table.name]) for table in TABLES}
    return Package(version=version, content_changed_at=content_at, files=files, counts=counts)


def write_package(package, directory):
    """Write the package's files into ``directory`` (created if needed); other files there stay."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in sorted(package.files):
        (directory / name).write_bytes(package.files[name])


ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can record


def package_zip(package):
    """The package as a zip: entries sorted under one folder, each stamped with the content's date."""
    folder = package.download_name.removesuffix(".zip")
    when = package.content_changed_at.timetuple()[:6] if package.content_changed_at else ZIP_EPOCH
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(package.files):
            info = zipfile.ZipInfo(f"{folder}/{name}", date_time=max(when, ZIP_EPOCH))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so the permissions below mean the same everywhere
            info.external_attr = 0o100644 << 16
            archive.writestr(info, package.files[name], compresslevel=9)
    return buffer.getvalue()
