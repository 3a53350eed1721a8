import { Link } from "react-router";
import { LiveIndicator } from "../live/LiveIndicator";
import { useSessionStore } from "../session/SessionContext";
import type { SessionUser } from "../session/sessionStore";

const ROLE_LABEL = { CUSTOMER: "Customer", AGENT: "Agent", ADMIN: "Admin" } as const;

export function Header({ user }: { user: SessionUser }) {
  const store = useSessionStore();
  const staff = user.role !== "CUSTOMER";
  return (
    <header className="topbar">
      <Link to="/" className="brand">
        {staff ? "Support console" : "Support"}
      </Link>
      <nav aria-label="Main">
        {staff ? (
          <>
            <Link to="/">Queue</Link>
            <Link to="/macros">Macros</Link>
            <Link to="/satisfaction">Satisfaction</Link>
          </>
        ) : (
          <Link to="/">My orders & cases</Link>
        )}
        {user.role === "ADMIN" ? <Link to="/admin/webhooks">Webhooks</Link> : null}
      </nav>
      <div className="topbar-right">
        <LiveIndicator />
        <span className="who">
          {user.name} <span className="muted">({ROLE_LABEL[user.role]})</span>
        </span>
        <button type="button" onClick={() => void store.logout()}>
          Log out
        </button>
      </div>
    </header>
  );
}
