"""Demo users of API.md, created idempotently (embedded mode and tests)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from domain.ports import Clock, PasswordHasher, UnitOfWorkFactory
from domain.users import Role, User

log = logging.getLogger("app.seed")

DEMO_PASSWORD = "demo-password"


@dataclass(frozen=True, slots=True)
class DemoUser:
    email: str
    name: str
    role: Role
    external_customer_id: str | None = None


def demo_users(alice_customer_id: str, bob_customer_id: str) -> list[DemoUser]:
    return [
        DemoUser("alice@example.com", "Alice Anders", Role.CUSTOMER, alice_customer_id),
        DemoUser("bob@example.com", "Bob Brown", Role.CUSTOMER, bob_customer_id),
        DemoUser("agent@example.com", "Agnes Agent", Role.AGENT),
        DemoUser("sam@example.com", "Sam Support", Role.AGENT),
        DemoUser("admin@example.com", "Ada Admin", Role.ADMIN),
    ]


async def seed_demo_users(
    uow: UnitOfWorkFactory, passwords: PasswordHasher, clock: Clock, users: list[DemoUser]
) -> int:
    """Create the demo users that do not exist yet; returns how many were created."""
    created = 0
    password_hash = passwords.hash(DEMO_PASSWORD)
    async with uow() as work:
        for demo in users:
            if await work.users.get_by_email(demo.email) is not None:
                continue
            await work.users.add(
                User(
                    id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"demo-user:{demo.email}")),
                    email=demo.email,
                    name=demo.name,
                    role=demo.role,
                    password_hash=password_hash,
                    created_at=clock.now(),
                    external_customer_id=demo.external_customer_id,
                )
            )
            created += 1
        await work.commit()
    if created:
        log.info("seeded %d demo users", created)
    return created
