"""Counts each request's database queries and Django time into response headers (benchmark only)."""

import time

from django.db import connections

QUERIES_HEADER = "X-Bench-Queries"
TIME_HEADER = "X-Bench-Ms"


class QueryCountMiddleware:
    """Outermost middleware of bench/settings.py: ``X-Bench-Queries`` (queries on every database
    connection, the other middleware's included) and ``X-Bench-Ms`` (time in Django, milliseconds)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = 0

        def counter(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        started = time.perf_counter()
        wrappers = [connection.execute_wrapper(counter) for connection in connections.all()]
        for wrapper in wrappers:
            wrapper.__enter__()
        try:
            response = self.get_response(request)
        finally:
            for wrapper in reversed(wrappers):
                wrapper.__exit__(None, None, None)
        response[QUERIES_HEADER] = str(count)
        response[TIME_HEADER] = f"{(time.perf_counter() - started) * 1000:.2f}"
        return response
