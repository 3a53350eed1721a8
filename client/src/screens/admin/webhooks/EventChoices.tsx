import type { WebhookEvent } from "../../../gql/graphql";
import { WEBHOOK_EVENTS } from "./labels";

/** The events an endpoint receives, as checkboxes (at least one; the server says so too). */
export function EventChoices({
  idPrefix,
  chosen,
  onChange,
}: {
  idPrefix: string;
  chosen: ReadonlyArray<WebhookEvent>;
  onChange: (events: WebhookEvent[]) => void;
}) {
  function toggle(event: WebhookEvent, on: boolean) {
    const next = WEBHOOK_EVENTS.map((e) => e.event).filter((e) => (e === event ? on : chosen.includes(e)));
    onChange(next);
  }
  return (
    <fieldset className="event-choices">
      <legend>Events</legend>
      {WEBHOOK_EVENTS.map(({ event, label, type }) => (
        <label key={event} className="checkbox" htmlFor={`${idPrefix}-${event}`}>
          <input
            id={`${idPrefix}-${event}`}
            type="checkbox"
            checked={chosen.includes(event)}
            onChange={(e) => toggle(event, e.target.checked)}
          />
          {label} <code className="muted">{type}</code>
        </label>
      ))}
    </fieldset>
  );
}
