"""In-process macros and case ratings (domain.ports.MacroRepository, RatingRepository)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime

from adapters.memory.store import InMemoryStore
from domain.errors import ConcurrentUpdate
from domain.macros import Macro
from domain.satisfaction import CaseRating, ScoreCount


class InMemoryMacroRepository:
    """Writes are kept per unit (None: deleted) and applied at commit."""

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self.written: dict[str, Macro | None] = {}
        self.read_versions: dict[str, int] = {}

    def _current(self, macro_id: str) -> Macro | None:
        if macro_id in self.written:
            return self.written[macro_id]
        return self._store.macros.get(macro_id)

    async def get(self, macro_id: str) -> Macro | None:
        found = self._current(macro_id)
        return copy.deepcopy(found) if found is not None else None

    async def add(self, macro: Macro) -> None:
        if self._current(macro.id) is not None:
            raise ValueError(f"macro {macro.id} already exists")
        self.written[macro.id] = copy.deepcopy(macro)

    async def save(self, macro: Macro) -> None:
        row = self._current(macro.id)
        if row is None or row.version != macro.version:
            raise ConcurrentUpdate("macro")
        self.read_versions.setdefault(macro.id, macro.version)
        macro.version += 1
        self.written[macro.id] = copy.deepcopy(macro)

    async def delete(self, macro_id: str) -> bool:
        if self._current(macro_id) is None:
            return False
        self.written[macro_id] = None
        return True

    async def list(self, *, limit: int, after: tuple[str, str] | None = None) -> list[Macro]:
        ids = set(self._store.macros) | set(self.written)
        rows = [m for m in (self._current(i) for i in ids) if m is not None]
        rows.sort(key=lambda m: (m.title, m.id))
        if after is not None:
            rows = [m for m in rows if (m.title, m.id) > after]
        return [copy.deepcopy(m) for m in rows[:limit]]

    def check(self) -> None:
        for macro_id, version in self.read_versions.items():
            row = self._store.macros.get(macro_id)
            if row is None or row.version != version:
                raise ConcurrentUpdate("macro")

    def apply(self) -> None:
        for macro_id, macro in self.written.items():
            if macro is None:
                self._store.macros.pop(macro_id, None)
            else:
                self._store.macros[macro_id] = macro
        self.written = {}


class InMemoryRatingRepository:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self.pending: dict[str, CaseRating] = {}

    async def add(self, rating: CaseRating) -> bool:
        if rating.case_id in self._store.ratings or rating.case_id in self.pending:
            return False
        self.pending[rating.case_id] = rating
        return True

    async def for_cases(self, case_ids: Sequence[str]) -> dict[str, CaseRating]:
        found: dict[str, CaseRating] = {}
        for case_id in case_ids:
            rating = self.pending.get(case_id) or self._store.ratings.get(case_id)
            if rating is not None:
                found[case_id] = rating
        return found

    async def score_counts(
        self, *, since: datetime, until: datetime, agent_id: str | None = None
    ) -> list[ScoreCount]:
        counts: dict[tuple[str | None, int], int] = {}
        for r in self._store.ratings.values():
            if not since <= r.rated_at < until:
                continue
            if agent_id is not None and r.agent_id != agent_id:
                continue
            counts[(r.agent_id, r.score)] = counts.get((r.agent_id, r.score), 0) + 1
        return [ScoreCount(a, s, n) for (a, s), n in counts.items()]

    def check(self) -> None:
        for case_id in self.pending:
            if case_id in self._store.ratings:
                raise ConcurrentUpdate("rating")

    def apply(self) -> None:
        self._store.ratings.update(self.pending)
        self.pending = {}
