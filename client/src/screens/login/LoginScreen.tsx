import { useState, type FormEvent } from "react";
import { useMutation } from "urql";
import { useSessionStore } from "../../session/SessionContext";
import { ResultErrors } from "../../ui/ErrorNotice";
import { StartBrowserSession } from "./documents";

export function LoginScreen({ reason }: { reason?: string | undefined }) {
  const store = useSessionStore();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [result, login] = useMutation(StartBrowserSession);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const answer = await login({ input: { email: email.trim(), password } });
    const outcome = answer.data?.startBrowserSession;
    if (outcome?.__typename === "BrowserSession") {
      store.start({
        accessToken: outcome.accessToken,
        expiresAt: Date.parse(outcome.accessTokenExpiresAt),
        user: outcome.user,
      });
    }
  }

  return (
    <main className="login">
      <form className="card login-card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Support</h1>
        <p className="muted">Log in to follow your orders and cases, or to work the queue.</p>
        {reason ? (
          <div role="status" className="notice notice-info">
            {reason}
          </div>
        ) : null}
        <label htmlFor="login-email">Email</label>
        <input
          id="login-email"
          type="email"
          autoComplete="username"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <label htmlFor="login-password">Password</label>
        <input
          id="login-password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <ResultErrors result={result.data?.startBrowserSession} error={result.error} />
        <button type="submit" className="primary" disabled={result.fetching}>
          {result.fetching ? "Logging in…" : "Log in"}
        </button>
      </form>
    </main>
  );
}
