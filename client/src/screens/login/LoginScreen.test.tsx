import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Provider } from "urql";
import { SessionStoreProvider } from "../../session/SessionContext";
import { SessionStore } from "../../session/sessionStore";
import { fakeApi } from "../../test/fakeApi";
import { LoginScreen } from "./LoginScreen";

function renderLogin(outcome: Record<string, unknown>) {
  const api = fakeApi(() => ({ startBrowserSession: outcome }));
  const store = new SessionStore(async () => new Response("{}", { status: 401 }));
  render(
    <SessionStoreProvider store={store}>
      <Provider value={api.client}>
        <LoginScreen />
      </Provider>
    </SessionStoreProvider>,
  );
  return { api, store };
}

async function logIn() {
  await userEvent.type(screen.getByLabelText("Email"), " alice@example.com ");
  await userEvent.type(screen.getByLabelText("Password"), "demo-password");
  await userEvent.click(screen.getByRole("button", { name: "Log in" }));
}

describe("LoginScreen", () => {
  it("starts a browser session (no refresh token ever reaches script)", async () => {
    const { api, store } = renderLogin({
      __typename: "BrowserSession",
      accessToken: "tok",
      accessTokenExpiresAt: new Date(Date.now() + 900_000).toISOString(),
      user: { __typename: "User", id: "u1", name: "Alice", email: "alice@example.com", role: "CUSTOMER" },
    });
    await logIn();
    await waitFor(() => expect(store.accessToken()).toBe("tok"));
    expect(api.mutations[0]?.variables).toEqual({ input: { email: "alice@example.com", password: "demo-password" } });
  });

  it("says why a login failed, in place", async () => {
    renderLogin({ __typename: "InvalidCredentials", message: "Wrong email or password.", code: "INVALID_CREDENTIALS" });
    await logIn();
    expect(await screen.findByRole("alert")).toHaveTextContent("Login failed. Wrong email or password.");
  });

  it("tells how long to wait when rate limited", async () => {
    renderLogin({ __typename: "RateLimited", message: "Too many attempts.", code: "RATE_LIMITED", retryAfterSeconds: 42 });
    await logIn();
    expect(await screen.findByRole("alert")).toHaveTextContent("Try again in 42 s.");
  });
});
