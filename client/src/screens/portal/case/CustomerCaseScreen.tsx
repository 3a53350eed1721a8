import { useCallback, useState } from "react";
import { Link, useParams } from "react-router";
import { useQuery } from "urql";
import { useCaseEvents, type LiveCaseEvent } from "../../../live/useCaseEvents";
import { formatDateTime } from "../../../lib/time";
import { useSession } from "../../../session/SessionContext";
import { Badge, StatusBadge } from "../../../ui/Badge";
import { RequestError } from "../../../ui/ErrorNotice";
import { Money } from "../../../ui/Money";
import { CASE_STATUS, ORDER_STATUS } from "../../../ui/statuses";
import { Thread } from "../../../ui/Thread";
import { useNow } from "../../../ui/useNow";
import { CustomerCase } from "./documents";
import { RatingForm } from "./RatingForm";
import { RefundList } from "./RefundList";
import { RefundRequestForm } from "./RefundRequestForm";
import { ReplyBox } from "./ReplyBox";

export function CustomerCaseScreen() {
  const { caseId = "" } = useParams();
  const session = useSession();
  const now = useNow();
  const [messagesAfter, setMessagesAfter] = useState<string | null>(null);
  const [result, reexecute] = useQuery({ query: CustomerCase, variables: { id: caseId, messagesAfter } });
  // A status change opens (or closes) the rating window, which the event does not carry.
  const onEvent = useCallback(
    (event: LiveCaseEvent) => {
      if (event.type === "STATUS_CHANGED") reexecute({ requestPolicy: "network-only" });
    },
    [reexecute],
  );
  useCaseEvents(caseId, onEvent);

  const supportCase = result.data?.supportCase;
  if (result.error && !supportCase) {
    return (
      <main className="page">
        <RequestError error={result.error} />
      </main>
    );
  }
  if (!supportCase) {
    return (
      <main className="page">
        {result.fetching ? (
          <p className="muted">Loading the case…</p>
        ) : (
          <div className="notice notice-info">
            This case does not exist or is not yours. <Link to="/">Back to my cases</Link>
          </div>
        )}
      </main>
    );
  }

  const closed = supportCase.status === "CLOSED";
  const messages = supportCase.messages.edges.map((e) => e.node);
  return (
    <main className="page">
      <p>
        <Link to="/">← My orders and cases</Link>
      </p>
      <div className="card-head">
        <h1>{supportCase.subject}</h1>
        <StatusBadge shown={CASE_STATUS[supportCase.status]} />
      </div>
      <p className="muted">
        {supportCase.number} · opened {formatDateTime(supportCase.createdAt)}
      </p>
      <div className="grid-2">
        <section className="card" aria-labelledby="thread-title">
          <h2 id="thread-title">Conversation</h2>
          <div className="msg">
            <div className="msg-head">
              <span className="msg-author">You</span> <span>opened the case</span>
            </div>
            <div className="msg-body">{supportCase.description}</div>
          </div>
          <Thread messages={messages} viewerId={session.user.id} emptyText={null} />
          {supportCase.messages.pageInfo.hasNextPage ? (
            <button type="button" onClick={() => setMessagesAfter(supportCase.messages.pageInfo.endCursor ?? null)}>
              Show more messages
            </button>
          ) : null}
          <ReplyBox caseId={supportCase.id} closed={closed} />
        </section>
        <aside>
          <RatingForm supportCase={supportCase} now={now} />
          {supportCase.order ? (
            <section className="card" aria-labelledby="order-title">
              <h2 id="order-title">Order {supportCase.order.number}</h2>
              <p>
                {ORDER_STATUS[supportCase.order.status].label} · total <Money value={supportCase.order.total} />
              </p>
              {supportCase.order.stale ? <Badge tone="warn">Order data may be out of date</Badge> : null}
            </section>
          ) : null}
          <section className="card" aria-labelledby="refunds-title">
            <h2 id="refunds-title">Refunds</h2>
            <RefundList refunds={supportCase.refunds.edges.map((edge) => edge.node)} />
            {supportCase.order && !closed ? (
              <>
                <h3>Ask for money back</h3>
                <RefundRequestForm caseId={supportCase.id} orderId={supportCase.order.id} />
              </>
            ) : null}
          </section>
        </aside>
      </div>
    </main>
  );
}
