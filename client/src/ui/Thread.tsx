import type { ThreadMessageFragment } from "../gql/graphql";
import { formatDateTime } from "../lib/time";

/**
 * A case's conversation, oldest first. An internal note is drawn differently (dashed, yellow,
 * labelled "Internal note — customer cannot see this") so it is never mistaken for a reply.
 */
export function Thread({
  messages,
  viewerId,
  emptyText = "No messages yet.",
}: {
  messages: ReadonlyArray<ThreadMessageFragment>;
  viewerId: string;
  emptyText?: string | null;
}) {
  if (messages.length === 0) return emptyText ? <p className="muted">{emptyText}</p> : null;
  return (
    <ol className="thread" aria-label="Messages">
      {messages.map((m) => {
        const mine = m.author.id === viewerId;
        const kind = m.internal ? "msg-note" : mine ? "msg-mine" : "";
        return (
          <li key={m.id} className={`msg ${kind}`} data-testid={m.internal ? "internal-note" : "message"}>
            <div className="msg-head">
              <span className="msg-author">{mine ? "You" : m.author.name}</span>
              {m.author.role !== "CUSTOMER" && !mine ? <span>Support team</span> : null}
              {m.internal ? <strong className="note-label">Internal note — customer cannot see this</strong> : null}
              <time dateTime={m.createdAt}>{formatDateTime(m.createdAt)}</time>
            </div>
            <div className="msg-body">{m.body}</div>
          </li>
        );
      })}
    </ol>
  );
}
