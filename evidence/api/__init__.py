"""The read-only JSON API at /api/v1/ (Django REST Framework, OpenAPI by drf-spectacular)."""
