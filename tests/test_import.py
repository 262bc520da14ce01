import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from evidence.models import SourceArticle, text_hash
from tests.factories import article_text

pytestmark = pytest.mark.django_db

SEEDS = sorted((Path(__file__).resolve().parent.parent / "evidence" / "seed_library" / "articles").glob("*.txt"))


def test_importing_the_seed_articles_keeps_their_exact_text_and_hash(tmp_path):
    call_command("import_articles", *map(str, SEEDS), verbosity=0)
    assert SourceArticle.objects.count() == 5
    for path in SEEDS:
        article = SourceArticle.objects.get(source_name=path.name)
        assert article.text == path.read_bytes().decode("utf-8")
        assert article.content_hash == text_hash(article.text)
        assert article.title


def test_importing_the_same_files_twice_creates_nothing_new():
    call_command("import_articles", *map(str, SEEDS), verbosity=0)
    first = list(SourceArticle.objects.values_list("pk", "slug", "content_hash"))
    call_command("import_articles", *map(str, SEEDS), verbosity=0)
    assert list(SourceArticle.objects.values_list("pk", "slug", "content_hash")) == first


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("empty.txt", b"", "the file is empty"),
        ("blank.txt", b"  \n\n ", "the file is empty"),
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
        ("latin1.txt", "Kratom caf\u00e9 summary\n".encode("latin-1"), "not valid UTF-8"),
        ("script.html", b"<html><body><div id=app></div><script>x()</script></body></html>", "no main content"),
        ("page.md", b"# \n\n---\n", "no article text"),
    ],
)
def test_bad_input_is_named_in_a_clear_error_and_nothing_is_saved(tmp_path, capsys, name, data, message):
    path = write(tmp_path, name, data)
    with pytest.raises(CommandError):
        call_command("import_articles", path, verbosity=0)
    err = capsys.readouterr().err
    assert name in err and message in err
    assert SourceArticle.objects.count() == 0


def test_a_missing_path_is_reported_by_name(tmp_path, capsys):
    with pytest.raises(CommandError):
        call_command("import_articles", str(tmp_path / "nope.txt"), verbosity=0)
    assert "nope.txt: no such file" in capsys.readouterr().err


def test_good_files_are_imported_even_when_another_file_in_the_batch_is_bad(tmp_path, capsys):
    good = write(tmp_path, "good.txt", article_text().encode())
    bad = write(tmp_path, "bad.txt", b"\x00\x01")
    with pytest.raises(CommandError):
        call_command("import_articles", good, bad, verbosity=0)
    assert list(SourceArticle.objects.values_list("source_name", flat=True)) == ["good.txt"]


def test_changed_text_under_the_same_name_becomes_a_new_revision_and_the_old_text_is_kept(tmp_path, capsys):
    path = tmp_path / "a.txt"
    path.write_text(article_text(tag="one"), encoding="utf-8")
    call_command("import_articles", str(path), verbosity=0)
    original = SourceArticle.objects.get().text
    path.write_text(article_text(tag="two"), encoding="utf-8")
    call_command("import_articles", str(path))
    assert "a.txt: seed format, new revision 2" in capsys.readouterr().out
    article = SourceArticle.objects.get()
    assert article.text == article_text(tag="two") and article.revision == 2
    assert article.revisions.get(number=1).text == original


def test_dry_run_checks_files_without_saving(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copy(SEEDS[0], folder)
    call_command("import_articles", str(folder / SEEDS[0].name), dry_run=True, verbosity=0)
    assert SourceArticle.objects.count() == 0


def test_a_failure_while_saving_leaves_no_half_imported_article(tmp_path, monkeypatch, capsys):
    from evidence import services
    from evidence.models import SourceArticle as Article

    def explode(self, *args, **kwargs):
        raise services.ArticleImportError("simulated failure after the article row was written")

    path = write(tmp_path, "crash.txt", article_text().encode())
    monkeypatch.setattr(Article, "full_clean", lambda self, **kw: None)
    original_save = Article.save

    def save_then_fail(self, *args, **kwargs):
        original_save(self, *args, **kwargs)
        explode(self)

    monkeypatch.setattr(Article, "save", save_then_fail)
    with pytest.raises(CommandError):
        call_command("import_articles", path, verbosity=0)
    assert SourceArticle.objects.count() == 0
