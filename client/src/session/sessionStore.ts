// The browser session: the access token lives in memory only (never in localStorage or
// sessionStorage); the refresh token is an httpOnly SameSite=Strict cookie scoped to /auth that
// JavaScript never sees. A page reload restores the session through that cookie.
import type { Role } from "../gql/graphql";

export interface SessionUser {
  id: string;
  name: string;
  email: string | null;
  role: Role;
}

export interface Session {
  accessToken: string;
  expiresAt: number; // epoch ms
  user: SessionUser;
}

export type SessionState =
  | { status: "restoring" }
  | { status: "anonymous"; reason?: string }
  | { status: "active"; session: Session };

/** The CSRF guard the /auth endpoints require: a header no cross-site form can send. */
export const CSRF_HEADER = { "X-Requested-With": "support-web" } as const;

/** Refresh this long before the access token expires (and never later than 80 % of its life). */
const REFRESH_MARGIN_MS = 60_000;
const MIN_REFRESH_DELAY_MS = 5_000;

interface RefreshResponse {
  accessToken: string;
  accessTokenExpiresAt: string;
  user: SessionUser;
}

function isRefreshResponse(value: unknown): value is RefreshResponse {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  const user = v.user as Record<string, unknown> | undefined;
  return (
    typeof v.accessToken === "string" &&
    typeof v.accessTokenExpiresAt === "string" &&
    typeof user === "object" &&
    user !== null &&
    typeof user.id === "string" &&
    typeof user.name === "string" &&
    typeof user.role === "string"
  );
}

type Listener = () => void;

export class SessionStore {
  private state: SessionState = { status: "restoring" };
  private listeners = new Set<Listener>();
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private inflight: Promise<Session | null> | null = null;

  constructor(private readonly fetchImpl: typeof fetch = (...args) => fetch(...args)) {}

  getState = (): SessionState => this.state;

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  accessToken(): string | null {
    return this.state.status === "active" ? this.state.session.accessToken : null;
  }

  /** True when the token is missing or about to expire: refresh before sending a request. */
  isExpiringSoon(now = Date.now()): boolean {
    if (this.state.status !== "active") return false;
    return this.state.session.expiresAt - now < 10_000;
  }

  /** Called with the answer of the startBrowserSession mutation. */
  start(session: Session): void {
    this.set({ status: "active", session });
  }

  /**
   * Trade the refresh cookie for a new access token. Concurrent callers share one request, and
   * tabs take turns (Web Locks) so two tabs never present the same single-use refresh token.
   */
  refresh(): Promise<Session | null> {
    if (!this.inflight) {
      this.inflight = this.withCrossTabLock(() => this.refreshNow()).finally(() => {
        this.inflight = null;
      });
    }
    return this.inflight;
  }

  /** Ends the session on the server (the cookie is cleared there), then forgets it here. */
  async logout(): Promise<void> {
    try {
      await this.fetchImpl("/auth/logout", {
        method: "POST",
        credentials: "same-origin",
        headers: CSRF_HEADER,
      });
    } finally {
      this.set({ status: "anonymous" });
    }
  }

  /** The server said the token no longer works (logout elsewhere, deactivation). */
  expire(reason: string): void {
    this.set({ status: "anonymous", reason });
  }

  private async refreshNow(): Promise<Session | null> {
    let response: Response;
    try {
      response = await this.fetchImpl("/auth/refresh", {
        method: "POST",
        credentials: "same-origin",
        headers: CSRF_HEADER,
      });
    } catch {
      // Network trouble is not a logout: keep the session and try again shortly.
      if (this.state.status === "active") {
        this.scheduleRefresh(Date.now() + MIN_REFRESH_DELAY_MS + REFRESH_MARGIN_MS);
        return this.state.session;
      }
      this.set({ status: "anonymous", reason: "The server cannot be reached. Try again." });
      return null;
    }
    if (!response.ok) {
      const wasActive = this.state.status === "active";
      this.set({
        status: "anonymous",
        ...(wasActive ? { reason: "Your session has ended. Please log in again." } : {}),
      });
      return null;
    }
    const body: unknown = await response.json();
    if (!isRefreshResponse(body)) {
      this.set({ status: "anonymous", reason: "Unexpected answer from the server." });
      return null;
    }
    const session: Session = {
      accessToken: body.accessToken,
      expiresAt: Date.parse(body.accessTokenExpiresAt),
      user: body.user,
    };
    this.set({ status: "active", session });
    return session;
  }

  private async withCrossTabLock<T>(work: () => Promise<T>): Promise<T> {
    const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
    if (!locks) return work();
    return locks.request("support-session-refresh", work);
  }

  private set(state: SessionState): void {
    this.state = state;
    clearTimeout(this.refreshTimer);
    if (state.status === "active") this.scheduleRefresh(state.session.expiresAt);
    for (const listener of this.listeners) listener();
  }

  private scheduleRefresh(expiresAt: number): void {
    clearTimeout(this.refreshTimer);
    const now = Date.now();
    const lifetime = expiresAt - now;
    const delay = Math.max(
      MIN_REFRESH_DELAY_MS,
      Math.min(lifetime - REFRESH_MARGIN_MS, lifetime * 0.8),
    );
    this.refreshTimer = setTimeout(() => void this.refresh(), delay);
  }
}
