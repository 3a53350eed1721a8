import { useState, type FormEvent } from "react";
import { useMutation } from "urql";
import { useIdempotencyKey } from "../../../lib/idempotency";
import { ResultErrors } from "../../../ui/ErrorNotice";
import { PostReply } from "./documents";

export function ReplyBox({ caseId, closed }: { caseId: string; closed: boolean }) {
  const [body, setBody] = useState("");
  const [result, post] = useMutation(PostReply);
  const idempotency = useIdempotencyKey();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const sentBody = body;
    const input = { caseId, body: sentBody, internal: false };
    const answer = await post({ input: { ...input, idempotencyKey: idempotency.keyFor(input) } });
    // Only clear what was sent: words typed while it was on its way are kept.
    if (answer.data?.postMessage.__typename === "MessagePosted") {
      idempotency.done();
      setBody((current) => (current === sentBody ? "" : current));
    }
  }

  if (closed) return <p className="muted">This case is closed. Open a new case if you need more help.</p>;
  return (
    <form onSubmit={submit} aria-label="Reply">
      <label htmlFor="reply-body">Your reply</label>
      <textarea id="reply-body" required maxLength={10000} value={body} onChange={(e) => setBody(e.target.value)} />
      <ResultErrors result={result.data?.postMessage} error={result.error} />
      <div className="actions">
        <button type="submit" className="primary" disabled={result.fetching || body.trim() === ""}>
          {result.fetching ? "Sending…" : "Send reply"}
        </button>
      </div>
    </form>
  );
}
