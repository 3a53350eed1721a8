import "@testing-library/jest-dom/vitest";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { AgentCaseMessagesQuery, AgentCaseQuery, Role } from "../../../gql/graphql";
import { fakeApi, fromNow, HOUR, MINUTE, withProviders, type Answer } from "../../../test/fakeApi";
import { AgentCaseScreen } from "./AgentCaseScreen";

type Case = NonNullable<AgentCaseQuery["supportCase"]>;
type Refund = Case["refunds"]["edges"][number]["node"];

const refundsOf = (...refunds: Refund[]): Case["refunds"] => ({
  __typename: "RefundConnection",
  totalCount: refunds.length,
  edges: refunds.map((node) => ({ __typename: "RefundEdge" as const, node })),
});

const usd = (amount: number) => ({ __typename: "Money" as const, amount, currency: "USD" });

function refund(over: Partial<Refund>): Refund {
  return {
    __typename: "Refund",
    id: "refund-1",
    status: "REQUESTED",
    reason: "DAMAGED",
    note: null,
    approval: null,
    decisionNote: null,
    failureReason: null,
    attempt: 1,
    includeShipping: false,
    requiresAdminApproval: false,
    createdAt: fromNow(-HOUR),
    updatedAt: fromNow(-HOUR),
    amount: usd(4000),
    decidedBy: null,
    lines: [{ __typename: "RefundLineItem", lineId: "line-1", quantity: 1 }],
    ...over,
  };
}

function supportCase(over: Partial<Case> = {}): Case {
  return {
    __typename: "SupportCase",
    id: "case-1",
    number: "CS-000001",
    subject: "Lamp arrived broken",
    description: "The shade shattered in the box.",
    category: "REFUND_REQUEST",
    status: "OPEN",
    priority: "NORMAL",
    createdAt: fromNow(-HOUR),
    updatedAt: fromNow(-MINUTE),
    firstResponseDueAt: fromNow(2 * HOUR),
    resolutionDueAt: fromNow(-15 * MINUTE),
    firstResponseBreached: false,
    resolutionBreached: true,
    satisfaction: null,
    customer: { __typename: "User", id: "cust-1", name: "Alice Customer", email: "alice@example.com" },
    assignee: null,
    order: {
      __typename: "Order",
      id: "order-1",
      number: "#1001",
      status: "DELIVERED",
      placedAt: fromNow(-240 * HOUR),
      promisedDeliveryDate: null,
      deliveredAt: fromNow(-72 * HOUR),
      stale: true,
      asOf: "2026-12-01T10:00:00+00:00",
      total: usd(12000),
      shipping: usd(500),
      refundedAmount: usd(0),
      refundableAmount: usd(12000),
      lines: [
        {
          __typename: "OrderLine",
          id: "line-1",
          sku: "LAMP-1",
          name: "Desk lamp",
          quantity: 1,
          refundedQuantity: 0,
          unitPrice: usd(4000),
        },
      ],
    },
    refunds: refundsOf(),
    ...over,
  };
}

const noMessages: AgentCaseMessagesQuery = {
  __typename: "Query",
  supportCase: {
    __typename: "SupportCase",
    id: "case-1",
    messages: {
      __typename: "MessageConnection",
      edges: [],
      pageInfo: { __typename: "PageInfo", hasNextPage: false, endCursor: null },
    },
  },
};

