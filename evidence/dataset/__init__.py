"""The bulk dataset: the public library as a Frictionless Data Package, and its releases.

schema.py    the tables and their Table Schemas, the licence
library.py   reading the public library (rows and Web Annotations) in one consistent transaction
package.py   the package's files as bytes, and the zip
releases.py  ``release_create()``: a stored zip and a DatasetRelease row
views.py     /data/ and the downloads

``build_package()`` reads the public library (every read starts from ``published()``) in one
consistent transaction and returns the package's files as bytes:

    datapackage.json            the descriptor: a Table Schema per table, licence, version, date
    README.md                   what the files hold, how to read and check them
    <table>.csv, <table>.jsonl  one per table in ``TABLES`` (the JSON Lines copy keeps native types)
    annotations.jsonld          the passages as a W3C Web Annotation collection

The same database gives byte-identical files: rows are ordered by unique keys, lists inside a row
are sorted, and nothing comes from the clock. The dataset's date is the latest approval it contains
and its version is that date plus a hash of the content (``2025.01.31-1a2b3c4d``), so two exports
of an unchanged library share a version and two releases can be diffed.

CSV text cells beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return get a leading
apostrophe, so a spreadsheet never runs them as formulas; the JSON Lines copy keeps the text as it
is. No account name appears: approvers show as "KratomRef editors" or as the system actor that
approved (the seed library loader).

``release_create()`` is the one way a release is made (the export_dataset command and the admin's
release view call it): a zip with fixed timestamps and sorted entries in the default storage, and a
``DatasetRelease`` row. Releasing unchanged content again reuses the existing release.
"""

from evidence.dataset.library import read_library
from evidence.dataset.package import Package, build_package, neutralise, package_zip, write_package
from evidence.dataset.releases import ReleaseError, release_create
from evidence.dataset.schema import FORMULA_TRIGGERS, LICENCE, TABLES, Table
from evidence.dataset.views import dataset_download, dataset_list

__all__ = [
    "FORMULA_TRIGGERS",
    "LICENCE",
    "TABLES",
    "Package",
    "ReleaseError",
    "Table",
    "build_package",
    "dataset_download",
    "dataset_list",
    "neutralise",
    "package_zip",
    "read_library",
    "release_create",
    "write_package",
]
