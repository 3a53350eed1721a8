"""domain.ports.SlaBreachLog in process (unit tests): announced breaches in a set."""

from __future__ import annotations

from datetime import datetime

from adapters.memory.store import InMemoryStore
from domain.cases import CaseStatus
from domain.ports import UnitOfWork
from domain.sla import SlaBreach, SlaKind, current_breach


class InMemorySlaBreachLog:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self.announced: dict[SlaBreach, str] = {}  # breach -> event id

    async def candidates(self, now: datetime, *, limit: int) -> list[SlaBreach]:
        found: list[SlaBreach] = []
        for case in self._store.cases.values():
            if case.status is CaseStatus.CLOSED:
                continue
            for kind in SlaKind:
                breach = current_breach(case, kind, now)
                if breach is not None and breach not in self.announced:
                    found.append(breach)
        found.sort(key=lambda b: (b.due_at, b.case_id))
        return found[: max(1, limit)]

    async def claim(
        self, work: UnitOfWork, breach: SlaBreach, *, event_id: str, now: datetime
    ) -> bool:
        # The in-process unit of work commits atomically on the event loop, and the scheduler
        # commits right after claiming: a set is enough here.
        if breach in self.announced:
            return False
        self.announced[breach] = event_id
        return True
