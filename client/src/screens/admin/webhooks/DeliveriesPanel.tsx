// Deliveries, newest first: what was sent where, how it went (state, attempts, the endpoint's last
// answer or the error), and a resend for each.
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import type { WebhookDeliveryFieldsFragment, WebhookDeliveryState, WebhookEndpointFieldsFragment } from "../../../gql/graphql";
import { formatDateTime } from "../../../lib/time";
import { Badge, StatusBadge } from "../../../ui/Badge";
import { RequestError, ResultErrors } from "../../../ui/ErrorNotice";
import { Pager } from "../../../ui/Pager";
import { ResendWebhookDelivery, WebhookDeliveries } from "./documents";
import { DELIVERY_STATE, WEBHOOK_EVENT } from "./labels";

export const DELIVERY_PAGE_SIZE = 20;
const STATES: WebhookDeliveryState[] = ["PENDING", "DELIVERED", "FAILED"];

export function DeliveriesPanel({
  endpoints,
  endpointId,
  onEndpointChange,
  onRefresh,
}: {
  endpoints: ReadonlyArray<WebhookEndpointFieldsFragment>;
  endpointId: string;
  onEndpointChange: (endpointId: string) => void;
  onRefresh: () => void;
}) {
  const [state, setState] = useState<WebhookDeliveryState | "">("");
  const [after, setAfter] = useState<string | null>(null);
  const [result, refetch] = useQuery({
    query: WebhookDeliveries,
    variables: {
      first: DELIVERY_PAGE_SIZE,
      after,
      endpointId: endpointId || null,
      state: state ? [state] : null,
    },
    requestPolicy: "cache-and-network",
  });
  const connection = result.data?.webhookDeliveries;
  const deliveries = connection?.edges.map((edge) => edge.node) ?? [];

  return (
    <section className="card" aria-labelledby="deliveries-title">
      <div className="card-head">
        <h2 id="deliveries-title">Deliveries</h2>
        <button
          type="button"
          onClick={() => {
            refetch({ requestPolicy: "network-only" });
            onRefresh(); // the endpoints' failure counts and states move with the deliveries
          }}
        >
          Refresh
        </button>
      </div>
      <div className="filter-inline deliveries-filters">
        <label htmlFor="deliveries-endpoint">Endpoint</label>
        <select
          id="deliveries-endpoint"
          value={endpointId}
          onChange={(e) => {
            setAfter(null);
            onEndpointChange(e.target.value);
          }}
        >
          <option value="">All endpoints</option>
          {endpoints.map((endpoint) => (
            <option key={endpoint.id} value={endpoint.id}>
              {endpoint.url}
            </option>
          ))}
        </select>
        <label htmlFor="deliveries-state">State</label>
        <select
          id="deliveries-state"
          value={state}
          onChange={(e) => {
            setAfter(null);
            setState(e.target.value as WebhookDeliveryState | "");
          }}
        >
          <option value="">Any state</option>
          {STATES.map((s) => (
            <option key={s} value={s}>
              {DELIVERY_STATE[s].label}
            </option>
          ))}
        </select>
      </div>
      {result.error ? <RequestError error={result.error} /> : null}
      {connection && deliveries.length === 0 ? <p className="muted empty">No deliveries yet.</p> : null}
      {deliveries.length > 0 ? (
        <table className="responsive deliveries-table">
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">Endpoint</th>
              <th scope="col">State</th>
              <th scope="col">Last answer</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {deliveries.map((delivery) => (
              <DeliveryRow key={delivery.id} delivery={delivery} />
            ))}
          </tbody>
        </table>
      ) : null}
      <Pager pageInfo={connection?.pageInfo} after={after} onPage={setAfter} />
    </section>
  );
}

/** One delivery; a resend joins the list from its answer (app/cache.ts). */
function DeliveryRow({ delivery }: { delivery: WebhookDeliveryFieldsFragment }) {
  const [result, resend] = useMutation(ResendWebhookDelivery);
  const resent = result.data?.resendWebhookDelivery.__typename === "WebhookDeliveryResent";

  return (
    <tr data-testid="webhook-delivery">
      <td data-label="Event">
        {WEBHOOK_EVENT[delivery.eventType].label}
        {delivery.isResend ? (
          <>
            {" "}
            <Badge tone="info">Resend</Badge>
          </>
        ) : null}
        <div className="small muted">queued {formatDateTime(delivery.createdAt)}</div>
        <code className="small muted message-id">{delivery.messageId}</code>
      </td>
      <td data-label="Endpoint" className="delivery-endpoint">
        {delivery.endpoint?.url ?? "—"}
      </td>
      <td data-label="State">
        <StatusBadge shown={DELIVERY_STATE[delivery.state]} />
        <div className="small muted">
          {delivery.attempts} {delivery.attempts === 1 ? "attempt" : "attempts"}
        </div>
        {delivery.state === "PENDING" && delivery.nextAttemptAt ? (
          <div className="small muted">next try {formatDateTime(delivery.nextAttemptAt)}</div>
        ) : null}
      </td>
      <td data-label="Last answer">
        <LastAnswer delivery={delivery} />
      </td>
      <td data-label="Actions">
        <button type="button" disabled={result.fetching} onClick={() => void resend({ input: { deliveryId: delivery.id } })}>
          {result.fetching ? "Resending…" : "Resend"}
        </button>
        {resent ? <span className="small muted"> Queued again.</span> : null}
        <ResultErrors result={result.data?.resendWebhookDelivery} error={result.error} />
      </td>
    </tr>
  );
}

function LastAnswer({ delivery }: { delivery: WebhookDeliveryFieldsFragment }) {
  if (delivery.attempts === 0) return <span className="muted">not sent yet</span>;
  const status =
    delivery.responseStatus !== null ? (
      <Badge tone={delivery.responseStatus >= 200 && delivery.responseStatus < 300 ? "good" : "bad"}>
        HTTP {delivery.responseStatus}
      </Badge>
    ) : (
      <Badge tone="bad">No answer</Badge>
    );
  return (
    <details className="delivery-answer">
      <summary>
        {status}
        {delivery.lastAttemptAt ? <span className="small muted"> {formatDateTime(delivery.lastAttemptAt)}</span> : null}
      </summary>
      {delivery.error ? <p className="small">{delivery.error}</p> : null}
      {delivery.responseBody ? (
        <>
          <div className="small muted">Response body</div>
          <pre className="delivery-body">{delivery.responseBody}</pre>
        </>
      ) : null}
      <details className="delivery-payload">
        <summary className="small">Payload sent</summary>
        <pre className="delivery-body">{delivery.payload}</pre>
      </details>
    </details>
  );
}
