from django.urls import path

app_name = "api"

urlpatterns: list = []  # filled by the API work (evidence/api/)
