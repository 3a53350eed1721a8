// Issue 12, outbound webhooks, in real Chromium against the real embedded server (its webhook
// worker runs in the API process): an admin registers two shop endpoints on a receiver served by
// this spec (one answers 200, one 503), sees the signing secret once, watches the deliveries with
// their answers, resends one, rotates a secret and disables the failing endpoint. The receiver
// checks every signature with an HMAC verifier written here from the Standard Webhooks spec.
import { expect, test, type Page } from "@playwright/test";
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:http";
import { login, openCase } from "./api";
import { servedSpec, shot } from "./browser";

interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
}

let receiver: Server;
let receiverUrl = "";
const received: Received[] = [];

test.beforeAll(async () => {
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) if (typeof value === "string") headers[name] = value;
      const requestPath = request.url ?? "";
      received.push({ path: requestPath, headers, body: Buffer.concat(chunks).toString("utf8") });
      const down = requestPath.startsWith("/erp");
      response.writeHead(down ? 503 : 200, { "content-type": "text/plain" });
      response.end(down ? "erp is down for maintenance" : "received, thanks");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const address = receiver.address();
  if (typeof address !== "object" || !address) throw new Error("receiver did not start");
  receiverUrl = `http://127.0.0.1:${address.port}`;
});
test.afterAll(async () => {
  await new Promise<void>((resolve) => receiver?.close(() => resolve()));
});

const server = servedSpec();
const VIEWPORT = { width: 1440, height: 1000 };

/** Standard Webhooks, "Verifying webhook authenticity": any `v1,` entry is the HMAC-SHA256 (key:
 * the secret's base64 after `whsec_`) of `{id}.{timestamp}.{body}`, base64; timestamp within 5 min. */
