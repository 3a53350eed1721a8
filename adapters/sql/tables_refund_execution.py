"""Tables of the refund execution feature (kept apart from tables.py so features can evolve separately)."""

from __future__ import annotations
