from __future__ import annotations

from typing import Annotated

import strawberry

from app.graphql import fields
from app.graphql.context import Info
from app.graphql.mutations._run import input_argument, internal_id, result_union, run
from app.graphql.permissions import IsAuthenticated
from app.graphql.types.errors import Conflict, IdempotencyKeyReused, NotFound, ValidationFailed
from app.graphql.types.objects import Message, SupportCase
from domain.usecases import post_message as use_case


@strawberry.input(description="A message on a case.")
class PostMessageInput:
    case_id: strawberry.ID = strawberry.field(description="SupportCase.id")
    body: str = strawberry.field(description="Plain text, 1-10,000 characters.")
    internal: bool = strawberry.field(
        default=False, description="Agents only: an internal note customers never see."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Makes retries safe (1..255 visible ASCII characters, unique per message): "
        "the same key with the same input returns the first result instead of a second message; "
        "with other input, IdempotencyKeyReused. Kept per caller. Only a successful call is "
        "remembered (a refused one changed nothing).",
    )


@strawberry.type(description="The message was posted.")
class MessagePosted:
    posted_message: Message = strawberry.field(description="The new message.")
    support_case: SupportCase = strawberry.field(description="The case, after the message.")

    @fields.field(
        description="The new message (same as `postedMessage`).",
        deprecation_reason="Use `postedMessage`: `message` clashes with `Error.message` "
        "(String!) when both are selected in one result, so clients had to alias it.",
    )
    def message(self) -> Message:
        return self.posted_message


PostMessageResult = Annotated[
    MessagePosted | ValidationFailed | NotFound | Conflict | IdempotencyKeyReused,
    result_union("postMessage"),
]


async def post_message(
    info: Info,
    input: Annotated[PostMessageInput, input_argument("postMessage")],
) -> PostMessageResult:
    principal = info.context.require_principal()

    async def work() -> MessagePosted:
        message, case = await use_case.post_message(
            info.context.services,
            principal,
            internal_id(input.case_id, "SupportCase", "Case"),
            input.body,
            internal=input.internal,
            idempotency_key=input.idempotency_key,
        )
        return MessagePosted(
            posted_message=Message.from_domain(message), support_case=SupportCase.from_domain(case)
        )

    return await run(work())  # type: ignore[return-value]


field = strawberry.mutation(
    resolver=post_message,
    permission_classes=[IsAuthenticated],
    description="Reply on a case, or (agents) add an internal note.",
)
