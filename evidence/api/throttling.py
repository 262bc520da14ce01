"""The API's rate limit: the site's one limiter (kratomref/ratelimit.py) as a DRF throttle.

Anonymous readers share the "api" limit per address (``RATE_LIMITS["api"]``, ``RATE_LIMIT_API`` in
the environment), counted in the shared cache; signed-in curators are not limited. Over the limit,
DRF answers 429 with ``Retry-After`` and the JSON body of evidence/api/errors.py.
"""

from rest_framework.throttling import BaseThrottle

from kratomref.ratelimit import exempt, over_limit


class ApiRateThrottle(BaseThrottle):
    name = "api"

    def allow_request(self, request, view):
        django_request = request._request  # the site's limiter reads the plain Django request
        if exempt(django_request):
            return True
        self.retry_after = over_limit(self.name, django_request)
        return not self.retry_after

    def wait(self):
        return self.retry_after
