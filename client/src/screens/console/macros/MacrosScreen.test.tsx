import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { fakeApi, withProviders, type Vars } from "../../../test/fakeApi";
import { MacrosScreen } from "./MacrosScreen";

const LIBRARY = {
  macros: {
    __typename: "MacroConnection",
    edges: [
      {
        __typename: "MacroEdge",
        cursor: "c1",
        node: {
          __typename: "Macro",
          id: "m1",
          title: "Greeting",
          body: "Hello {{customer_name}}",
          needsOrder: false,
          updatedAt: "2026-12-01T10:00:00Z",
          updatedBy: { __typename: "User", id: "agent-1", name: "Alex Agent" },
        },
      },
    ],
    pageInfo: { __typename: "PageInfo", hasNextPage: false, endCursor: "c1" },
  },
};
const PLACEHOLDERS = {
  macroPlaceholders: [
    {
      __typename: "MacroPlaceholder",
      name: "customer_name",
      token: "{{customer_name}}",
      description: "The customer's name.",
      example: "Alice",
      needsOrder: false,
    },
  ],
};

describe("MacrosScreen", () => {
  it("lists macros, inserts placeholders and shows why a body was refused", async () => {
    const refused = {
      __typename: "ValidationFailed",
      message: "Invalid input: body: unknown placeholder {{coupon}}",
      code: "VALIDATION_FAILED",
      fields: [{ __typename: "FieldError", field: "body", message: "unknown placeholder {{coupon}}" }],
    };
    const api = fakeApi((name: string, _vars: Vars) => {
      if (name === "MacroLibrary") return LIBRARY;
      if (name === "PlaceholderList") return PLACEHOLDERS;
      return { createMacro: refused };
    });
    render(withProviders(api, <MacrosScreen />));
    expect(await screen.findByTestId("macro-Greeting")).toHaveTextContent("Hello {{customer_name}}");
    await userEvent.type(screen.getByLabelText("Title"), "Coupon");
    await userEvent.type(screen.getByLabelText("Text"), "Here is {{{{coupon}}");
    await userEvent.click(screen.getByRole("button", { name: "Insert {{customer_name}}" }));
    expect(screen.getByLabelText("Text")).toHaveValue("Here is {{coupon}}{{customer_name}}");
    await userEvent.click(screen.getByRole("button", { name: "Save macro" }));
    await waitFor(() => expect(api.mutations).toHaveLength(1));
    expect(api.mutations[0]?.variables.input).toEqual({ title: "Coupon", body: "Here is {{coupon}}{{customer_name}}" });
    expect(await screen.findByRole("alert")).toHaveTextContent("unknown placeholder {{coupon}}");
  });

  it("edits a macro in place and asks before deleting", async () => {
    const api = fakeApi((name: string) => {
      if (name === "MacroLibrary") return LIBRARY;
      if (name === "PlaceholderList") return PLACEHOLDERS;
      if (name === "DeleteMacro") return { deleteMacro: { __typename: "NotFound", message: "Macro not found", code: "NOT_FOUND" } };
      return {
        updateMacro: {
          __typename: "MacroSaved",
          macro: { __typename: "Macro", id: "m1", title: "Hi", body: "Hello", needsOrder: false, updatedAt: "2026-12-01T10:00:00Z" },
        },
      };
    });
    render(withProviders(api, <MacrosScreen />));
    await userEvent.click(await screen.findByRole("button", { name: "Edit Greeting" }));
    expect(screen.getByRole("heading", { name: "Edit macro" })).toBeInTheDocument();
    await userEvent.clear(screen.getByLabelText("Title"));
    await userEvent.type(screen.getByLabelText("Title"), "Hi");
    await userEvent.click(screen.getByRole("button", { name: "Save changes" }));
    await waitFor(() => expect(api.mutations).toHaveLength(1));
    expect(api.mutations[0]?.variables.input).toEqual({ macroId: "m1", title: "Hi", body: "Hello {{customer_name}}" });
    expect(await screen.findByText("Saved “Hi”.")).toHaveClass("notice-good");

    await userEvent.click(screen.getByRole("button", { name: "Delete Greeting" }));
    expect(api.mutations).toHaveLength(1);
    await userEvent.click(screen.getByRole("button", { name: "Really delete Greeting" }));
    await waitFor(() => expect(api.mutations).toHaveLength(2));
    expect(await screen.findByRole("alert")).toHaveTextContent("Macro not found");
  });
});
