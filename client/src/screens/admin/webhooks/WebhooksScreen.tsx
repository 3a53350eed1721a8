// Admins: the shop endpoints that receive signed webhooks (register, events, disable/enable,
// secret rotation) and every delivery with its last answer (resend). docs/outbound-webhooks.md.
import { useState } from "react";
import { useQuery } from "urql";
import { RequestError } from "../../../ui/ErrorNotice";
import "../../console/console.css";
import "./webhooks.css";
import { DeliveriesPanel } from "./DeliveriesPanel";
import { WebhookEndpoints } from "./documents";
import { EndpointCard } from "./EndpointCard";
import { RegisterEndpointForm } from "./RegisterEndpointForm";

export function WebhooksScreen() {
  const [endpointsResult, refetchEndpoints] = useQuery({ query: WebhookEndpoints });
  const [endpointId, setEndpointId] = useState("");
  const endpoints = endpointsResult.data?.webhookEndpoints ?? [];

  return (
    <main className="page console-page webhooks-page">
      <h1>Webhooks</h1>
      <p className="muted">
        The shop's systems hear about refunds and cases here: each message is signed (Standard Webhooks), retried
        with backoff when the endpoint fails, and the endpoint is disabled after repeated failures.
      </p>
      <div className="webhooks-layout">
        <div className="stack">
          <RegisterEndpointForm />
          <section aria-labelledby="endpoints-title" className="stack">
            <h2 id="endpoints-title">Endpoints</h2>
            {endpointsResult.error ? <RequestError error={endpointsResult.error} /> : null}
            {endpointsResult.data && endpoints.length === 0 ? (
              <p className="muted empty">No endpoint yet: register the shop's URL above.</p>
            ) : null}
            {endpoints.map((endpoint) => (
              <EndpointCard key={endpoint.id} endpoint={endpoint} onShowDeliveries={setEndpointId} />
            ))}
          </section>
        </div>
        <DeliveriesPanel
          endpoints={endpoints}
          endpointId={endpointId}
          onEndpointChange={setEndpointId}
          onRefresh={() => refetchEndpoints({ requestPolicy: "network-only" })}
        />
      </div>
    </main>
  );
}
