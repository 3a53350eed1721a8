// The case's append-only timeline, oldest first, 50 events a page. Each page is its own query, so
// the normalized cache keeps them apart and a live event (which invalidates the timeline) refreshes
// every page on screen; "Show more" adds the next page below.
import { useState } from "react";
import { useQuery } from "urql";
import type { CaseEventType } from "../../../gql/graphql";
import { EVENT_LABEL } from "../../../lib/labels";
import { formatDateTime } from "../../../lib/time";
import type { Shown } from "../../../ui/Badge";
import { RequestError } from "../../../ui/ErrorNotice";
import { CASE_STATUS, PRIORITY, REFUND_STATUS } from "../../../ui/statuses";
import { AgentCaseTimeline } from "./documents";

export function Timeline({ caseId }: { caseId: string }) {
  const [pages, setPages] = useState<ReadonlyArray<string>>([]);
  return (
    <section className="card" aria-labelledby="timeline-title">
      <h2 id="timeline-title">Timeline</h2>
      <ol className="timeline" aria-label="Timeline events">
        <TimelinePage
          caseId={caseId}
          after={null}
          isLast={pages.length === 0}
          onMore={(cursor) => setPages([cursor])}
        />
        {pages.map((cursor, index) => (
          <TimelinePage
            key={cursor}
            caseId={caseId}
            after={cursor}
              isLast={index === pages.length - 1}
            onMore={(next) => setPages([...pages.slice(0, index + 1), next])}
          />
        ))}
      </ol>
    </section>
  );
}

function TimelinePage({
  caseId,
  after,
  isLast,
  onMore,
}: {
  caseId: string;
  after: string | null;
  isLast: boolean;
  onMore: (cursor: string) => void;
}) {
  const [result] = useQuery({ query: AgentCaseTimeline, variables: { id: caseId, after } });
  const timeline = result.data?.supportCase?.timeline;
  if (result.error && !timeline) {
    return (
      <li>
        <RequestError error={result.error} />
      </li>
    );
  }
  if (!timeline) return result.fetching ? <li className="muted">Loading the timeline…</li> : null;
  if (timeline.edges.length === 0 && after === null) return <li className="muted">Nothing has happened yet.</li>;
  const endCursor = timeline.pageInfo.endCursor;
  return (
    <>
      {timeline.edges.map(({ node: event }) => {
        const change = describeChange(event.type, event.before, event.after);
        return (
          <li key={event.id} className={`timeline-item timeline-${event.type}`} data-testid="timeline-event">
            <div className="timeline-head">
              <strong>{EVENT_LABEL[event.type]}</strong>
              <span className="muted small">
                {event.actor ? `${event.actor.name}${event.actor.role === "CUSTOMER" ? " (customer)" : ""}` : "System"}
                {" · "}
                <time dateTime={event.occurredAt}>{formatDateTime(event.occurredAt)}</time>
              </span>
            </div>
            <div>{event.summary}</div>
            {change ? (
              <div className="timeline-change small">
                <span>{change.before}</span> <span aria-hidden="true">→</span>
                <span className="visually-hidden"> to </span> <span>{change.after}</span>
              </div>
            ) : null}
          </li>
        );
      })}
      {isLast && timeline.pageInfo.hasNextPage && endCursor ? (
        <li className="timeline-more">
          <button type="button" onClick={() => onMore(endCursor)}>
            Show more
          </button>
        </li>
      ) : null}
    </>
  );
}

const VALUES_SHOWN: Readonly<Record<string, Shown>> = {
  ...CASE_STATUS,
  ...PRIORITY,
  ...REFUND_STATUS,
};

/**
 * Before and after in words, for statuses and priorities. Other values (an assignee's internal
 * id, a first status) are left to the summary, which already names them.
 */
function describeChange(
  type: CaseEventType,
  before: string | null,
  after: string | null,
): { before: string; after: string } | null {
  if (type === "ASSIGNED" || before === null || after === null) return null;
  const from = VALUES_SHOWN[before];
  const to = VALUES_SHOWN[after];
  return from && to ? { before: from.label, after: to.label } : null;
}
