import { useState, type FormEvent } from "react";
import { useMutation } from "urql";
import type { WebhookEvent } from "../../../gql/graphql";
import { ResultErrors } from "../../../ui/ErrorNotice";
import { RegisterWebhookEndpoint } from "./documents";
import { EventChoices } from "./EventChoices";
import { SecretOnce } from "./SecretOnce";

const DEFAULT_EVENTS: WebhookEvent[] = ["REFUND_PAID", "REFUND_FAILED"];

/** Registers an endpoint; the endpoint list refreshes from the answer (app/cache.ts). */
export function RegisterEndpointForm() {
  const [result, register] = useMutation(RegisterWebhookEndpoint);
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [events, setEvents] = useState<WebhookEvent[]>(DEFAULT_EVENTS);
  const [secret, setSecret] = useState<{ url: string; value: string } | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const answer = await register({ input: { url: url.trim(), description: description.trim(), events } });
    const made = answer.data?.registerWebhookEndpoint;
    if (made?.__typename === "WebhookEndpointRegistered") {
      setSecret({ url: made.endpoint.url, value: made.secret });
      setUrl("");
      setDescription("");
      setEvents(DEFAULT_EVENTS);
    }
  }

  return (
    <section className="card" aria-labelledby="register-title">
      <h2 id="register-title">Register an endpoint</h2>
      {secret ? (
        <SecretOnce
          title={`Signing secret of ${secret.url}`}
          secret={secret.value}
          onDone={() => setSecret(null)}
        />
      ) : null}
      <form onSubmit={submit}>
        <label htmlFor="webhook-url">URL</label>
        <input
          id="webhook-url"
          type="url"
          inputMode="url"
          placeholder="https://shop.example.com/webhooks/support"
          value={url}
          maxLength={2000}
          onChange={(e) => setUrl(e.target.value)}
          required
        />
        <label htmlFor="webhook-description">Note (optional)</label>
        <input
          id="webhook-description"
          value={description}
          maxLength={200}
          onChange={(e) => setDescription(e.target.value)}
        />
        <EventChoices idPrefix="new-endpoint" chosen={events} onChange={setEvents} />
        <div className="actions">
          <button type="submit" disabled={result.fetching}>
            {result.fetching ? "Registering…" : "Register endpoint"}
          </button>
        </div>
        <ResultErrors result={result.data?.registerWebhookEndpoint} error={result.error} />
      </form>
    </section>
  );
}
