import "@testing-library/jest-dom/vitest";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { CombinedError, type Client } from "urql";
import { describe, expect, it } from "vitest";
import { concat, fromValue, never } from "wonka";
import type { AgentQueueQuery, CaseEventsLiveSubscription } from "../../../gql/graphql";
import { fakeApi, fromNow, HOUR, MINUTE, withProviders, type Vars } from "../../../test/fakeApi";
import { StaffActivityProvider } from "./LiveActivity";
import { QueueScreen } from "./QueueScreen";

type Node = AgentQueueQuery["supportCases"]["edges"][number]["node"];

function caseNode(over: Partial<Node>): Node {
  return {
    __typename: "SupportCase",
    id: "case-1",
    number: "CS-000001",
    subject: "Lamp arrived broken",
    status: "IN_PROGRESS",
    priority: "HIGH",
    createdAt: fromNow(-2 * HOUR),
    updatedAt: fromNow(-MINUTE),
    firstResponseDueAt: fromNow(HOUR),
    resolutionDueAt: fromNow(2 * HOUR),
    firstResponseBreached: false,
    resolutionBreached: false,
    customer: { __typename: "User", id: "cust-1", name: "Alice Customer" },
    assignee: { __typename: "User", id: "agent-1", name: "Alex Agent" },
    order: { __typename: "Order", id: "order-1", number: "#1001" },
    lastMessage: {
      __typename: "Message",
      id: "m-1",
      internal: false,
      createdAt: fromNow(-5 * MINUTE),
      author: { __typename: "User", id: "cust-1", name: "Alice Customer", role: "CUSTOMER" },
    },
    ...over,
  };
}

function queue(nodes: Node[], hasNextPage = false): AgentQueueQuery {
  return {
    __typename: "Query",
    supportCases: {
      __typename: "SupportCaseConnection",
      totalCount: nodes.length + (hasNextPage ? 25 : 0),
      edges: nodes.map((node) => ({ __typename: "SupportCaseEdge", cursor: `c-${node.id}`, node })),
      pageInfo: { __typename: "PageInfo", hasNextPage, endCursor: hasNextPage ? "cursor-25" : null },
    },
  };
}

function answers(nodes: Node[], hasNextPage = false) {
  return (name: string, _variables: Vars) => {
    if (name === "AgentQueue") return queue(nodes, hasNextPage);
    if (name === "LatestEventCursor") return { __typename: "Query", latestCaseEventCursor: "ev-0" };
    return null;
  };
}

const overdue = caseNode({
  id: "case-2",
  number: "CS-000002",
  subject: "Where is my parcel?",
  status: "OPEN",
  priority: "URGENT",
  assignee: null,
  order: null,
  lastMessage: null,
  firstResponseDueAt: fromNow(-15 * MINUTE),
  firstResponseBreached: true,
  resolutionDueAt: fromNow(5 * HOUR),
});

/** The queue at a URL, answered with these cases (and a next page when `more`). */
function renderQueue({ path = "/", cases = [caseNode({})], more = false } = {}) {
  const api = fakeApi(answers(cases, more));
  render(withProviders(api, <QueueScreen />, { path }));
  return api;
}

