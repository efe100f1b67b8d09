from django.contrib import admin

from sessions.models import (
    Bijdrage,
    Deelnemer,
    KaartEvent,
    Koppeling,
    Membership,
    Opgave,
    OpgaveVersie,
    Partij,
    Perspectief,
    Sessie,
    Tafel,
    Team,
    Vervolgstap,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    search_fields = ["name"]
    inlines = [MembershipInline]


class PartijInline(admin.TabularInline):
    model = Partij
    extra = 0


class OpgaveVersieInline(admin.TabularInline):
    model = OpgaveVersie
    extra = 0
    readonly_fields = ["created_at"]


@admin.register(Opgave)
class OpgaveAdmin(admin.ModelAdmin):
    list_display = ["title", "team", "created_at"]
    list_filter = ["team"]
    search_fields = ["title"]
    inlines = [PartijInline, OpgaveVersieInline]


@admin.register(Partij)
class PartijAdmin(admin.ModelAdmin):
    list_display = ["name", "opgave", "wereld", "status"]
    list_filter = ["wereld", "status"]
    search_fields = ["name"]


class TafelInline(admin.TabularInline):
    model = Tafel
    extra = 0


@admin.register(Sessie)
class SessieAdmin(admin.ModelAdmin):
    list_display = ["title", "opgave", "stap", "state", "locked", "join_revoked"]
    list_filter = ["state", "stap"]
    search_fields = ["title", "opgave__title"]
    readonly_fields = ["link_generation", "created_at"]
    inlines = [TafelInline]


@admin.register(Tafel)
class TafelAdmin(admin.ModelAdmin):
    list_display = ["__str__", "sessie", "nummer"]
    list_select_related = ["sessie"]


@admin.register(Deelnemer)
class DeelnemerAdmin(admin.ModelAdmin):
    list_display = ["name", "partij", "sessie", "tafel", "revoked", "joined_at"]
    list_filter = ["revoked"]
    list_select_related = ["partij", "sessie", "tafel"]
    search_fields = ["name"]


@admin.register(Bijdrage)
class BijdrageAdmin(admin.ModelAdmin):
    list_display = ["tekst", "soort", "partij", "gewicht", "breng_soort", "toezegging", "tafel"]
    list_filter = ["soort", "breng_soort", "toezegging"]
    list_select_related = ["partij", "tafel"]
    search_fields = ["tekst"]


@admin.register(Perspectief)
class PerspectiefAdmin(admin.ModelAdmin):
    list_display = ["partij", "urgentie", "revealed", "vertrouwelijk", "tafel"]
    list_select_related = ["partij", "tafel"]


@admin.register(Koppeling)
class KoppelingAdmin(admin.ModelAdmin):
    list_display = ["haal", "breng", "tafel"]
    list_select_related = ["haal__partij", "breng__partij", "tafel"]


@admin.register(Vervolgstap)
class VervolgstapAdmin(admin.ModelAdmin):
    list_display = ["title", "eigenaar", "datum", "tafel"]
    list_select_related = ["eigenaar", "tafel"]
    filter_horizontal = ["partijen"]


@admin.register(KaartEvent)
class KaartEventAdmin(admin.ModelAdmin):
    list_display = ["tafel", "seq", "kind", "actor_name", "created_at"]
    list_filter = ["kind"]
    readonly_fields = [f.name for f in KaartEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
