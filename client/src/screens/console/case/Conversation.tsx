// The conversation: the customer's description, then every message (notes drawn as notes by
// ui/Thread), 50 a page, and the composer.
import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { useIdempotencyKey } from "../../../lib/idempotency";
import { formatDateTime } from "../../../lib/time";
import { RequestError, ResultErrors } from "../../../ui/ErrorNotice";
import { Thread } from "../../../ui/Thread";
import { AgentCaseMessages, AgentPostMessage } from "./documents";

interface ConversationCase {
  id: string;
  description: string;
  createdAt: string;
  closed: boolean;
  customer: { name: string };
}

export function Conversation({ supportCase, viewerId }: { supportCase: ConversationCase; viewerId: string }) {
  const [pages, setPages] = useState<ReadonlyArray<string>>([]);
  return (
    <section className="card" aria-labelledby="conversation-title">
      <h2 id="conversation-title">Conversation</h2>
      <div className="msg msg-opening">
        <div className="msg-head">
          <span className="msg-author">{supportCase.customer.name}</span> <span>opened the case</span>
          <time dateTime={supportCase.createdAt}>{formatDateTime(supportCase.createdAt)}</time>
        </div>
        <div className="msg-body">{supportCase.description}</div>
      </div>
      <MessagePage
        caseId={supportCase.id}
        after={null}
        viewerId={viewerId}
        isLast={pages.length === 0}
        onMore={(cursor) => setPages([cursor])}
      />
      {pages.map((cursor, index) => (
        <MessagePage
          key={cursor}
          caseId={supportCase.id}
          after={cursor}
          viewerId={viewerId}
          isLast={index === pages.length - 1}
          onMore={(next) => setPages([...pages.slice(0, index + 1), next])}
        />
      ))}
      <Composer caseId={supportCase.id} closed={supportCase.closed} />
    </section>
  );
}

function MessagePage({
  caseId,
  after,
  viewerId,
  isLast,
  onMore,
}: {
  caseId: string;
  after: string | null;
  viewerId: string;
  isLast: boolean;
  onMore: (cursor: string) => void;
}) {
  const [result] = useQuery({ query: AgentCaseMessages, variables: { id: caseId, after } });
  const messages = result.data?.supportCase?.messages;
  if (result.error && !messages) return <RequestError error={result.error} />;
  if (!messages) return result.fetching ? <p className="muted">Loading messages…</p> : null;
  if (after !== null && messages.edges.length === 0) return null;
  const endCursor = messages.pageInfo.endCursor;
  return (
    <>
      <Thread
        messages={messages.edges.map((edge) => edge.node)}
        viewerId={viewerId}
        emptyText={after === null ? "No replies or notes yet." : null}
      />
      {isLast && messages.pageInfo.hasNextPage && endCursor ? (
        <button type="button" onClick={() => onMore(endCursor)}>
          Show more messages
        </button>
      ) : null}
    </>
  );
}

/**
 * One box, two clearly different actions: "Send reply to customer" (the customer sees it) and
 * "Add internal note" (staff only), the note action drawn like the notes in the thread (yellow,
 * dashed) and the box itself turning into a note while that action is pointed at or focused.
 */
export function Composer({ caseId, closed }: { caseId: string; closed: boolean }) {
  const [body, setBody] = useState("");
  const [sent, setSent] = useState<string | null>(null);
  const [sending, setSending] = useState<"reply" | "note" | null>(null);
  const [result, post] = useMutation(AgentPostMessage);
  const idempotency = useIdempotencyKey();

  if (closed) {
    return <p className="muted composer-closed">This case is closed: no more replies or notes can be added.</p>;
  }

  async function send(internal: boolean) {
    if (body.trim() === "") return;
    setSent(null);
    setSending(internal ? "note" : "reply");
    const sentBody = body;
    const input = { caseId, body: sentBody, internal };
    const answer = await post({ input: { ...input, idempotencyKey: idempotency.keyFor(input) } });
    setSending(null);
    if (answer.data?.postMessage.__typename === "MessagePosted") {
      idempotency.done();
      // Only clear what was sent: words typed while it was on its way are kept.
      setBody((current) => (current === sentBody ? "" : current));
      setSent(internal ? "Internal note added (only staff can see it)." : "Reply sent to the customer.");
    }
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    void send(false);
  }

  const empty = body.trim() === "";
  return (
    <form className="composer" onSubmit={submit} data-testid="composer">
      <label htmlFor="composer-body">Message</label>
      <p className="muted small composer-hint" id="composer-hint">
        Send it to the customer as a reply, or keep it among staff as an internal note.
      </p>
      <textarea
        id="composer-body"
        aria-describedby="composer-hint"
        maxLength={10000}
        value={body}
        onChange={(e) => {
          setBody(e.target.value);
          setSent(null);
        }}
      />
      <ResultErrors result={result.data?.postMessage} error={result.error} />
      {sent ? (
        <div role="status" className="notice notice-good">
          {sent}
        </div>
      ) : null}
      <div className="composer-actions">
        <div className="composer-action composer-action-reply">
          <button type="submit" className="primary" disabled={result.fetching || empty}>
            {sending === "reply" ? "Sending…" : "Send reply to customer"}
          </button>
          <span className="muted small">The customer sees this.</span>
        </div>
        <div className="composer-action composer-action-note">
          <span className="note-label small" id="composer-note-label">
            Internal note — only staff can see this
          </span>
          <button
            type="button"
            className="note-button"
            aria-describedby="composer-note-label"
            disabled={result.fetching || empty}
            onClick={() => void send(true)}
          >
            {sending === "note" ? "Adding note…" : "Add internal note"}
          </button>
        </div>
      </div>
    </form>
  );
}
