"""Dataset releases: the one function that makes one (the export_dataset command and the admin call it)."""

import hashlib

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from evidence.dataset.package import build_package, package_zip
from evidence.dataset.schema import LICENCE, STORAGE_DIR
from evidence.models import DatasetRelease


class ReleaseError(Exception):
    """A release cannot be made as asked (the storage misbehaved, or a stored release's file is lost)."""


def release_create(*, by=None, package=None):
    """Publish the library as it stands as a dataset release; return ``(release, created)``.

    ``by`` is the editor who asked in the admin (they need the release permission), or None for the
    export_dataset command. Unchanged content gives the same version: the existing release is reused
    (its file restored if the storage lost it) and nothing new is written.
    """
    if by is not None and not by.has_perm("evidence.release_datasetrelease"):
        raise PermissionDenied("Only editors make dataset releases.")
    package = package or build_package()
    data = package_zip(package)
    sha256 = hashlib.sha256(data).hexdigest()
    existing = DatasetRelease.objects.filter(version=package.version).first()
    if existing is not None:
        if not default_storage.exists(existing.file_name):
            if existing.sha256 != sha256:
                raise ReleaseError(f"The file of release {existing.version} is missing and a rebuild differs from it.")
            _store(existing.file_name, data)
        return existing, False
    name = _store(f"{STORAGE_DIR}/{package.download_name}", data)
    try:
        with transaction.atomic():
            release = DatasetRelease(
                version=package.version,
                content_changed_at=package.content_changed_at,
                file_name=name,
                size=len(data),
                sha256=sha256,
                licence=LICENCE["name"],
                counts=package.counts,
                released_by=by,
            )
            release.full_clean()
            release.save()
    except IntegrityError:  # the same content released at the same moment elsewhere
        return DatasetRelease.objects.get(version=package.version), False
    return release, True


def _store(name, data):
    if default_storage.exists(name):
        default_storage.delete(name)
    saved = default_storage.save(name, ContentFile(data))
    if saved != name:
        raise ReleaseError(f"The storage saved {saved!r} instead of {name!r}.")
    return saved
