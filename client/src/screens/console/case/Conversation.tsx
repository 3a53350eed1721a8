// The conversation: the customer's description, then every message (notes drawn as notes by
// ui/Thread), 50 a page, and the composer.
import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { formatDateTime } from "../../../lib/time";
import { ErrorNotice, RequestError, asResultError } from "../../../ui/ErrorNotice";
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
      <Thread messages={messages.edges.map((edge) => edge.node)} viewerId={viewerId} />
      {isLast && messages.pageInfo.hasNextPage && endCursor ? (
        <button type="button" onClick={() => onMore(endCursor)}>
          Show more messages
        </button>
      ) : null}
    </>
  );
}

type Kind = "reply" | "note";

const TEXT: Record<Kind, { label: string; hint: string; button: string; busy: string; done: string }> = {
  reply: {
    label: "Reply to customer",
    hint: "The customer sees this and gets it by email.",
    button: "Send reply to customer",
    busy: "Sending…",
    done: "Reply sent to the customer.",
  },
  note: {
    label: "Internal note — only staff can see this",
    hint: "The customer never sees internal notes.",
    button: "Add internal note",
    busy: "Adding note…",
    done: "Internal note added.",
  },
};

/**
 * Two boxes, two clearly different actions: a public reply, and below it an internal note drawn
 * like the notes in the thread (yellow, dashed). Each has its own text and its own button, so a
 * note is never sent to the customer by mistake.
 */
export function Composer({ caseId, closed }: { caseId: string; closed: boolean }) {
  if (closed) {
    return <p className="muted composer-closed">This case is closed: no more replies or notes can be added.</p>;
  }
  return (
    <div className="composers">
      <MessageForm caseId={caseId} kind="reply" />
      <MessageForm caseId={caseId} kind="note" />
    </div>
  );
}

function MessageForm({ caseId, kind }: { caseId: string; kind: Kind }) {
  const [body, setBody] = useState("");
  const [sent, setSent] = useState(false);
  const [result, post] = useMutation(AgentPostMessage);
  const text = TEXT[kind];
  const id = `composer-${kind}`;

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (body.trim() === "") return;
    setSent(false);
    const answer = await post({ input: { caseId, body, internal: kind === "note" } });
    if (answer.data?.postMessage.__typename === "MessagePosted") {
      setBody("");
      setSent(true);
    }
  }

  const failure = asResultError(result.data?.postMessage);
  return (
    <form className={`composer composer-${kind}`} onSubmit={submit} data-testid={id}>
      <label htmlFor={id} className={kind === "note" ? "note-label" : undefined}>
        {text.label}
      </label>
      <p className="muted small composer-hint" id={`${id}-hint`}>
        {text.hint}
      </p>
      <textarea
        id={id}
        aria-describedby={`${id}-hint`}
        maxLength={10000}
        value={body}
        onChange={(e) => {
          setBody(e.target.value);
          setSent(false);
        }}
      />
      {failure ? <ErrorNotice error={failure} /> : null}
      {result.error ? <RequestError error={result.error} /> : null}
      {sent ? (
        <div role="status" className="notice notice-good">
          {text.done}
        </div>
      ) : null}
      <div className="actions">
        <button
          type="submit"
          className={kind === "note" ? "note-button" : "primary"}
          disabled={result.fetching || body.trim() === ""}
        >
          {result.fetching ? text.busy : text.button}
        </button>
      </div>
    </form>
  );
}
