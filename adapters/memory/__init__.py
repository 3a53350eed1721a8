"""In-process implementations of the domain ports.

They back the embedded mode's in-process pieces and are the fakes of the unit tests, so they
follow the ports' documented semantics faithfully (transactions, optimistic versions, the
refund ledger's guard, keyset pagination).
"""

from adapters.memory.events import InMemoryEventPublisher
from adapters.memory.orders import FakeOrderSystem
from adapters.memory.reads import InMemoryReadStore
from adapters.memory.store import InMemoryStore
from adapters.memory.uow import (
    DuplicateKey,
    InMemoryUnitOfWork,
    InMemoryUnitOfWorkFactory,
    UnitOfWorkClosed,
)

__all__ = [
    "DuplicateKey",
    "FakeOrderSystem",
    "InMemoryEventPublisher",
    "InMemoryReadStore",
    "InMemoryStore",
    "InMemoryUnitOfWork",
    "InMemoryUnitOfWorkFactory",
    "UnitOfWorkClosed",
]
