"""Recompute the words "Did you mean" draws on from what is published now.

The vocabulary (``SearchWord``) grows as approvals publish claims and substances; a word is never
taken out one by one (evidence/models/vocabulary.py). Run this to drop the words only withdrawn or
reworded claims used, or after writing to the database outside the publication path.
"""

from django.core.management.base import BaseCommand

from evidence.search import rebuild_library_words


class Command(BaseCommand):
    help = "Recompute the search vocabulary (the words 'Did you mean' suggests) from the published library."

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default", help="The database to rebuild it in.")

    def handle(self, *args, database, **options):
        count = rebuild_library_words(using=database)
        self.stdout.write(f"The search vocabulary holds {count} words.")
