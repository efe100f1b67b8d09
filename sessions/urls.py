from django.urls import path

from sessions import views

app_name = "sessions"

urlpatterns = [
    path("opgaven/", views.dashboard, name="dashboard"),
    path("opgaven/nieuw/", views.opgave_create, name="opgave_create"),
    path("opgaven/<int:pk>/", views.opgave_detail, name="opgave"),
    path("opgaven/<int:pk>/partijen/nieuw/", views.partij_edit, name="partij_add"),
    path("opgaven/<int:pk>/partijen/<int:partij_pk>/", views.partij_edit, name="partij_edit"),
    path("opgaven/<int:pk>/sessies/nieuw/", views.sessie_edit, name="sessie_add"),
    path("opgaven/<int:pk>/sessies/<int:sessie_pk>/", views.sessie_edit, name="sessie_edit"),
    path("sessies/<int:pk>/", views.sessie_detail, name="sessie"),
    path("sessies/<int:pk>/beheer/", views.sessie_control, name="sessie_control"),
    path("sessies/<int:pk>/kopie/", views.sessie_duplicate, name="sessie_duplicate"),
    path("sessies/<int:pk>/plenair/", views.plenair, name="plenair"),
    path("j/<int:pk>/<str:token>/", views.join_link, name="join"),
    path("sessies/<int:pk>/deelnemen/", views.sessie_join, name="sessie_join"),
    path("tafels/<int:pk>/", views.kaart, name="kaart"),
    path("tafels/<int:pk>/actie/", views.kaart_action, name="kaart_action"),
    path("tafels/<int:pk>/sinds/", views.kaart_since, name="kaart_since"),
]
