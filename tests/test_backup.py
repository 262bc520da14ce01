"""The restore drill: a curated library backed up and restored into an empty database is the same
library — row counts, every published claim and its versions, and the public pages byte for byte."""

import json

import pytest

from tests.processes import base_env, manage, own_database

CURATE = """
from django.contrib.auth.models import Group, User
from evidence import services
from evidence.models import Claim
users = {}
for name, group in (("drill-reviewer", "Reviewer"), ("drill-editor", "Editor")):
    users[name] = User.objects.create_user(name, password="pw-drill-correct-horse", is_staff=True)
    users[name].groups.add(Group.objects.get(name=group))
for claim in Claim.objects.published().order_by("slug")[:3]:
    proposal = services.claim_update(claim=claim, by=users["drill-reviewer"], summary=claim.summary + " (Re-read.)")
    services.change_approve(request=proposal.pending, by=users["drill-editor"], note="Drill correction.")
last = Claim.objects.published().order_by("slug").last()
services.claim_update(claim=last, by=users["drill-reviewer"], verdict="mixed")  # one change still waiting
"""

FINGERPRINT = """
import hashlib, json
from django.apps import apps
from django.test import Client
from evidence.models import Claim, ClaimVersion, SourceArticle, Study, Warning
counts = {m._meta.label: m._default_manager.count() for m in apps.get_models()}
digest = hashlib.sha256()
for claim in Claim.objects.published().order_by("pk"):
    row = [claim.pk, claim.slug, claim.statement, claim.verdict, claim.certainty, claim.summary]
    digest.update(json.dumps(row).encode())
for version in ClaimVersion.objects.order_by("claim_id", "number"):
    row = [version.claim_id, version.number, version.change_note, version.snapshot]
    digest.update(json.dumps(row, sort_keys=True).encode())
urls = ["/", "/claims/", "/studies/", "/articles/", "/warnings/", "/substances/", "/search/?q=kratom"]
for model in (Claim, SourceArticle, Study, Warning):
    urls += [o.get_absolute_url() for o in model.objects.published()]
client = Client()
pages = {url: hashlib.sha256(client.get(url).content).hexdigest() for url in urls}
print(json.dumps({"counts": counts, "claims": digest.hexdigest(), "pages": pages}))
"""


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """A database with every migration applied, made once for the module (tests get copies)."""
    with own_database(tmp_path_factory.mktemp("migrated")) as url:
        manage(base_env(DATABASE_URL=url), "migrate", "-v0")
        yield url


@pytest.fixture(scope="module")
def seeded(migrated, tmp_path_factory):
    """The seed library, loaded once for the module (tests get copies)."""
    with own_database(tmp_path_factory.mktemp("seeded"), copy_of=migrated) as url:
        manage(base_env(DATABASE_URL=url), "load_seed_library", "-v0")
        yield url


def fingerprint(env):
    return json.loads(manage(env, "shell", "--no-imports", "-c", FINGERPRINT).strip().splitlines()[-1])


def test_a_restored_backup_is_the_same_library_byte_for_byte(tmp_path, seeded):
    with own_database(tmp_path, copy_of=seeded) as source_url, own_database(tmp_path) as target_url:
        source = base_env(DATABASE_URL=source_url)
        manage(source, "shell", "-c", CURATE)
        before = fingerprint(source)
        backup = tmp_path / "library.backup"
        manage(source, "backup_database", str(backup))
        assert backup.stat().st_size > 0

        target = base_env(DATABASE_URL=target_url)
        manage(target, "restore_database", str(backup), "--yes")
        manage(target, "migrate", "--check", "-v0")  # nothing left to apply: the schema came back whole
        after = fingerprint(target)

    assert after["counts"] == before["counts"]
    assert before["counts"]["evidence.ClaimVersion"] > 48 and before["counts"]["evidence.ChangeRequest"] == 4
    assert after["claims"] == before["claims"]
    assert len(before["pages"]) > 60
    assert after["pages"] == before["pages"]


def test_restoring_something_that_is_not_a_backup_is_refused_and_changes_nothing(tmp_path, migrated):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a backup")
    with own_database(tmp_path, copy_of=migrated) as url:
        env = base_env(DATABASE_URL=url)
        with pytest.raises(AssertionError, match=r"restore_database .* failed"):
            manage(env, "restore_database", str(bogus), "--yes")
        with pytest.raises(AssertionError, match="No backup file"):
            manage(env, "restore_database", str(tmp_path / "missing.dump"), "--yes")
        manage(env, "migrate", "--check", "-v0")


def test_a_damaged_backup_is_refused_and_leaves_the_database_as_it_was(tmp_path, seeded):
    with own_database(tmp_path, copy_of=seeded) as url:
        env = base_env(DATABASE_URL=url)
        backup = tmp_path / "library.backup"
        manage(env, "backup_database", str(backup))
        assert backup.stat().st_mode & 0o077 == 0  # owner only: it holds hashes and second-factor secrets
        data = bytearray(backup.read_bytes())
        middle = len(data) // 2
        data[middle : middle + 1024] = bytes(1024)
        damaged = tmp_path / "damaged#1.backup"  # a "#" in the name must not change which file is read
        damaged.write_bytes(bytes(data))
        before = fingerprint(env)
        with pytest.raises(AssertionError):
            manage(env, "restore_database", str(damaged), "--yes")
        assert fingerprint(env)["counts"] == before["counts"]


def test_an_empty_file_is_not_an_sqlite_backup(tmp_path, migrated):
    empty = tmp_path / "empty#backup.sqlite3"
    empty.write_bytes(b"")
    with own_database(tmp_path, copy_of=migrated) as url:
        env = base_env(DATABASE_URL=url)
        before = fingerprint(env)
        with pytest.raises(AssertionError, match=r"not an SQLite backup|pg_restore failed"):
            manage(env, "restore_database", str(empty), "--yes")
        assert fingerprint(env)["counts"] == before["counts"]
