"""Who looks at an insight: a facilitator or a coordinator; and the SVG namespace."""

from __future__ import annotations

from sessions.access import Access

SVG = "{http://www.w3.org/2000/svg}"
FACILITATOR = Access(can_view=True, can_edit=True, can_manage=True, role="facilitator")
COORDINATOR = Access(can_view=True, role="coordinator")
