import { Suspense, lazy, useEffect, useMemo, useState } from "react";
import { BrowserRouter, Navigate, Route, Routes } from "react-router";
import { Provider as UrqlProvider } from "urql";
import { createLiveConnection, LiveStatus } from "../live/connection";
import { LiveStatusProvider } from "../live/LiveStatusContext";
import { useSessionState, useSessionStore } from "../session/SessionContext";
import { LoginScreen } from "../screens/login/LoginScreen";
import { PortalHome } from "../screens/portal/home/PortalHome";
import { NewCaseScreen } from "../screens/portal/newCase/NewCaseScreen";
import { CustomerCaseScreen } from "../screens/portal/case/CustomerCaseScreen";
// The console is loaded only for staff: customers never download it.
const QueueScreen = lazy(() =>
  import("../screens/console/queue/QueueScreen").then((m) => ({ default: m.QueueScreen })),
);
const AgentCaseScreen = lazy(() =>
  import("../screens/console/case/AgentCaseScreen").then((m) => ({ default: m.AgentCaseScreen })),
);
const WebhooksScreen = lazy(() =>
  import("../screens/admin/webhooks/WebhooksScreen").then((m) => ({ default: m.WebhooksScreen })),
);
const MacrosScreen = lazy(() =>
  import("../screens/console/macros/MacrosScreen").then((m) => ({ default: m.MacrosScreen })),
);
const SatisfactionScreen = lazy(() =>
  import("../screens/console/satisfaction/SatisfactionScreen").then((m) => ({ default: m.SatisfactionScreen })),
);
const StaffActivityProvider = lazy(() =>
  import("../screens/console/queue/LiveActivity").then((m) => ({ default: m.StaffActivityProvider })),
);
import { createApiClient } from "./client";
import { Header } from "./Header";

export function App() {
  const store = useSessionStore();
  const state = useSessionState();

  useEffect(() => {
    // A reload (or a new tab) restores the session from the refresh cookie, if there is one.
    if (store.getState().status === "restoring") void store.refresh();
  }, [store]);

  // One API client, socket and cache per signed-in user: nothing carries over to the next login.
  const identity = state.status === "active" ? state.session.user.id : state.status;
  const [liveStatus] = useState(() => new LiveStatus());
  const { client, ws } = useMemo(() => {
    const ws = createLiveConnection(store, liveStatus);
    return { client: createApiClient(store, ws), ws };
    // `identity` is the dependency that matters: a new user gets a new client, socket and cache.
  }, [identity, store, liveStatus]);
  useEffect(() => () => void ws.dispose(), [ws]);

  let body: React.ReactNode;
  if (state.status === "restoring") {
    body = (
      <main className="center" aria-busy="true">
        <p className="muted">Loading…</p>
      </main>
    );
  } else if (state.status === "anonymous") {
    body = <LoginScreen reason={state.reason} />;
  } else {
    const staff = state.session.user.role !== "CUSTOMER";
    body = (
      <>
        <Header user={state.session.user} />
        <Suspense
          fallback={
            <main className="center" aria-busy="true">
              <p className="muted">Loading…</p>
            </main>
          }
        >
        <StaffOnly staff={staff}>
        <Routes>
          {staff ? (
            <>
              <Route path="/" element={<QueueScreen />} />
              <Route path="/cases/:caseId" element={<AgentCaseScreen />} />
              {/* Not /webhooks: that prefix is the API's (the order system's inbound webhooks). */}
              {state.session.user.role === "ADMIN" ? <Route path="/admin/webhooks" element={<WebhooksScreen />} /> : null}
              <Route path="/macros" element={<MacrosScreen />} />
              <Route path="/satisfaction" element={<SatisfactionScreen />} />
            </>
          ) : (
            <>
              <Route path="/" element={<PortalHome />} />
              <Route path="/new-case" element={<NewCaseScreen />} />
              <Route path="/cases/:caseId" element={<CustomerCaseScreen />} />
            </>
          )}
          <Route path="*" element={<Navigate to="/" replace />} />
        </Routes>
        </StaffOnly>
        </Suspense>
      </>
    );
  }

  return (
    <UrqlProvider value={client}>
      <LiveStatusProvider status={liveStatus}>
        <BrowserRouter>{body}</BrowserRouter>
      </LiveStatusProvider>
    </UrqlProvider>
  );
}

/** Staff follow every case for the whole session (the queue's live activity); customers do not. */
function StaffOnly({ staff, children }: { staff: boolean; children: React.ReactNode }) {
  return staff ? <StaffActivityProvider>{children}</StaffActivityProvider> : <>{children}</>;
}
