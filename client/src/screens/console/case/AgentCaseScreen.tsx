import { useCallback, useEffect, useMemo, useState } from "react";
import { Link, useParams } from "react-router";
import { useQuery } from "urql";
import { CATEGORY_LABEL } from "../../../lib/labels";
import { useCaseEvents, type LiveCaseEvent } from "../../../live/useCaseEvents";
import { formatDateTime } from "../../../lib/time";
import { useSession } from "../../../session/SessionContext";
import { Badge, StatusBadge } from "../../../ui/Badge";
import { RequestError } from "../../../ui/ErrorNotice";
import { CASE_STATUS, PRIORITY } from "../../../ui/statuses";
import { useNow } from "../../../ui/useNow";
import "../console.css";
import { SlaList, slaLines } from "../shared/sla";
import { AgentRefunds } from "./AgentRefunds";
import { CaseControls } from "./CaseControls";
import { Conversation } from "./Conversation";
import { MacroPicker } from "./MacroPicker";
import { AgentCase, AgentCaseMessages } from "./documents";
import { OrderPanel } from "./OrderPanel";
import { Timeline } from "./Timeline";

/** Events after which the case is read again: the order's refundable amount, or the customer's
 * rating, are not carried by the event. */
function changesOrder(event: LiveCaseEvent): boolean {
  return event.type.startsWith("REFUND_") || event.type === "ORDER_UPDATED" || event.type === "CASE_RATED";
}

export function AgentCaseScreen() {
  const { caseId = "" } = useParams();
  const session = useSession();
  const now = useNow();
  const [result, reexecute] = useQuery({ query: AgentCase, variables: { id: caseId } });
  const [firstMessages] = useQuery({ query: AgentCaseMessages, variables: { id: caseId, after: null } });

  // A refund or order event changes amounts the event does not carry: read the case again.
  const [orderTick, setOrderTick] = useState(0);
  const onEvent = useCallback((event: LiveCaseEvent) => {
    if (changesOrder(event)) setOrderTick((tick) => tick + 1);
  }, []);
  useCaseEvents(caseId, onEvent);
  useEffect(() => {
    if (orderTick > 0) reexecute({ requestPolicy: "network-only" });
  }, [orderTick, reexecute]);

  const supportCase = result.data?.supportCase;
  const lineNames = useMemo(
    () => new Map((supportCase?.order?.lines ?? []).map((line) => [line.id, line.name] as const)),
    [supportCase?.order?.lines],
  );

  if (result.error && !supportCase) {
    return (
      <main className="page console-page">
        <BackLink />
        <RequestError error={result.error} />
      </main>
    );
  }
  if (!supportCase) {
    return (
      <main className="page console-page">
        <BackLink />
        {result.fetching || !result.data ? (
          <p className="muted" aria-busy="true">
            Loading the case…
          </p>
        ) : (
          <div className="notice notice-info">This case does not exist (or was removed).</div>
        )}
      </main>
    );
  }

  // The first-response clock runs until an agent replies in public; the newest 50 messages say
  // whether one has (beyond them, an agent who answered has usually moved the case on from OPEN).
  const messages = firstMessages.data?.supportCase?.messages;
  const staffReplied = (messages?.edges ?? []).some(
    ({ node }) => !node.internal && node.author.role !== "CUSTOMER",
  );
  const awaitingFirstReply = !staffReplied && (messages ? !messages.pageInfo.hasNextPage : supportCase.status === "OPEN");
  const sla = slaLines(supportCase, now, awaitingFirstReply);
  const closed = supportCase.status === "CLOSED";

  return (
    <main className="page console-page">
      <BackLink />
      <header className="card case-header">
        <div className="card-head">
          <h1>{supportCase.subject}</h1>
          <span className="badges">
            <StatusBadge shown={CASE_STATUS[supportCase.status]} />
            <Badge tone={PRIORITY[supportCase.priority].tone}>{PRIORITY[supportCase.priority].label} priority</Badge>
          </span>
        </div>
        <dl className="facts case-facts">
          <dt>Case</dt>
          <dd>
            {supportCase.number} · {CATEGORY_LABEL[supportCase.category]}
          </dd>
          <dt>Customer</dt>
          <dd>
            {supportCase.customer.name}
            {supportCase.customer.email ? (
              <>
                {" · "}
                <a href={`mailto:${supportCase.customer.email}`}>{supportCase.customer.email}</a>
              </>
            ) : null}
          </dd>
          <dt>Assignee</dt>
          <dd>
            {supportCase.assignee
              ? supportCase.assignee.id === session.user.id
                ? "You"
                : supportCase.assignee.name
              : "Unassigned"}
          </dd>
          <dt>Opened</dt>
          <dd>{formatDateTime(supportCase.createdAt)}</dd>
          {supportCase.satisfaction ? (
            <>
              <dt>Rating</dt>
              <dd data-testid="case-rating">
                {supportCase.satisfaction.score} / 5
                {supportCase.satisfaction.comment ? ` · “${supportCase.satisfaction.comment}”` : ""}
              </dd>
            </>
          ) : null}
          <dt>SLA</dt>
          <dd>
            <SlaList lines={sla} className="sla-inline" />
          </dd>
        </dl>
      </header>
      <div className="grid-2 case-grid">
        <div>
          <Conversation
            supportCase={{
              id: supportCase.id,
              description: supportCase.description,
              createdAt: supportCase.createdAt,
              closed,
              customer: supportCase.customer,
            }}
            viewerId={session.user.id}
          />
          <MacroPicker
            supportCase={{ id: supportCase.id, status: supportCase.status, hasOrder: supportCase.order !== null }}
          />
          <Timeline caseId={supportCase.id} />
        </div>
        <div>
          <CaseControls supportCase={supportCase} viewerId={session.user.id} />
          <AgentRefunds refunds={supportCase.refunds.edges.map((edge) => edge.node)} role={session.user.role} lineNames={lineNames} />
          <OrderPanel order={supportCase.order} />
        </div>
      </div>
    </main>
  );
}

function BackLink() {
  return (
    <p className="back">
      <Link to="/">← Queue</Link>
    </p>
  );
}
