// "Live activity": the events received since login, newest first, each shown once. The list lives
// in a provider mounted for staff by App (one per signed-in user): going to a case and back keeps
// it and misses nothing, and a new login starts empty.
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";
import { Link } from "react-router";
import { useCaseEvents, type LiveCaseEvent } from "../../../live/useCaseEvents";
import { EVENT_LABEL } from "../../../lib/labels";
import { ago, formatDateTime } from "../../../lib/time";

export const ACTIVITY_MAX = 30;
/** Ids remembered beyond the shown ones, so a replayed old event is not shown again. */
const SEEN_MAX = 2_000;

export interface ActivityState {
  items: ReadonlyArray<LiveCaseEvent>;
  seen: ReadonlyArray<string>;
}

const EMPTY: ActivityState = { items: [], seen: [] };

/** Pure: the state with `event` added in front, unless it was seen before. */
export function addActivity(state: ActivityState, event: LiveCaseEvent): ActivityState {
  if (state.seen.includes(event.id)) return state;
  const seen = [...state.seen, event.id];
  return {
    items: [event, ...state.items].slice(0, ACTIVITY_MAX),
    seen: seen.length > SEEN_MAX ? seen.slice(seen.length - SEEN_MAX) : seen,
  };
}

const ActivityContext = createContext<{ items: ReadonlyArray<LiveCaseEvent>; ready: boolean } | null>(null);

/**
 * Follows every case (the staff stream) for as long as a staff member is signed in, whatever page
 * they are on, and collects the events: the queue's panel then lists everything that happened
 * since login, including while a case was open, each event once.
 */
export function StaffActivityProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<ActivityState>(EMPTY);
  const onEvent = useCallback((event: LiveCaseEvent) => {
    setState((previous) => addActivity(previous, event));
  }, []);
  const { ready } = useCaseEvents(null, onEvent);
  const value = useMemo(() => ({ items: state.items, ready }), [state.items, ready]);
  return <ActivityContext.Provider value={value}>{children}</ActivityContext.Provider>;
}

export function useLiveActivity(): { items: ReadonlyArray<LiveCaseEvent>; ready: boolean } {
  return useContext(ActivityContext) ?? { items: [], ready: false };
}

export function LiveActivity({
  items,
  ready,
  now,
}: {
  items: ReadonlyArray<LiveCaseEvent>;
  ready: boolean;
  now: number;
}) {
  return (
    <section className="card activity" aria-labelledby="activity-title">
      <h2 id="activity-title">Live activity</h2>
      {items.length === 0 ? (
        <p className="muted small">{ready ? "Nothing has happened since you opened this page." : "Connecting…"}</p>
      ) : (
        <ol className="activity-list" aria-live="polite" aria-relevant="additions">
          {items.map((event) => (
            <li key={event.id} data-testid="activity-item" data-event-id={event.id} className={`activity-${event.type}`}>
              <Link to={`/cases/${encodeURIComponent(event.supportCase.id)}`} className="activity-link">
                <span className="activity-type">{EVENT_LABEL[event.type]}</span>{" "}
                <span className="activity-case">{event.supportCase.number}</span>
              </Link>
              <div className="activity-summary">{event.summary}</div>
              <div className="muted small">
                {event.actor ? `${event.actor.name} · ` : ""}
                <time dateTime={event.occurredAt} title={formatDateTime(event.occurredAt)}>
                  {ago(event.occurredAt, now)}
                </time>
              </div>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
