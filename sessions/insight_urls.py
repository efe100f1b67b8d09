"""Summary pages, exports and the import of an exported opgave (namespace "insight")."""

from django.urls import path

from sessions.views import insight as insight_views

app_name = "insight"

urlpatterns = [
    path("opgaven/<int:pk>/overzicht/", insight_views.opgave_summary, name="opgave"),
    path("opgaven/<int:pk>/export/<str:fmt>/", insight_views.opgave_export, name="opgave_export"),
    path("sessies/<int:pk>/overzicht/", insight_views.sessie_summary, name="sessie"),
    path("sessies/<int:pk>/export/<str:fmt>/", insight_views.sessie_export, name="sessie_export"),
    path(
        "opgaven/<int:pk>/kernboodschap/",
        insight_views.opgave_kernboodschap,
        name="opgave_kernboodschap",
    ),
    path(
        "sessies/<int:pk>/kernboodschap/",
        insight_views.sessie_kernboodschap,
        name="sessie_kernboodschap",
    ),
    path("opgaven/importeren/", insight_views.opgave_import, name="import"),
]
