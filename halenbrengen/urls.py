from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from sessions.forms import AdminLoginForm
from sessions.views import pages

urlpatterns = [
    path("", pages.home, name="home"),
    path("healthz", pages.healthz, name="healthz"),
    path("toegankelijkheid/", pages.accessibility, name="accessibility"),
    path("login/", pages.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("sessions.urls")),
    path("", include("sessions.insight_urls")),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "Halen/Brengen"
# The admin's login waits after failures exactly as ours does: the same form, the same counts.
admin.site.login_form = AdminLoginForm
