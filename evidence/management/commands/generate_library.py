"""Generate a synthetic library at scale, for measuring pages as the library grows (evidence/scale.py).

    python manage.py generate_library --claims 100000 --articles 10000 --studies 50000 --seed 1

Sizes not given follow the claims in the issue's proportions (10 claims per article, 2 per study, 3
evidence rows per claim, 1 warning per 200 claims, 1 article in 50 with 50 passages). It writes
only into a migrated database that holds no library content, and never next to curated content.
"""

import time

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from evidence.scale import LibraryNotEmpty, SizeError, Sizes, expected_rows, generate


class Command(BaseCommand):
    help = "Write a synthetic library (bulk inserts) into an empty database, for load tests and the benchmark."

    def add_arguments(self, parser):
        parser.add_argument("--claims", type=int, default=10000, help="Claims (default 10000).")
        parser.add_argument("--articles", type=int, help="Source articles (default claims / 10).")
        parser.add_argument("--studies", type=int, help="Studies (default claims / 2).")
        parser.add_argument("--evidence", type=int, help="Evidence rows, about (default 3 per claim).")
        parser.add_argument("--warnings", type=int, help="Warnings (default claims / 200).")
        parser.add_argument("--heavy-articles", type=int, help="Articles with 50 passages (default 1 in 50 articles).")
        parser.add_argument("--seed", type=int, default=1, help="The same seed gives the same library (default 1).")

    def handle(self, *args, claims, seed, verbosity=1, **options):
        try:
            sizes = Sizes.for_claims(
                claims,
                articles=options["articles"],
                studies=options["studies"],
                evidence=options["evidence"],
                warnings=options["warnings"],
                heavy_articles=options["heavy_articles"],
            )
        except SizeError as error:
            raise CommandError(str(error)) from error
        bar = tqdm(total=expected_rows(sizes), unit="row", unit_scale=True, disable=None if verbosity else True)

        def progress(stage, rows):
            bar.set_description(stage)
            bar.update(rows)

        started = time.monotonic()
        try:
            counts = generate(sizes, seed=seed, progress=progress)
        except (LibraryNotEmpty, PermissionDenied) as error:
            raise CommandError(str(error)) from error
        finally:
            bar.close()
        took = time.monotonic() - started
        if verbosity:
            for kind, count in counts.items():
                self.stdout.write(f"{kind}: {count}")
            self.stdout.write(self.style.SUCCESS(f"Generated a synthetic library (seed {seed}) in {took:.1f} s."))
