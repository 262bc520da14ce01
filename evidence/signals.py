"""The change hook: ``library_changed`` fires once, after commit, for every approved change.

Pages that cache rendered output key on ``content_version()``, which every approval moves on, so a
cached page never outlives the approval that changed what it shows. A pending change fires nothing.
"""

import contextlib
import time

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver

# Sent with ``instance``: the reviewed item (claim, warning, article, study, substance) whose
# public state an approval changed.
library_changed = Signal()

CONTENT_VERSION_KEY = "kratomref:library:content-version"


def announce_library_change(instance):
    """Send ``library_changed`` once the current transaction commits (never if it rolls back).

    At once, inside the transaction: a published claim's or substance's words join the search
    vocabulary (evidence/search.py), so "Did you mean" never has to split every statement."""
    from evidence.search import add_library_words

    add_library_words([instance])
    transaction.on_commit(lambda: library_changed.send(sender=type(instance), instance=instance))


def _fresh_version():
    """A starting value no earlier version can have had: the time in nanoseconds. Versions count up
    by one per approval from their start (far fewer than one per nanosecond), so a key lost to the
    cache (evicted, or Redis restarted) starts again above every value used before, and no page
    cached under an old version comes back. It fits Redis's 64-bit integers until the 2260s."""
    return time.time_ns()


def content_version():
    """A number that changes whenever an approval changes what the public sees."""
    return cache.get_or_set(CONTENT_VERSION_KEY, _fresh_version, timeout=None)


@receiver(library_changed, dispatch_uid="evidence.bump_content_version")
def bump_content_version(sender, instance, **kwargs):
    try:
        cache.incr(CONTENT_VERSION_KEY)
    except ValueError:  # not in the cache yet (or evicted): a fresh start is above every old value
        cache.add(CONTENT_VERSION_KEY, _fresh_version(), timeout=None)


@receiver(post_save, sender="evidence.SearchSynonym", dispatch_uid="evidence.synonyms_saved")
@receiver(post_delete, sender="evidence.SearchSynonym", dispatch_uid="evidence.synonyms_deleted")
def synonyms_changed(sender, instance, **kwargs):
    """A curated synonym group changes what searches find at once (it is vocabulary, not reviewed
    content): the content version moves now, so the next search parses with it, and again once the
    change commits, so no search that ran in between keeps the old names."""
    with contextlib.suppress(Exception):  # the shared cache is down: nothing is kept per version then
        bump_content_version(sender, instance)
    transaction.on_commit(lambda: library_changed.send(sender=sender, instance=instance))
