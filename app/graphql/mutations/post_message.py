from __future__ import annotations

import strawberry

from app.graphql.context import Info
from app.graphql.fields import field, mutation
from app.graphql.mutations._cases import on_case
from app.graphql.mutations._idempotency import idempotency_key_field
from app.graphql.permissions import IsAuthenticated
from app.graphql.types.errors import Conflict, IdempotencyKeyReused, NotFound, ValidationFailed
from app.graphql.types.objects import Message, SupportCase
from domain import cases as dc
from domain.usecases import post_message as use_case


@strawberry.input(description="A message on a case.")
class PostMessageInput:
    case_id: strawberry.ID = strawberry.field(description="SupportCase.id")
    body: str = strawberry.field(description="Plain text, 1-10,000 characters.")
    internal: bool = strawberry.field(
        default=False, description="Agents only: an internal note customers never see."
    )
    idempotency_key: str | None = idempotency_key_field(unit="message", second="message")


@strawberry.type(description="The message was posted.")
class MessagePosted:
    posted_message: Message = strawberry.field(description="The new message.")
    support_case: SupportCase = strawberry.field(description="The case, after the message.")

    @field(
        description="The new message (same as `postedMessage`).",
        deprecation_reason="Use `postedMessage`: `message` clashes with `Error.message` "
        "(String!) when both are selected in one result, so clients had to alias it.",
    )
    def message(self) -> Message:
        return self.posted_message


PostMessageResult = MessagePosted | ValidationFailed | NotFound | Conflict | IdempotencyKeyReused


def _posted(result: tuple[dc.Message, dc.SupportCase]) -> MessagePosted:
    message, case = result
    return MessagePosted(
        posted_message=Message.from_domain(message), support_case=SupportCase.from_domain(case)
    )


@mutation(
    permission_classes=[IsAuthenticated],
    description="Reply on a case, or (agents) add an internal note.",
)
async def post_message(info: Info, input: PostMessageInput) -> PostMessageResult:
    return await on_case(  # type: ignore[return-value]
        info,
        input.case_id,
        _posted,
        use_case.post_message,
        input.body,
        internal=input.internal,
        idempotency_key=input.idempotency_key,
    )
