"""The websocket edge: /ws/tafels/<id>/ for a kaart (kaart.py), /ws/sessies/<id>/ for the
control room and the waiting page (sessie.py), and what both share (edge.py)."""

from sessions.consumers.kaart import KaartConsumer
from sessions.consumers.sessie import SessieConsumer

__all__ = ["KaartConsumer", "SessieConsumer"]
