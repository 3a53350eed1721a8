// Issue 12, case search, in real Chromium against the real embedded server (SQLite + FTS5): an
// agent searches the queue by a word of a message, an internal note, a customer's email and an
// order number; a customer searches their own cases and never finds another's or a note's word.
import { expect, test, type Page } from "@playwright/test";
import { gql, login, openCase } from "./api";
import { servedSpec, shot } from "./browser";

const server = servedSpec();

async function post(token: string, caseId: string, body: string, internal = false): Promise<void> {
  const data = await gql<{ postMessage: { __typename: string } }>(
    server.url,
    `mutation($input: PostMessageInput!) { postMessage(input: $input) { __typename } }`,
    { input: { caseId, body, internal } },
    token,
  );
  expect(data.postMessage.__typename).toBe("MessagePosted");
}

// The cases: alice's about her order #1001 (with a public message and an agent's internal note),
// bob's about his television with the same public word.
const ALICE_SUBJECT = "Headphones crackle on the left side";
const BOB_SUBJECT = "Television remote is missing";

test.beforeAll(async () => {
  const alice = await login(server.url, "alice@example.com");
  const bob = await login(server.url, "bob@example.com");
  const agent = await login(server.url, "agent@example.com");
  const orders = await gql<{ myOrders: { edges: Array<{ node: { id: string; number: string } }> } }>(
    server.url,
    "{ myOrders(first: 20) { edges { node { id number } } } }",
    {},
    alice,
  );
  const order = orders.myOrders.edges.find((edge) => edge.node.number === "#1001");
  expect(order).toBeDefined();
  const alicesCase = await openCase(server.url, alice, ALICE_SUBJECT, order?.node.id ?? null);
  const bobsCase = await openCase(server.url, bob, BOB_SUBJECT);
  await post(alice, alicesCase.id, "The left earcup rattles when I move my head.");
  await post(bob, bobsCase.id, "The box rattles, but the remote is not in it.");
  await post(agent, alicesCase.id, "Warehouse says batch zebra-17 had loose drivers.", true);
});

function rows(page: Page) {
  return page.getByTestId("queue-row");
}

test("an agent searches the queue by message words, notes, customer and order", async ({ browser }) => {
  const page = await server.logIn(browser, "agent@example.com");
  await expect(page.getByRole("heading", { name: "Queue" })).toBeVisible();

  // A word both customers wrote: both cases.
  await page.getByLabel("Search").fill("rattles");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(rows(page)).toHaveCount(2);
  await expect(page.getByRole("link", { name: ALICE_SUBJECT })).toBeVisible();
  await expect(page.getByRole("link", { name: BOB_SUBJECT })).toBeVisible();

  // Narrowed to one customer by email.
  await page.getByLabel("Customer email").fill("bob@example.com");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(rows(page)).toHaveCount(1);
  await expect(page.getByRole("link", { name: BOB_SUBJECT })).toBeVisible();
  await expect(page).toHaveURL(/email=bob%40example.com/);

  // A word only the internal note has: staff find it.
  await page.getByLabel("Customer email").fill("");
  await page.getByLabel("Search").fill("zebra");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(rows(page)).toHaveCount(1);
  await expect(page.getByRole("link", { name: ALICE_SUBJECT })).toBeVisible();

  // An order number, in the order filter; sorted by the SLA deadline owed next.
  await page.getByLabel("Search").fill("");
  await page.getByLabel("Order").fill("#1001");
  await page.getByLabel("Order").press("Enter");
  await page.getByLabel("Sort").selectOption("DUE_SOONEST");
  await expect(page).toHaveURL(/order=%231001/);
  await expect(page).toHaveURL(/sort=DUE_SOONEST/);
  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page).first()).toContainText("#1001");

  // Back to the word search, with the filters open, for the screenshot.
  await page.getByLabel("Order").fill("");
  await page.getByLabel("Search").fill("rattles");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(rows(page)).toHaveCount(2);
  await page.getByRole("button", { name: "Search" }).focus();
  await shot(page, "console-search");
  await page.context().close();
});

test("a customer searches their own cases, never another's or a note's words", async ({ browser }) => {
  const page = await server.logIn(browser, "alice@example.com");
  const cases = page.getByRole("region", { name: "My cases" });
  const box = page.getByRole("searchbox", { name: "Search your cases" });
  await expect(page.getByRole("heading", { name: "Your orders and cases" })).toBeVisible();

  // Bob wrote "rattles" too: alice finds only her case.
  await box.fill("rattles");
  await cases.getByRole("button", { name: "Search" }).click();
  await expect(cases.getByRole("listitem")).toHaveCount(1);
  await expect(cases.getByRole("link", { name: ALICE_SUBJECT })).toBeVisible();
  await expect(cases.getByRole("link", { name: BOB_SUBJECT })).toHaveCount(0);

  // By the order's number.
  await box.fill("1001");
  await cases.getByRole("button", { name: "Search" }).click();
  await expect(cases.getByRole("link", { name: ALICE_SUBJECT })).toBeVisible();
  await expect(cases.getByRole("listitem")).toHaveCount(1);

  // The internal note's word finds nothing for her.
  await box.fill("zebra");
  await cases.getByRole("button", { name: "Search" }).click();
  await expect(cases.getByRole("status")).toHaveText("No case of yours matches “zebra”.");
  await expect(cases.getByRole("listitem")).toHaveCount(0);

  await box.fill("earcup");
  await cases.getByRole("button", { name: "Search" }).click();
  await expect(cases.getByRole("listitem")).toHaveCount(1);
  await shot(page, "portal-search");
  await page.context().close();
});
