from django.urls import path

from sessions.views import acties, joining, kaart, opgaven, pages, sessies

app_name = "sessions"

urlpatterns = [
    path("opgaven/", pages.dashboard, name="dashboard"),
    path("opgaven/nieuw/", opgaven.opgave_create, name="opgave_create"),
    path("opgaven/<int:pk>/", opgaven.opgave_detail, name="opgave"),
    path("opgaven/<int:pk>/acties/", acties.acties, name="acties"),
    path("opgaven/<int:pk>/acties.ics", acties.acties_ics, name="acties_ics"),
    path(
        "opgaven/<int:pk>/acties/<int:stap_pk>/",
        acties.actie_follow_up,
        name="actie_follow_up",
    ),
    path("opgaven/<int:pk>/partijen/nieuw/", opgaven.partij_edit, name="partij_add"),
    path("opgaven/<int:pk>/partijen/<int:partij_pk>/", opgaven.partij_edit, name="partij_edit"),
    path("opgaven/<int:pk>/sessies/nieuw/", sessies.sessie_edit, name="sessie_add"),
    path("opgaven/<int:pk>/sessies/<int:sessie_pk>/", sessies.sessie_edit, name="sessie_edit"),
    path("sessies/<int:pk>/", sessies.sessie_detail, name="sessie"),
    path("sessies/<int:pk>/beheer/", sessies.sessie_control, name="sessie_control"),
    path("sessies/<int:pk>/kopie/", sessies.sessie_duplicate, name="sessie_duplicate"),
    path("sessies/<int:pk>/plenair/", sessies.plenair, name="plenair"),
    path("j/<int:pk>/<str:token>/", joining.join_link, name="join"),
    path("sessies/<int:pk>/deelnemen/", joining.sessie_join, name="sessie_join"),
    path("sessies/<int:pk>/werkgroep/", joining.werkgroep_choose, name="werkgroep_choose"),
    path("tafels/<int:pk>/", kaart.kaart, name="kaart"),
    path("tafels/<int:pk>/actie/", kaart.kaart_action, name="kaart_action"),
    path("tafels/<int:pk>/sinds/", kaart.kaart_since, name="kaart_since"),
    path("tafels/<int:pk>/inzicht/", kaart.kaart_pictures, name="kaart_pictures"),
]
