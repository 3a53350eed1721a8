// The agent's console survives a server restart: while its socket is away, the server restarts
// and new events are committed; when it comes back it resumes after the last cursor it saw and
// shows every missed event exactly once.
import { expect, test } from "@playwright/test";
import { DEMO_PASSWORD, login, openCase, postMessage } from "./api";
import { ServiceProcess } from "./server";

let server: ServiceProcess;
test.beforeAll(async () => {
  server = await ServiceProcess.start();
});
test.afterAll(async () => {
  await server?.dispose();
});

test("the console resumes after a restart with every missed event exactly once", async ({ browser }) => {
  const context = await browser.newContext({ baseURL: server.url });
  const page = await context.newPage();
  // A switch in front of the page's WebSocket: while "away", every connection attempt fails.
  let away = false;
  await page.routeWebSocket(/\/graphql$/, (ws) => {
    if (away) ws.close({ code: 1012, reason: "away" });
    else ws.connectToServer();
  });
  await page.goto("/");
  await page.getByLabel("Email").fill("agent@example.com");
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  const indicator = page.getByTestId("live-indicator");
  await expect(indicator).toHaveText(/Live/);

  const customer = await login(server.url, "bob@example.com");
  const before = await openCase(server.url, customer, "Before the restart");
  const activity = page.getByTestId("activity-item");
  await expect(activity.filter({ hasText: before.number })).toHaveCount(1);

  away = true;
  await server.restart();
  await expect(indicator).toHaveText(/Reconnecting/);

  // Committed while the console is away.
  const token = await login(server.url, "bob@example.com");
  const during = await openCase(server.url, token, "While you were away");
  await postMessage(server.url, token, during.id, "Anyone there?");
  await postMessage(server.url, token, before.id, "Still waiting on this one");

  away = false;
  await expect(indicator).toHaveText(/Live/, { timeout: 30_000 });
  await expect(activity.filter({ hasText: during.number })).toHaveCount(2); // opened + message
  await expect(activity.filter({ hasText: before.number })).toHaveCount(2); // opened + message
  await expect(page.getByRole("link", { name: /While you were away/ })).toBeVisible();

  // Nothing arrives twice later either: one more live event proves the stream is current.
  await postMessage(server.url, token, during.id, "Sentinel");
  await expect(activity.filter({ hasText: during.number })).toHaveCount(3);
  await page.waitForTimeout(500);
  await expect(activity.filter({ hasText: before.number })).toHaveCount(2);
  await context.close();
});
