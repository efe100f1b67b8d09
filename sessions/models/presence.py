"""Who is at a tafel now (one row per open connection)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from sessions.models.sessies import Tafel


class Presence(models.Model):
    """Who is at a tafel right now: one row per open connection, refreshed by its heartbeat."""

    tafel = models.ForeignKey(Tafel, on_delete=models.CASCADE, related_name="presences")
    channel_name = models.CharField(max_length=200, unique=True)
    name = models.CharField(max_length=200)
    partij_name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=20, blank=True)
    editing = models.CharField(max_length=100, blank=True)
    last_seen = models.DateTimeField()

    class Meta:
        ordering = ["tafel", "name", "id"]
        verbose_name = _("presence")
        verbose_name_plural = _("presences")
        indexes = [models.Index(fields=["tafel", "last_seen"], name="presence_tafel_seen")]

    def __str__(self) -> str:
        return f"{self.name} @ {self.tafel}"
