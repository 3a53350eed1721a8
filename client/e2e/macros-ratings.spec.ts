// Issue 12 (canned replies and satisfaction), in real Chromium against the real embedded server:
// an agent writes a macro (an unknown placeholder is refused on save), previews it on a
// customer's case filled from that case, sends it and resolves the case in one step; the customer
// rates the resolved case once; the agent sees the rating arrive live and in the report.
import { expect, test } from "@playwright/test";
import { gql, login, openCase } from "./api";
import { servedSpec, shot } from "./browser";

const server = servedSpec();

const BODY =
  "Hello {{customer_name}},\n\nabout {{case_number}}: {{refundable_amount}} of order {{order_number}} can " +
  "still be refunded, and we have started it for you.\n\n{{agent_name}}";

test("a macro is written, previewed on a case, sent with a status change, and the case is rated", async ({
  browser,
}) => {
  // Alice's case about her USD 120.00 order (#1001), opened through the API.
  const alice = await login(server.url, "alice@example.com");
  const orders = await gql<{ myOrders: { edges: Array<{ node: { id: string; number: string } }> } }>(
    server.url,
    "{ myOrders(first: 20) { edges { node { id number } } } }",
    {},
    alice,
  );
  const order = orders.myOrders.edges.map((e) => e.node).find((o) => o.number === "#1001");
  expect(order).toBeDefined();
  const theCase = await openCase(server.url, alice, "The speaker crackles", order?.id ?? null);

  // The agent writes the macro; an unknown placeholder is refused when saving.
  const agent = await server.logIn(browser, "agent@example.com");
  await expect(agent.getByTestId("live-indicator")).toHaveText(/Live/);
  await agent.getByRole("link", { name: "Macros" }).click();
  await expect(agent.getByRole("heading", { name: "Macros" })).toBeVisible();
  await agent.getByLabel("Title").fill("Refund started");
  await agent.getByLabel("Text").fill("Hi {{customer_name}}, your coupon is {{coupon_code}}.");
  await agent.getByRole("button", { name: "Save macro" }).click();
  await expect(agent.getByRole("alert")).toContainText("unknown placeholder {{coupon_code}}");
  await shot(agent, "macros-refused");
  await agent.getByLabel("Text").fill(BODY);
  await agent.getByRole("button", { name: "Save macro" }).click();
  await expect(agent.getByText("Saved “Refund started”.")).toBeVisible();
  await expect(agent.getByTestId("macro-Refund started")).toContainText("{{refundable_amount}}");
  await shot(agent, "macros-library");

  // On Alice's case: assign it, pick the macro, read the preview filled from the case.
  await agent.goto(`/cases/${theCase.id}`);
  await expect(agent.getByRole("heading", { name: "The speaker crackles" })).toBeVisible();
  await agent.getByLabel("Assignee").selectOption({ label: "Me" });
  await agent.getByRole("button", { name: "Assign" }).click();
  await expect(agent.getByText("Assignee").locator("xpath=following-sibling::dd[1]")).toHaveText("You");
  await agent.getByLabel("Macro", { exact: true }).selectOption({ label: "Refund started" });
  const preview = agent.getByTestId("macro-preview");
  await expect(preview).toContainText("Hello Alice");
  await expect(preview).toContainText(`about ${theCase.number}: USD 120.00 of order #1001`);
  await expect(preview).toContainText("Agnes Agent");
  await agent.getByLabel("Then set the status").selectOption("RESOLVED");
  await shot(agent, "macro-picker");
  await agent.getByRole("button", { name: "Send macro as reply" }).click();
  await expect(agent.getByText("Macro sent to the customer. The case is now Resolved.")).toBeVisible();
  await expect(agent.locator(".case-header .badges")).toContainText("Resolved");
  await expect(agent.locator(".msg-body").filter({ hasText: "we have started it for you" })).toBeVisible();

  // Alice reads the reply and rates the resolved case, once.
  const customer = await server.logIn(browser, "alice@example.com");
  await expect(customer.getByRole("heading", { name: "Your orders and cases" })).toBeVisible();
  await customer.goto(`/cases/${theCase.id}`);
  await expect(customer.getByText("we have started it for you", { exact: false })).toBeVisible();
  const form = customer.getByTestId("rating");
  await expect(form.getByRole("heading", { name: "How did we do?" })).toBeVisible();
  await form.getByLabel("5 – Very happy").check();
  await form.getByLabel(/Anything you want to add/).fill("Fast and friendly, thank you!");
  await shot(customer, "customer-rating-form");
  await form.getByRole("button", { name: "Send rating" }).click();
  await expect(customer.getByTestId("rating")).toContainText("5 / 5");
  await expect(customer.getByTestId("rating")).toContainText("Fast and friendly, thank you!");
  await shot(customer, "customer-rating-given");

  // The agent's open case page hears it live: the timeline and the case facts show the rating.
  await expect(agent.getByTestId("timeline-event").filter({ hasText: "Rated by the customer" })).toBeVisible();
  await expect(agent.getByTestId("case-rating")).toContainText("5 / 5");

  // The report.
  await agent.getByRole("link", { name: "Satisfaction" }).click();
  await expect(agent.getByTestId("satisfaction-overall")).toContainText("5.00 / 5 from 1 rating");
  await expect(agent.getByRole("row", { name: /Agnes Agent/ })).toContainText("5.00 / 5");
  await shot(agent, "satisfaction-report");
});