function verifies(secret: string, message: Received): boolean {
  const id = message.headers["webhook-id"];
  const timestamp = message.headers["webhook-timestamp"];
  const signatures = message.headers["webhook-signature"];
  if (!id || !timestamp || !signatures) return false;
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${message.body}`).digest();
  return signatures.split(" ").some((entry) => {
    const [version, signature] = entry.split(",");
    if (version !== "v1" || !signature) return false;
    const given = Buffer.from(signature, "base64");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}


async function register(page: Page, url: string, events: string[]): Promise<string> {
  const form = page.getByRole("region", { name: "Register an endpoint" });
  await form.getByLabel("URL").fill(url);
  for (const label of ["Refund paid", "Refund failed"]) {
    const box = form.getByLabel(new RegExp(`^${label}`));
    if ((await box.isChecked()) !== events.includes(label)) await box.click();
  }
  for (const label of events) {
    const box = form.getByLabel(new RegExp(`^${label}`));
    if (!(await box.isChecked())) await box.click();
  }
  await form.getByRole("button", { name: "Register endpoint" }).click();
  const secret = (await form.getByTestId("webhook-secret").textContent()) ?? "";
  expect(secret).toMatch(/^whsec_/);
  await form.getByRole("button", { name: "I have stored it" }).click();
  await expect(form.getByTestId("webhook-secret")).toHaveCount(0); // shown once
  return secret;
}

function deliveryRows(page: Page) {
  return page.getByTestId("webhook-delivery");
}

test("an admin registers endpoints, follows deliveries, resends, rotates and disables", async ({ browser }) => {
  const page = await server.logIn(browser, "admin@example.com", VIEWPORT);
  await page.getByRole("link", { name: "Webhooks" }).click();
  await expect(page.getByRole("heading", { name: "Webhooks", level: 1 })).toBeVisible();
  await expect(page).toHaveURL(/\/admin\/webhooks$/);
  await expect(page.getByText("No endpoint yet")).toBeVisible();

  // A URL that is not http(s): every refused field is shown.
  const form = page.getByRole("region", { name: "Register an endpoint" });
  await form.getByLabel("URL").fill("ftp://shop.example/hooks");
  await form.getByRole("button", { name: "Register endpoint" }).click();
  await expect(form.getByRole("alert")).toContainText("url: must start with http:// or https://");

  const shopSecret = await register(page, `${receiverUrl}/shop/webhooks`, ["Refund paid", "Case opened"]);
  await register(page, `${receiverUrl}/erp/in`, ["Case opened"]);
  await expect(page.getByTestId("webhook-endpoint")).toHaveCount(2);

  // A customer opens a case: both endpoints get a case.opened message from the worker.
  const alice = await login(server.url, "alice@example.com");
  await openCase(server.url, alice, "Kettle lid does not close");
  await expect.poll(() => received.filter((r) => r.path === "/shop/webhooks").length, { timeout: 20_000 }).toBe(1);
  await expect.poll(() => received.filter((r) => r.path === "/erp/in").length, { timeout: 20_000 }).toBe(1);
  const first = received.find((r) => r.path === "/shop/webhooks");
  expect(first && verifies(shopSecret, first)).toBe(true);
  expect(JSON.parse(first?.body ?? "{}").type).toBe("case.opened");

  // The deliveries, with the endpoints' answers.
  const deliveries = page.getByRole("region", { name: "Deliveries" });
  await expect
    .poll(async () => {
      await deliveries.getByRole("button", { name: "Refresh" }).click();
      return deliveryRows(page).count();
    })
    .toBe(2);
  const delivered = deliveryRows(page).filter({ hasText: "/shop/webhooks" });
  const pending = deliveryRows(page).filter({ hasText: "/erp/in" });
  await expect(delivered).toContainText("Delivered");
  await expect(delivered).toContainText("HTTP 200");
  await expect(pending).toContainText("Pending");
  await expect(pending).toContainText("HTTP 503");
  await pending.getByText("HTTP 503").click(); // opens the answer
  await expect(pending).toContainText("erp is down for maintenance");
  await expect(page.getByTestId("webhook-endpoint").filter({ hasText: "/erp/in" })).toContainText(
    "failed attempts in a row: 1",
  );
  await shot(page, "admin-webhooks");

  // Resend the delivered one: the same message (same webhook-id) arrives again, still signed.
  await delivered.getByRole("button", { name: "Resend" }).click();
  await expect(deliveries.getByText("Queued again.")).toBeVisible();
  await expect.poll(() => received.filter((r) => r.path === "/shop/webhooks").length, { timeout: 20_000 }).toBe(2);
  // The resend is a delivery of its own, listed first (newest), marked as a resend.
  await expect(deliveryRows(page).filter({ hasText: "/shop/webhooks" })).toHaveCount(2);
  await expect(deliveryRows(page).first()).toContainText("Resend");
  const again = received.filter((r) => r.path === "/shop/webhooks")[1];
  expect(again?.headers["webhook-id"]).toBe(first?.headers["webhook-id"]);
  expect(again && verifies(shopSecret, again)).toBe(true);

  // Rotate the shop's secret (24 h grace): shown once; the next message carries both signatures.
  const shop = page.getByTestId("webhook-endpoint").filter({ hasText: "/shop/webhooks" });
  await shop.getByRole("button", { name: "Rotate secret" }).click();
  const newSecret = (await shop.getByTestId("webhook-secret").textContent()) ?? "";
  expect(newSecret).toMatch(/^whsec_/);
  expect(newSecret).not.toBe(shopSecret);
  await expect(shop).toContainText("previous secret signs too until");
  await shop.getByRole("button", { name: "I have stored it" }).click();
  await openCase(server.url, alice, "Second kettle, same lid");
  await expect.poll(() => received.filter((r) => r.path === "/shop/webhooks").length, { timeout: 20_000 }).toBe(3);
  const rotated = received.filter((r) => r.path === "/shop/webhooks")[2]!;
  expect(rotated.headers["webhook-signature"]?.split(" ")).toHaveLength(2);
  expect(verifies(newSecret, rotated) && verifies(shopSecret, rotated)).toBe(true);

  // Disable the failing endpoint: the reason is shown, and it can be enabled again.
  const erp = page.getByTestId("webhook-endpoint").filter({ hasText: "/erp/in" });
  await erp.getByRole("button", { name: "Disable" }).click();
  await expect(erp.getByRole("note")).toContainText("disabled by an admin");
  await expect(erp.getByText("Disabled", { exact: true })).toBeVisible();
  await erp.getByRole("button", { name: "Enable" }).click();
  await expect(erp.getByText("Active", { exact: true })).toBeVisible();
  await page.context().close();
});

test("agents do not see the webhooks screen", async ({ browser }) => {
  const page = await server.logIn(browser, "agent@example.com", VIEWPORT);
  await expect(page.getByRole("heading", { name: "Queue" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Webhooks" })).toHaveCount(0);
  await page.goto("/admin/webhooks");
  await expect(page.getByRole("heading", { name: "Queue" })).toBeVisible(); // sent back to the queue
  await page.context().close();
});