/** The case's queries, and each mutation's answer by its operation name (none: null). */
function answers(theCase: Case, mutations: Record<string, unknown> = {}): Answer {
  return (name) => {
    switch (name) {
      case "AgentCase":
        return { __typename: "Query", supportCase: theCase };
      case "AgentCaseMessages":
        return noMessages;
      case "AgentCaseTimeline":
        return {
          __typename: "Query",
          supportCase: {
            __typename: "SupportCase",
            id: "case-1",
            timeline: {
              __typename: "CaseEventConnection",
              edges: [
                {
                  __typename: "CaseEventEdge",
                  cursor: "t-1",
                  node: {
                    __typename: "CaseEvent",
                    id: "ev-1",
                    type: "PRIORITY_CHANGED",
                    occurredAt: fromNow(-30 * MINUTE),
                    summary: "Priority changed",
                    before: "LOW",
                    after: "NORMAL",
                    actor: { __typename: "User", id: "agent-2", name: "Sam Agent", role: "AGENT" },
                  },
                },
              ],
              pageInfo: { __typename: "PageInfo", hasNextPage: true, endCursor: "t-1" },
            },
          },
        };
      case "AgentList":
        return {
          __typename: "Query",
          agentsConnection: {
            __typename: "UserConnection",
            edges: [
              { __typename: "User", id: "agent-1", name: "Alex Agent", role: "AGENT" },
              { __typename: "User", id: "agent-2", name: "Sam Agent", role: "AGENT" },
              { __typename: "User", id: "admin-1", name: "Ada Admin", role: "ADMIN" },
            ].map((node) => ({ __typename: "UserEdge", node })),
          },
        };
      case "LatestEventCursor":
        return { __typename: "Query", latestCaseEventCursor: null };
      case "MacroChoices":
        return {
          __typename: "Query",
          macros: {
            __typename: "MacroConnection",
            edges: [],
            pageInfo: { __typename: "PageInfo", hasNextPage: false, endCursor: null },
          },
        };
      default:
        return mutations[name] ?? null;
    }
  };
}

function renderCase(theCase: Case, mutations: Record<string, unknown> = {}, role: Role = "AGENT") {
  const api = fakeApi(answers(theCase, mutations));
  render(withProviders(api, <AgentCaseScreen />, { path: "/cases/case-1", route: "/cases/:caseId", role }));
  return { api, ui: userEvent.setup() };
}

/** The case with one refund; `item` queries inside that refund. */
function renderRefund(over: Partial<Refund>, mutations: Record<string, unknown> = {}, role: Role = "AGENT") {
  const rendered = renderCase(supportCase({ refunds: refundsOf(refund(over)) }), mutations, role);
  return { ...rendered, item: within(screen.getByTestId("refund")) };
}

