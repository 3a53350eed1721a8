import { CSRF_HEADER, SessionStore } from "./sessionStore";

const USER = { id: "VXNlcjox", name: "Alice", email: "alice@example.com", role: "CUSTOMER" as const };

function answering(...responses: Array<() => Response>) {
  const calls: Array<{ url: string; init: RequestInit | undefined }> = [];
  const fetchImpl = (async (url: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(url), init });
    const next = responses.shift();
    if (!next) throw new TypeError("network down");
    return next();
  }) as typeof fetch;
  return { calls, fetchImpl };
}

const ok = () =>
  new Response(
    JSON.stringify({ accessToken: "a2", accessTokenExpiresAt: new Date(Date.now() + 900_000).toISOString(), user: USER }),
    { status: 200 },
  );

describe("SessionStore", () => {
  it("restores a session from the refresh cookie, with the CSRF header", async () => {
    const { calls, fetchImpl } = answering(ok);
    const store = new SessionStore(fetchImpl);
    const session = await store.refresh();
    expect(session?.user.name).toBe("Alice");
    expect(store.accessToken()).toBe("a2");
    expect(calls[0]?.url).toBe("/auth/refresh");
    expect(calls[0]?.init?.credentials).toBe("same-origin");
    expect(calls[0]?.init?.headers).toEqual(CSRF_HEADER);
  });

  it("shares one refresh between concurrent callers (a refresh token works once)", async () => {
    const { calls, fetchImpl } = answering(ok, ok);
    const store = new SessionStore(fetchImpl);
    await Promise.all([store.refresh(), store.refresh(), store.refresh()]);
    expect(calls).toHaveLength(1);
  });

  it("ends in anonymous when there is no cookie, telling a logged-in user why", async () => {
    const { fetchImpl } = answering(() => new Response("{}", { status: 401 }), () => new Response("{}", { status: 401 }));
    const store = new SessionStore(fetchImpl);
    await store.refresh();
    expect(store.getState()).toEqual({ status: "anonymous" });
    store.start({ accessToken: "a", expiresAt: Date.now() + 60_000, user: USER });
    await store.refresh();
    expect(store.getState()).toMatchObject({ status: "anonymous", reason: expect.stringMatching(/ended/) });
  });

  it("keeps the session through a network error", async () => {
    const { fetchImpl } = answering();
    const store = new SessionStore(fetchImpl);
    store.start({ accessToken: "a", expiresAt: Date.now() + 60_000, user: USER });
    await store.refresh();
    expect(store.accessToken()).toBe("a");
  });

  it("logs out on the server and forgets the token", async () => {
    const { calls, fetchImpl } = answering(() => new Response(null, { status: 204 }));
    const store = new SessionStore(fetchImpl);
    store.start({ accessToken: "a", expiresAt: Date.now() + 60_000, user: USER });
    await store.logout();
    expect(calls[0]?.url).toBe("/auth/logout");
    expect(store.accessToken()).toBeNull();
  });

  it("never touches web storage", async () => {
    const { fetchImpl } = answering(ok);
    const store = new SessionStore(fetchImpl);
    await store.refresh();
    expect(localStorage.length + sessionStorage.length).toBe(0);
  });
});
