"""Settings for the benchmark only (``make bench``, bench/run.py): the site's own settings, plus

- ``/bench/minimal/``, a minimal view through the same middleware (B_view, bench/urls.py);
- a header on every response with the number of database queries and the time the request took in
  Django (bench/middleware.py), which the wrk script (bench/rotate.lua) averages per page type;
- rate limits raised out of reach, so the benchmark measures pages rather than the limiter;
- a longer statement timeout, so a slow page is measured rather than cut off at 3 s.

Never used by the site: gunicorn serves it only when bench/run.py sets DJANGO_SETTINGS_MODULE.
"""

from kratomref.settings import *  # noqa: F403
from kratomref.settings import MIDDLEWARE, RATE_LIMITS

ROOT_URLCONF = "bench.urls"
MIDDLEWARE = ["bench.middleware.QueryCountMiddleware", *MIDDLEWARE]
# Every limiter (search, API, reports, …) allows a billion requests a minute per address.
RATE_LIMITS = dict.fromkeys(RATE_LIMITS, "1000000000/60")
PUBLIC_STATEMENT_TIMEOUT_MS = 60_000
