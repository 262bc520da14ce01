"""/data/ and the releases' zips, streamed from the default storage."""

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponseNotModified
from django.shortcuts import render

from evidence.dataset.schema import LICENCE, TABLES
from evidence.models import DatasetRelease


def dataset_list(request):
    """/data/: the published releases with size, checksum and licence, and the other ways to the data."""
    releases = list(DatasetRelease.objects.all())  # newest content first (the model's ordering)
    context = {
        "releases": releases,
        "latest": releases[0] if releases else None,
        "tables": TABLES,
        "licence": LICENCE,
    }
    return render(request, "evidence/data.html", context)


def dataset_download(request, version=None):
    """A release's zip, streamed from the default storage (so it works with DEBUG off and on every
    app server); without a version, the latest release."""
    releases = DatasetRelease.objects.all()  # newest content first (the model's ordering)
    release = releases.filter(version=version).first() if version else releases.first()
    if release is None:
        raise Http404("No such dataset release.")
    etag = f'"{release.sha256}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
        response["ETag"] = etag
        return response
    try:
        stream = default_storage.open(release.file_name, "rb")
    except FileNotFoundError:
        raise Http404("This release's file is not available.") from None
    response = FileResponse(stream, as_attachment=True, filename=release.download_name, content_type="application/zip")
    response["ETag"] = etag
    if version is None:
        response["Cache-Control"] = "no-cache"  # "latest" moves with each release
    else:
        response["Cache-Control"] = "public, max-age=86400, immutable"
    return response
