import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { fakeApi, withProviders } from "../../../test/fakeApi";
import { RefundRequestForm } from "./RefundRequestForm";

const USD = (amount: number) => ({ __typename: "Money", amount, currency: "USD" });
const QUOTE = {
  refundQuote: {
    __typename: "RefundQuote",
    eligible: true,
    denial: null,
    windowEndsAt: "2026-12-31T00:00:00Z",
    refundableAmount: USD(12000),
    order: {
      __typename: "Order",
      id: "o1",
      number: "#1001",
      shipping: USD(500),
      lines: [
        { __typename: "OrderLine", id: "l1", name: "Mug", sku: "M", quantity: 2, refundedQuantity: 0, unitPrice: USD(4000) },
      ],
    },
  },
};

function answers(outcome: Record<string, unknown>) {
  return (name: string) => (name === "RefundQuoteForOrder" ? QUOTE : { requestRefund: outcome });
}

describe("RefundRequestForm", () => {
  it("shows the quote first, then asks once per intended request", async () => {
    const failure = { __typename: "Conflict", message: "Try again.", code: "CONFLICT" };
    const api = fakeApi(answers(failure));
    render(withProviders(api, <RefundRequestForm caseId="c1" orderId="o1" />));
    expect(await screen.findByTestId("refund-quote")).toHaveTextContent("Refundable now: $120.00");

    await userEvent.type(screen.getByLabelText("Amount (USD)"), "40");
    await userEvent.click(screen.getByRole("button", { name: "Request refund" }));
    await userEvent.click(screen.getByRole("button", { name: "Request refund" }));
    await waitFor(() => expect(api.mutations).toHaveLength(2));
    const [first, retry] = api.mutations.map((m) => m.variables.input as Record<string, unknown>);
    expect(first).toMatchObject({ caseId: "c1", amount: 4000, lines: null, reason: "DAMAGED" });
    // Same input: the retry carries the same idempotency key, so the server answers it once.
    expect(retry?.idempotencyKey).toBe(first?.idempotencyKey);
    expect(screen.getByRole("alert")).toHaveTextContent("Someone else changed this first");

    // A different request gets a new key.
    await userEvent.clear(screen.getByLabelText("Amount (USD)"));
    await userEvent.type(screen.getByLabelText("Amount (USD)"), "41");
    await userEvent.click(screen.getByRole("button", { name: "Request refund" }));
    await waitFor(() => expect(api.mutations).toHaveLength(3));
    expect((api.mutations[2]?.variables.input as Record<string, unknown>).idempotencyKey).not.toBe(first?.idempotencyKey);
  });

  it("requests by items and shipping, and explains a denial in words", async () => {
    const denied = { __typename: "RefundNotAllowed", message: "No.", code: "REFUND_NOT_ALLOWED", denial: "REFUND_ALREADY_PENDING" };
    const api = fakeApi(answers(denied));
    render(withProviders(api, <RefundRequestForm caseId="c1" orderId="o1" />));
    await userEvent.click(await screen.findByLabelText("Specific items"));
    await userEvent.selectOptions(screen.getByLabelText(/Mug/), "2");
    await userEvent.click(screen.getByLabelText(/Also refund shipping/));
    await userEvent.click(screen.getByRole("button", { name: "Request refund" }));
    await waitFor(() => expect(api.mutations).toHaveLength(1));
    expect(api.mutations[0]?.variables.input).toMatchObject({
      amount: null,
      lines: [{ lineId: "l1", quantity: 2 }],
      includeShipping: true,
    });
    expect(screen.getByRole("alert")).toHaveTextContent("already waiting for a decision");
  });

  it("refuses an amount that is not money before asking the server", async () => {
    const api = fakeApi(answers({}));
    render(withProviders(api, <RefundRequestForm caseId="c1" orderId="o1" />));
    await userEvent.type(await screen.findByLabelText("Amount (USD)"), "12.345");
    await userEvent.click(screen.getByRole("button", { name: "Request refund" }));
    expect(screen.getByRole("alert")).toHaveTextContent("Enter an amount like 12.50");
    expect(api.mutations).toHaveLength(0);
  });
});
