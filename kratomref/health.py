"""``/healthz`` for load balancers and monitors: is the database reachable, is the cache? No secrets,
no versions, no host names — only "ok" or "unavailable" for each, and 200 or 503."""

import uuid

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache


@never_cache
def health(request):
    checks = {"database": "ok", "cache": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        checks["database"] = "unavailable"
    probe = f"kratomref:health:{uuid.uuid4().hex}"
    try:
        cache.set(probe, "1", timeout=10)
        if cache.get(probe) != "1":
            checks["cache"] = "unavailable"
        cache.delete(probe)
    except Exception:  # any cache backend's connection error (e.g. Redis down)
        checks["cache"] = "unavailable"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503)
