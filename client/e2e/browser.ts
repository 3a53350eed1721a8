// What every browser spec shares: one real embedded server per spec file (its tests run in
// order), pages logged in as a demo user that record script errors and Content-Security-Policy
// refusals (a test that leaves any behind fails), and full-page screenshots into docs/.
import { expect, test, type Browser, type Page } from "@playwright/test";
import path from "node:path";
import { DEMO_PASSWORD } from "./api";
import { ServiceProcess } from "./server";

const SHOTS = path.resolve(import.meta.dirname, "..", "..", "docs", "screenshots");

export interface ServedSpec {
  /** The server's base URL (once `beforeAll` has run). */
  readonly url: string;
  /** A new browser context, logged in as `email` with the demo password, on the start page. */
  logIn(browser: Browser, email: string, viewport?: { width: number; height: number }): Promise<Page>;
}

/** Call once at the top of a spec file (after any `beforeAll` that must run first). */
export function servedSpec(): ServedSpec {
  let server: ServiceProcess | undefined;
  const problems: string[] = [];
  test.describe.configure({ mode: "serial" });
  test.beforeAll(async () => {
    server = await ServiceProcess.start();
  });
  test.afterAll(async () => {
    await server?.dispose();
  });
  test.afterEach(() => {
    expect(problems.splice(0)).toEqual([]);
  });
  const url = () => {
    if (!server) throw new Error("the server starts in beforeAll");
    return server.url;
  };
  return {
    get url() {
      return url();
    },
    async logIn(browser, email, viewport = { width: 1280, height: 900 }) {
      const context = await browser.newContext({ baseURL: url(), viewport });
      const page = await context.newPage();
      page.on("pageerror", (error) => problems.push(String(error)));
      page.on("console", (message) => {
        if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(message.text());
      });
      await page.goto("/");
      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Password").fill(DEMO_PASSWORD);
      await page.getByRole("button", { name: "Log in" }).click();
      return page;
    },
  };
}

/** A full-page screenshot at docs/screenshots/<name>.png (the README shows them). */
export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}
