import "@testing-library/jest-dom/vitest";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { MyCasesQuery, MyOrdersQuery } from "../../../gql/graphql";
import { fakeApi, fromNow, HOUR, withProviders, type Vars } from "../../../test/fakeApi";
import { PortalHome } from "./PortalHome";

type CaseNode = MyCasesQuery["supportCases"]["edges"][number]["node"];

function caseNode(id: string, subject: string): CaseNode {
  return {
    __typename: "SupportCase",
    id,
    number: `CS-00000${id.slice(-1)}`,
    subject,
    status: "OPEN",
    updatedAt: fromNow(-HOUR),
    order: { __typename: "Order", id: "o1", number: "#1001" },
    lastMessage: null,
  };
}

const NO_ORDERS: MyOrdersQuery = {
  __typename: "Query",
  myOrders: {
    __typename: "OrderConnection",
    edges: [],
    pageInfo: { __typename: "PageInfo", hasNextPage: false, endCursor: null },
  },
};

const LAMP = caseNode("case-1", "Lamp flickers");
const MUG = caseNode("case-2", "Mug chipped");

/** The customer's cases; a search answers the cases whose subject has the searched word. */
function answers(name: string, variables: Vars): unknown {
  if (name === "MyOrders") return NO_ORDERS;
  if (name !== "MyCases") return null;
  const text = (variables.filter as { text?: string } | null)?.text?.toLowerCase();
  const nodes = [LAMP, MUG].filter((node) => !text || node.subject.toLowerCase().includes(text));
  return {
    __typename: "Query",
    supportCases: {
      __typename: "SupportCaseConnection",
      edges: nodes.map((node) => ({ __typename: "SupportCaseEdge", node })),
      pageInfo: { __typename: "PageInfo", hasNextPage: false, endCursor: null },
    },
  } satisfies MyCasesQuery;
}

describe("PortalHome case search", () => {
  it("searches the customer's cases and comes back to all of them when cleared", async () => {
    const api = fakeApi(answers);
    render(withProviders(api, <PortalHome />, { role: "CUSTOMER" }));
    const cases = () => within(screen.getByRole("region", { name: "My cases" }));
    expect(cases().getAllByRole("listitem")).toHaveLength(2);
    expect(api.lastQuery("MyCases")).toEqual({ first: 10, after: null, filter: null });

    const ui = userEvent.setup();
    const box = screen.getByRole("searchbox", { name: "Search your cases" });
    await ui.type(box, "  lamp {Enter}");
    expect(api.lastQuery("MyCases")).toEqual({ first: 10, after: null, filter: { text: "lamp" } });
    expect(cases().getAllByRole("listitem")).toHaveLength(1);
    expect(cases().getByRole("link", { name: "Lamp flickers" })).toHaveAttribute("href", "/cases/case-1");

    await ui.clear(box);
    await ui.type(box, "kettle");
    await ui.click(screen.getByRole("button", { name: "Search" }));
    expect(cases().getByRole("status")).toHaveTextContent("No case of yours matches “kettle”.");

    await ui.clear(box);
    expect(api.lastQuery("MyCases")).toEqual({ first: 10, after: null, filter: null });
    expect(cases().getAllByRole("listitem")).toHaveLength(2);
  });
});
