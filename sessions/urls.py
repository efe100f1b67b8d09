from django.urls import path

from sessions import views

app_name = "sessions"

urlpatterns = [
    path("opgaven/", views.dashboard, name="dashboard"),
    path("opgaven/<int:pk>/", views.opgave_detail, name="opgave"),
    path("sessies/<int:pk>/", views.sessie_detail, name="sessie"),
    path("j/<int:pk>/<str:token>/", views.join_link, name="join"),
    path("sessies/<int:pk>/deelnemen/", views.sessie_join, name="sessie_join"),
    path("tafels/<int:pk>/", views.kaart, name="kaart"),
    path("tafels/<int:pk>/actie/", views.kaart_action, name="kaart_action"),
    path("tafels/<int:pk>/sinds/", views.kaart_since, name="kaart_since"),
]
