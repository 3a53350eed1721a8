// One endpoint: where it is, what it receives, whether it is active (and why not), its events,
// disable/enable and secret rotation, each showing its own outcome where it happened.
import { useState, type FormEvent } from "react";
import { useMutation } from "urql";
import type { WebhookEndpointFieldsFragment, WebhookEvent } from "../../../gql/graphql";
import { formatDateTime } from "../../../lib/time";
import { Badge } from "../../../ui/Badge";
import { ResultErrors } from "../../../ui/ErrorNotice";
import { RotateWebhookSecret, UpdateWebhookEndpoint } from "./documents";
import { EventChoices } from "./EventChoices";
import { GRACE_CHOICES, WEBHOOK_EVENT } from "./labels";
import { SecretOnce } from "./SecretOnce";

export function EndpointCard({
  endpoint,
  onShowDeliveries,
}: {
  endpoint: WebhookEndpointFieldsFragment;
  onShowDeliveries: (endpointId: string) => void;
}) {
  return (
    <article className="card endpoint" aria-label={`Endpoint ${endpoint.url}`} data-testid="webhook-endpoint">
      <div className="card-head">
        <h3 className="endpoint-url">{endpoint.url}</h3>
        {endpoint.active ? <Badge tone="good">Active</Badge> : <Badge tone="bad">Disabled</Badge>}
      </div>
      {endpoint.description ? <p className="muted">{endpoint.description}</p> : null}
      {!endpoint.active && endpoint.disabledReason ? (
        <div className="notice notice-error" role="note">
          <strong>Disabled{endpoint.disabledAt ? ` ${formatDateTime(endpoint.disabledAt)}` : ""}.</strong>{" "}
          {endpoint.disabledReason}
        </div>
      ) : null}
      <p className="small muted">
        Receives: {endpoint.events.map((e) => WEBHOOK_EVENT[e].label).join(", ")} · failed attempts in a row:{" "}
        {endpoint.consecutiveFailures}
        {endpoint.previousSecretExpiresAt
          ? ` · previous secret signs too until ${formatDateTime(endpoint.previousSecretExpiresAt)}`
          : ""}
      </p>
      <div className="actions">
        <ActiveToggle endpoint={endpoint} />
        <button type="button" onClick={() => onShowDeliveries(endpoint.id)}>
          Show its deliveries
        </button>
      </div>
      <EventsEditor endpoint={endpoint} />
      <SecretRotation endpoint={endpoint} />
    </article>
  );
}

function ActiveToggle({ endpoint }: { endpoint: WebhookEndpointFieldsFragment }) {
  const [result, update] = useMutation(UpdateWebhookEndpoint);
  return (
    <>
      <button
        type="button"
        disabled={result.fetching}
        onClick={() => void update({ input: { endpointId: endpoint.id, active: !endpoint.active } })}
      >
        {endpoint.active ? "Disable" : "Enable"}
      </button>
      <ResultErrors result={result.data?.updateWebhookEndpoint} error={result.error} />
    </>
  );
}

function EventsEditor({ endpoint }: { endpoint: WebhookEndpointFieldsFragment }) {
  const [result, update] = useMutation(UpdateWebhookEndpoint);
  const [choice, setChoice] = useState<WebhookEvent[] | null>(null);
  const chosen = choice ?? endpoint.events;
  const changed = choice !== null && [...choice].sort().join() !== [...endpoint.events].sort().join();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const answer = await update({ input: { endpointId: endpoint.id, events: chosen } });
    if (answer.data?.updateWebhookEndpoint.__typename === "WebhookEndpointUpdated") setChoice(null);
  }

  return (
    <details className="endpoint-section">
      <summary>Change events</summary>
      <form onSubmit={submit}>
        <EventChoices idPrefix={`events-${endpoint.id}`} chosen={chosen} onChange={setChoice} />
        <button type="submit" disabled={!changed || result.fetching}>
          {result.fetching ? "Saving…" : "Save events"}
        </button>
        <ResultErrors result={result.data?.updateWebhookEndpoint} error={result.error} />
      </form>
    </details>
  );
}

function SecretRotation({ endpoint }: { endpoint: WebhookEndpointFieldsFragment }) {
  const [result, rotate] = useMutation(RotateWebhookSecret);
  const [grace, setGrace] = useState(GRACE_CHOICES[0]?.seconds ?? 0);
  const [secret, setSecret] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const answer = await rotate({ input: { endpointId: endpoint.id, gracePeriodSeconds: grace } });
    const rotated = answer.data?.rotateWebhookSecret;
    if (rotated?.__typename === "WebhookSecretRotated") setSecret(rotated.secret);
  }

  const selectId = `grace-${endpoint.id}`;
  return (
    <div className="endpoint-section">
      {secret ? <SecretOnce title="New signing secret" secret={secret} onDone={() => setSecret(null)} /> : null}
      <form className="control" onSubmit={submit}>
        <label htmlFor={selectId}>Rotate the signing secret</label>
        <div className="control-row">
          <select id={selectId} value={grace} onChange={(e) => setGrace(Number(e.target.value))}>
            {GRACE_CHOICES.map((choice) => (
              <option key={choice.seconds} value={choice.seconds}>
                {choice.label}
              </option>
            ))}
          </select>
          <button type="submit" disabled={result.fetching}>
            {result.fetching ? "Rotating…" : "Rotate secret"}
          </button>
        </div>
        <ResultErrors result={result.data?.rotateWebhookSecret} error={result.error} />
      </form>
    </div>
  );
}