describe("QueueScreen", () => {
  it("shows each case with its customer, status, priority, assignee, last message, SLA and order", () => {
    renderQueue({ cases: [caseNode({}), overdue] });

    const rows = screen.getAllByTestId("queue-row");
    expect(rows).toHaveLength(2);
    const first = within(rows[0]!);
    expect(first.getByRole("link", { name: "Lamp arrived broken" })).toHaveAttribute("href", "/cases/case-1");
    expect(first.getByText("CS-000001")).toBeInTheDocument();
    expect(first.getByText("Alice Customer")).toBeInTheDocument();
    expect(first.getByText("In progress")).toBeInTheDocument();
    expect(first.getByText("High")).toBeInTheDocument();
    expect(first.getByText("You")).toBeInTheDocument();
    expect(first.getByText("#1001")).toBeInTheDocument();
    expect(first.getByText("5 min ago")).toBeInTheDocument();
    // In progress: only the resolution clock is shown.
    expect(first.getByTestId("sla-resolution")).toHaveTextContent("Resolution: due in 2 h");
    expect(first.getByTestId("sla-resolution")).not.toHaveClass("sla-late");
    expect(first.queryByTestId("sla-first")).toBeNull();

    const second = within(rows[1]!);
    expect(second.getByText("Unassigned")).toBeInTheDocument();
    expect(second.getByText("Urgent")).toBeInTheDocument();
    expect(second.getByTestId("sla-first")).toHaveTextContent("First reply: overdue 15 min");
    expect(second.getByTestId("sla-first")).toHaveClass("sla-late");
    expect(second.getByTestId("sla-resolution")).toHaveTextContent("due in 5 h");
  });

  it("reads the filters from the URL and sends them", () => {
    const api = renderQueue({
      path: "/?status=OPEN&status=WAITING_ON_CUSTOMER&priority=URGENT&assignee=unassigned&overdue=1&q=lamp",
    });
    const status = screen.getByRole("group", { name: "Status" });
    expect(within(status).getByLabelText("Open")).toBeChecked();
    expect(within(status).getByLabelText("Waiting on customer")).toBeChecked();
    expect(within(status).getByLabelText("Closed")).not.toBeChecked();
    expect(within(screen.getByRole("group", { name: "Priority" })).getByLabelText("Urgent")).toBeChecked();
    expect(screen.getByLabelText("Assignee")).toHaveValue("unassigned");
    expect(screen.getByLabelText("Overdue only")).toBeChecked();
    expect(screen.getByLabelText("Search")).toHaveValue("lamp");
    expect(api.lastQuery("AgentQueue")).toEqual({
      first: 25,
      after: null,
      sort: "NEWEST",
      filter: {
        status: ["OPEN", "WAITING_ON_CUSTOMER"],
        priority: ["URGENT"],
        category: null,
        assignedToMe: null,
        unassigned: true,
        overdue: true,
        text: "lamp",
        customerEmail: null,
        order: null,
        createdAfter: null,
        createdBefore: null,
      },
    });
  });

  it("reads the search filters and the sort from the URL and sends them", () => {
    const api = renderQueue({
      path: "/?category=BILLING&category=OTHER&email=alice%40example.com&order=%231001&from=2026-03-01&to=2026-03-31&sort=DUE_SOONEST",
    });
    const category = screen.getByRole("group", { name: "Category" });
    expect(within(category).getByLabelText("Billing")).toBeChecked();
    expect(within(category).getByLabelText("Other")).toBeChecked();
    expect(within(category).getByLabelText("Refund request")).not.toBeChecked();
    expect(screen.getByLabelText("Customer email")).toHaveValue("alice@example.com");
    expect(screen.getByLabelText("Order")).toHaveValue("#1001");
    expect(screen.getByLabelText("Opened from")).toHaveValue("2026-03-01");
    expect(screen.getByLabelText("Opened until")).toHaveValue("2026-03-31");
    expect(screen.getByLabelText("Sort")).toHaveValue("DUE_SOONEST");
    const sent = api.lastQuery("AgentQueue");
    expect(sent).toMatchObject({
      sort: "DUE_SOONEST",
      filter: { category: ["BILLING", "OTHER"], customerEmail: "alice@example.com", order: "#1001", text: null },
    });
    // The days are the browser's: from the first day's start to the start of the day after the last.
    const filter = sent?.filter as { createdAfter: string; createdBefore: string };
    expect(filter.createdAfter).toBe(new Date(2026, 2, 1).toISOString());
    expect(filter.createdBefore).toBe(new Date(2026, 3, 1).toISOString());
  });

  it("searches messages, orders and customers, sorts, and keeps the sort when clearing", async () => {
    const api = renderQueue();
    const ui = userEvent.setup();

    await ui.type(screen.getByLabelText("Customer email"), "bob@example.com");
    await ui.type(screen.getByLabelText("Order"), "#1006");
    await ui.type(screen.getByLabelText("Search"), "television{Enter}");
    expect(screen.getByTestId("location")).toHaveTextContent("q=television&email=bob%40example.com&order=%231006");
    expect(api.lastQuery("AgentQueue")?.filter).toMatchObject({
      text: "television",
      customerEmail: "bob@example.com",
      order: "#1006",
    });

    await ui.click(within(screen.getByRole("group", { name: "Category" })).getByLabelText("Delivery problem"));
    await ui.selectOptions(screen.getByLabelText("Sort"), "OLDEST");
    expect(api.lastQuery("AgentQueue")).toMatchObject({
      sort: "OLDEST",
      filter: { category: ["DELIVERY_PROBLEM"], text: "television" },
    });
    expect(screen.getByText("Filters (3 active)")).toBeInTheDocument();

    await ui.click(screen.getByRole("button", { name: "Clear filters" }));
    expect(screen.getByTestId("location")).toHaveTextContent(/^\/\?sort=OLDEST$/);
    expect(screen.getByLabelText("Customer email")).toHaveValue("");
    expect(screen.getByLabelText("Order")).toHaveValue("");
    expect(api.lastQuery("AgentQueue")).toMatchObject({ sort: "OLDEST", filter: { text: null, order: null } });
  });

  it("writes a changed filter to the URL and asks again", async () => {
    const api = renderQueue();
    const ui = userEvent.setup();

    await ui.click(within(screen.getByRole("group", { name: "Status" })).getByLabelText("Open"));
    await ui.click(within(screen.getByRole("group", { name: "Status" })).getByLabelText("In progress"));
    await ui.selectOptions(screen.getByLabelText("Assignee"), "mine");
    await ui.click(screen.getByLabelText("Overdue only"));

    expect(screen.getByTestId("location")).toHaveTextContent("/?status=OPEN&status=IN_PROGRESS&assignee=mine&overdue=1");
    expect(api.lastQuery("AgentQueue")?.filter).toEqual({
      status: ["OPEN", "IN_PROGRESS"],
      priority: null,
      category: null,
      assignedToMe: true,
      unassigned: null,
      overdue: true,
      text: null,
      customerEmail: null,
      order: null,
      createdAfter: null,
      createdBefore: null,
    });

    await ui.type(screen.getByLabelText("Search"), "CS-000042{Enter}");
    expect(screen.getByTestId("location")).toHaveTextContent("q=CS-000042");
    expect(api.lastQuery("AgentQueue")?.filter).toMatchObject({ text: "CS-000042" });

    await ui.click(screen.getByRole("button", { name: "Clear filters" }));
    expect(screen.getByTestId("location")).toHaveTextContent(/^\/$/);
    expect(screen.getByLabelText("Search")).toHaveValue("");
  });

  it("pages forward with the cursor and back to the first page", async () => {
    const api = renderQueue({ more: true });
    const ui = userEvent.setup();
    await ui.click(screen.getByRole("button", { name: "Next page" }));
    expect(api.lastQuery("AgentQueue")).toMatchObject({ first: 25, after: "cursor-25" });
    await ui.click(screen.getByRole("button", { name: /Back to the first page/ }));
    expect(api.lastQuery("AgentQueue")).toMatchObject({ after: null });
  });

  it("says when no case matches", () => {
    renderQueue({ path: "/?status=CLOSED", cases: [] });
    expect(screen.getByText("No cases match these filters.")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Clear all filters" })).toBeInTheDocument();
  });

  it("shows a request error instead of a blank queue", () => {
    const api = fakeApi(answers([]));
    const failing = {
      ...api.client,
      executeQuery: (operation: { query: { definitions: ReadonlyArray<{ name?: { value: string } }> } }) =>
        operation.query.definitions[0]?.name?.value === "AgentQueue"
          ? // A real source stays open after an error (its end would clear the error in urql).
            concat([fromValue({ operation, error: new CombinedError({ networkError: new Error("offline") }) }), never])
          : api.client.executeQuery(operation as never),
    } as unknown as Client;
    render(withProviders({ ...api, client: failing }, <QueueScreen />));
    expect(screen.getByRole("alert")).toHaveTextContent("The server cannot be reached");
  });

  it("lists live events newest first, each once", async () => {
    type LiveEvent = CaseEventsLiveSubscription["caseEvents"];
    const event = (id: string, type: LiveEvent["type"], summary: string): LiveEvent => ({
      __typename: "CaseEvent",
      id,
      cursor: id,
      type,
      occurredAt: fromNow(-MINUTE),
      summary,
      actor: null,
      message: null,
      refund: null,
      supportCase: {
        __typename: "SupportCase",
        id: "case-9",
        number: "CS-000009",
        subject: "New one",
        status: "OPEN",
        priority: "NORMAL",
        updatedAt: fromNow(0),
        firstResponseDueAt: fromNow(HOUR),
        resolutionDueAt: fromNow(3 * HOUR),
        firstResponseBreached: false,
        resolutionBreached: false,
        assignee: null,
      },
    });
    const opened = event("ev-1", "CASE_OPENED", "Case opened");
    const posted = event("ev-2", "MESSAGE_POSTED", "Message posted");
    // A replay after a reconnect can deliver an event again: it is shown once.
    const api = fakeApi(answers([caseNode({})]), [opened, posted, { ...opened }]);
    render(
      withProviders(
        api,
        <StaffActivityProvider>
          <QueueScreen />
        </StaffActivityProvider>,
      ),
    );

    await waitFor(() => expect(screen.getAllByTestId("activity-item")).toHaveLength(2));
    const items = screen.getAllByTestId("activity-item");
    expect(items[0]).toHaveTextContent("Message");
    expect(items[0]).toHaveTextContent("CS-000009");
    expect(items[0]).toHaveTextContent("Message posted");
    expect(items[1]).toHaveTextContent("Case opened");
    expect(within(items[1]!).getByRole("link")).toHaveAttribute("href", "/cases/case-9");
  });
});
