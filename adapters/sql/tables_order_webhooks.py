"""Tables of the order webhooks feature (kept apart from tables.py so features can evolve separately)."""

from __future__ import annotations
