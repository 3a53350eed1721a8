import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { fakeApi, withProviders, type Vars } from "../../../test/fakeApi";
import { MacroPicker } from "./MacroPicker";

const MACROS = {
  macros: {
    __typename: "MacroConnection",
    edges: [
      { __typename: "MacroEdge", node: { __typename: "Macro", id: "m1", title: "Refund on its way", needsOrder: true } },
      { __typename: "MacroEdge", node: { __typename: "Macro", id: "m2", title: "Thanks", needsOrder: false } },
    ],
    pageInfo: { __typename: "PageInfo", hasNextPage: false, endCursor: null },
  },
};

const PREVIEW = {
  macroPreview: { __typename: "MacroPreview", renderedBody: "Hi Alice, USD 120.00 is on its way (CS-000001)." },
};

function answers(apply: unknown, preview: unknown = PREVIEW) {
  return (name: string, _vars: Vars) => {
    if (name === "MacroChoices") return MACROS;
    if (name === "PreviewMacro") return preview;
    return { applyMacro: apply };
  };
}

const OPEN_CASE = { id: "case-1", status: "IN_PROGRESS" as const, hasOrder: true };

describe("MacroPicker", () => {
  it("previews the filled text, then posts it as a note and resolves the case in one go", async () => {
    const applied = {
      __typename: "MacroApplied",
      postedMessage: {
        __typename: "Message",
        id: "msg-1",
        body: "Hi Alice",
        internal: true,
        createdAt: "2026-12-01T10:00:00Z",
        author: { __typename: "User", id: "agent-1", name: "Alex Agent", role: "AGENT" },
      },
      supportCase: {
        __typename: "SupportCase",
        id: "case-1",
        status: "RESOLVED",
        updatedAt: "2026-12-01T10:00:00Z",
        firstResponseBreached: false,
        resolutionBreached: false,
      },
    };
    const api = fakeApi(answers(applied));
    render(withProviders(api, <MacroPicker supportCase={OPEN_CASE} />));
    await userEvent.selectOptions(await screen.findByLabelText("Macro"), "m1");
    expect(await screen.findByTestId("macro-preview")).toHaveTextContent("Hi Alice, USD 120.00 is on its way (CS-000001).");
    expect(api.lastQuery("PreviewMacro")).toEqual({ caseId: "case-1", macroId: "m1" });

    const status = screen.getByLabelText("Then set the status");
    expect(within(status).getAllByRole("option").map((o) => o.textContent)).toEqual([
      "Leave it In progress",
      "Waiting on customer",
      "Resolved",
    ]);
    await userEvent.selectOptions(status, "RESOLVED");
    await userEvent.click(screen.getByRole("button", { name: "Add macro as internal note" }));
    await waitFor(() => expect(api.mutations).toHaveLength(1));
    expect(api.mutations[0]?.variables.input).toMatchObject({
      caseId: "case-1",
      macroId: "m1",
      internal: true,
      status: "RESOLVED",
    });
    expect((api.mutations[0]?.variables.input as Vars).idempotencyKey).toEqual(expect.any(String));
    expect(screen.getByText("Macro added as an internal note. The case is now Resolved.")).toHaveClass("notice-good");
  });

  it("shows why a macro cannot be used, and why applying it was refused", async () => {
    const refused = {
      __typename: "InvalidTransition",
      message: "A case cannot move from IN_PROGRESS to OPEN",
      code: "INVALID_TRANSITION",
      fromCaseStatus: "IN_PROGRESS",
      toCaseStatus: "OPEN",
    };
    const noOrder = {
      macroPreview: {
        __typename: "ValidationFailed",
        message: "Invalid input",
        code: "VALIDATION_FAILED",
        fields: [{ __typename: "FieldError", field: "body", message: "{{order_number}} cannot be filled: this case has no order" }],
      },
    };
    const api = fakeApi(answers(refused, noOrder));
    const { unmount } = render(withProviders(api, <MacroPicker supportCase={OPEN_CASE} />));
    await userEvent.selectOptions(await screen.findByLabelText("Macro"), "m2");
    expect(await screen.findByRole("alert")).toHaveTextContent("this case has no order");
    expect(screen.queryByRole("button", { name: "Send macro as reply" })).toBeNull();
    unmount();

    const api2 = fakeApi(answers(refused));
    render(withProviders(api2, <MacroPicker supportCase={{ ...OPEN_CASE, id: "case-2" }} />));
    await userEvent.selectOptions(await screen.findByLabelText("Macro"), "m2");
    await userEvent.click(await screen.findByRole("button", { name: "Send macro as reply" }));
    await waitFor(() => expect(api2.mutations).toHaveLength(1));
    expect(await screen.findByText(/cannot move from IN_PROGRESS to OPEN/)).toBeInTheDocument();
  });

  it("marks macros that need an order on a case without one", async () => {
    const api = fakeApi(answers(null));
    render(withProviders(api, <MacroPicker supportCase={{ ...OPEN_CASE, hasOrder: false }} />));
    const option = await screen.findByRole("option", { name: "Refund on its way (needs an order)" });
    expect(option).toBeDisabled();
  });
});
