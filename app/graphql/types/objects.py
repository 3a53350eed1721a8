"""The node types, one module per aggregate (users, orders, messages, refunds, events, cases);
re-exported here for the modules that import them from one place."""

from __future__ import annotations

from app.graphql.types.cases import SupportCase, SupportCaseConnection
from app.graphql.types.connections import TOTAL_COUNT_DESCRIPTION, Connection, Counter, Edge
from app.graphql.types.events import CaseEvent, CaseEventConnection
from app.graphql.types.messages import Message, MessageConnection
from app.graphql.types.orders import Order, OrderConnection, OrderLine
from app.graphql.types.refunds import Refund, RefundConnection, RefundLineItem, RefundQuote
from app.graphql.types.users import User, UserConnection

__all__ = [
    "TOTAL_COUNT_DESCRIPTION",
    "CaseEvent",
    "CaseEventConnection",
    "Connection",
    "Counter",
    "Edge",
    "Message",
    "MessageConnection",
    "Order",
    "OrderConnection",
    "OrderLine",
    "Refund",
    "RefundConnection",
    "RefundLineItem",
    "RefundQuote",
    "SupportCase",
    "SupportCaseConnection",
    "User",
    "UserConnection",
]