describe("AgentCaseScreen", () => {
  it("shows the case, its SLA, the order (stale) and the timeline", () => {
    renderCase(supportCase());
    expect(screen.getByRole("heading", { level: 1, name: "Lamp arrived broken" })).toBeInTheDocument();
    expect(screen.getByText(/CS-000001/)).toBeInTheDocument();
    expect(screen.getByText("alice@example.com")).toHaveAttribute("href", "mailto:alice@example.com");
    expect(screen.getByTestId("sla-first")).toHaveTextContent("First reply: due in 2 h");
    expect(screen.getByTestId("sla-resolution")).toHaveTextContent("Resolution: overdue 15 min");
    expect(screen.getByTestId("sla-resolution")).toHaveClass("sla-late");
    expect(screen.getByTestId("order-stale")).toHaveTextContent("Order data may be out of date (as of");
    expect(screen.getByText("Desk lamp")).toBeInTheDocument();
    expect(screen.getByTestId("refundable-amount")).toHaveTextContent("$120.00");
    const event = screen.getByTestId("timeline-event");
    expect(event).toHaveTextContent("Priority changed");
    expect(event).toHaveTextContent("Sam Agent");
    expect(event).toHaveTextContent("Low → to Normal");
    expect(screen.getByRole("button", { name: "Show more" })).toBeInTheDocument();
  });

  it("sends a reply as public and a note as internal", async () => {
    const { api, ui } = renderCase(supportCase(), {
      AgentPostMessage: {
        postMessage: {
          __typename: "MessagePosted",
          postedMessage: {
            __typename: "Message",
            id: "m-9",
            body: "b",
            internal: false,
            createdAt: fromNow(0),
            author: { __typename: "User", id: "agent-1", name: "Alex Agent", role: "AGENT" },
          },
          supportCase: { __typename: "SupportCase", id: "case-1", status: "OPEN", updatedAt: fromNow(0), firstResponseBreached: false },
        },
      },
    });
    const box = screen.getByRole("textbox", { name: "Message" });
    await ui.type(box, "Sorry! A refund is on its way.");
    await ui.click(screen.getByRole("button", { name: "Send reply to customer" }));
    expect(within(screen.getByTestId("composer")).getByRole("status")).toHaveTextContent("Reply sent to the customer.");
    expect(box).toHaveValue("");

    await ui.type(box, "Check the supplier batch.");
    await ui.click(screen.getByRole("button", { name: "Add internal note" }));
    expect(within(screen.getByTestId("composer")).getByRole("status")).toHaveTextContent("Internal note added");

    const sent = api.mutations.filter((m) => m.name === "AgentPostMessage").map((m) => m.variables.input);
    expect(sent).toEqual([
      { caseId: "case-1", body: "Sorry! A refund is on its way.", internal: false, idempotencyKey: expect.any(String) },
      { caseId: "case-1", body: "Check the supplier batch.", internal: true, idempotencyKey: expect.any(String) },
    ]);
    // Two messages, two keys: a key stands for one intended message, retries of it included.
    expect(new Set(sent.map((input) => (input as { idempotencyKey: string }).idempotencyKey)).size).toBe(2);
    expect(screen.getByText("Internal note — only staff can see this")).toBeInTheDocument();
  });

  it("shows an ApprovalLimitExceeded answer where the approval was asked", async () => {
    const { api, ui, item } = renderRefund({}, {
      ApproveRefund: {
        approveRefund: {
          __typename: "ApprovalLimitExceeded",
          message: "Agents may approve refunds up to USD 500.00.",
          code: "APPROVAL_LIMIT_EXCEEDED",
        },
      },
    });
    await ui.type(item.getByLabelText(/Decision note/), "Broken on arrival");
    await ui.click(item.getByRole("button", { name: "Approve refund" }));
    expect(item.getByRole("alert")).toHaveTextContent("Above your approval limit.");
    expect(item.getByRole("alert")).toHaveTextContent("Agents may approve refunds up to USD 500.00.");
    expect(api.mutations.at(-1)?.variables).toEqual({ input: { refundId: "refund-1", note: "Broken on arrival" } });
  });

  it("asks for a note before rejecting and shows a refusal in place", async () => {
    const { api, ui, item } = renderRefund({}, {
      RejectRefund: {
        rejectRefund: {
          __typename: "InvalidTransition",
          message: "The refund is already APPROVED.",
          code: "INVALID_TRANSITION",
        },
      },
    });
    await ui.click(item.getByRole("button", { name: "Reject refund" }));
    expect(item.getByRole("alert")).toHaveTextContent("Write a note for the customer");
    expect(api.mutations).toHaveLength(0);
    await ui.type(item.getByLabelText(/Decision note/), "Outside our policy");
    await ui.click(item.getByRole("button", { name: "Reject refund" }));
    expect(item.getByRole("alert")).toHaveTextContent("The refund is already APPROVED.");
  });

  it("tells an agent that a refund above their limit needs an admin", () => {
    const { item } = renderRefund({ requiresAdminApproval: true, amount: usd(80000) });
    expect(item.getByText("Needs an admin (above your approval limit).")).toBeInTheDocument();
    expect(item.queryByRole("button", { name: "Approve refund" })).toBeNull();
    expect(item.getByRole("button", { name: "Reject refund" })).toBeInTheDocument();
  });

  it("lets an admin approve what only an admin may", () => {
    const { item } = renderRefund({ requiresAdminApproval: true, amount: usd(80000) }, {}, "ADMIN");
    expect(item.getByText("Admin approval")).toBeInTheDocument();
    expect(item.getByRole("button", { name: "Approve refund" })).toBeEnabled();
    expect(item.queryByText(/Needs an admin/)).toBeNull();
  });

  it("retries a failed payout", async () => {
    const { api, ui } = renderRefund(
      { status: "FAILED", failureReason: "Card expired" },
      { RetryRefund: { retryRefund: { __typename: "RefundNotAllowed", message: "No.", code: "REFUND_NOT_ALLOWED", denial: "EXCEEDS_REFUNDABLE_AMOUNT" } } },
    );
    expect(screen.getByText("The payout failed: Card expired")).toBeInTheDocument();
    await ui.click(screen.getByRole("button", { name: "Retry payout" }));
    expect(api.mutations.at(-1)).toEqual({ name: "RetryRefund", variables: { input: { refundId: "refund-1" } } });
    expect(screen.getByRole("alert")).toHaveTextContent("That is more than can still be refunded on this order.");
  });

  it("assigns, sets the priority and offers only the statuses the case can move to", async () => {
    const { api, ui } = renderCase(supportCase(), {
      ChangeCaseStatus: {
        changeCaseStatus: {
          __typename: "InvalidTransition",
          message: "Cannot move from OPEN to RESOLVED.",
          code: "INVALID_TRANSITION",
          fromCaseStatus: "OPEN",
          toCaseStatus: "RESOLVED",
        },
      },
    });
    const assignee = screen.getByLabelText("Assignee");
    expect(within(assignee).getAllByRole("option").map((o) => o.textContent)).toEqual([
      "Unassigned",
      "Me",
      "Sam Agent",
      "Ada Admin (admin)",
    ]);
    await ui.selectOptions(assignee, "Me");
    await ui.click(screen.getByRole("button", { name: "Assign" }));
    expect(api.mutations.at(-1)).toEqual({ name: "AssignCase", variables: { input: { caseId: "case-1", assigneeId: "agent-1" } } });

    await ui.selectOptions(screen.getByLabelText("Priority"), "URGENT");
    await ui.click(screen.getByRole("button", { name: "Set priority" }));
    expect(api.mutations.at(-1)).toEqual({ name: "SetCasePriority", variables: { input: { caseId: "case-1", priority: "URGENT" } } });

    const status = screen.getByLabelText("Status");
    expect(within(status).getAllByRole("option").map((o) => (o as HTMLOptionElement).value)).toEqual(["", "IN_PROGRESS", "RESOLVED"]);
    await ui.selectOptions(status, "RESOLVED");
    await ui.click(screen.getByRole("button", { name: "Change status" }));
    expect(screen.getByRole("alert")).toHaveTextContent("Cannot move from OPEN to RESOLVED.");
  });

  it("pages the timeline with its cursor", async () => {
    const { api, ui } = renderCase(supportCase());
    await ui.click(screen.getByRole("button", { name: "Show more" }));
    expect(api.lastQuery("AgentCaseTimeline")).toEqual({ id: "case-1", after: "t-1" });
  });

  it("closes the composer on a closed case and offers no status change", () => {
    renderCase(supportCase({ status: "CLOSED" }));
    expect(screen.getByText(/This case is closed/)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Send reply to customer" })).toBeNull();
    expect(screen.queryByLabelText("Status")).toBeNull();
    expect(screen.getByText(/a closed case cannot change any more/)).toBeInTheDocument();
  });

  it("says so when the case does not exist", () => {
    const api = fakeApi((name) =>
      name === "AgentCase" ? { __typename: "Query", supportCase: null } : name === "LatestEventCursor" ? { latestCaseEventCursor: null } : null,
    );
    render(withProviders(api, <AgentCaseScreen />, { path: "/cases/nope", route: "/cases/:caseId" }));
    expect(screen.getByText(/This case does not exist/)).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "← Queue" })).toHaveAttribute("href", "/");
  });
});
