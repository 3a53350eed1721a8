// Refunds of the case with the decisions the viewer may take. An agent never meets a dead button:
// a refund above their approval limit says it needs an admin; admins see which refunds only they
// may approve. Every error member of the result unions is shown at the refund it concerns.
import { useState, type FormEvent } from "react";
import { useMutation } from "urql";
import type { AgentRefundFragment, Role } from "../../../gql/graphql";
import { REFUND_REASON_LABEL } from "../../../lib/labels";
import { formatDateTime } from "../../../lib/time";
import { Badge, StatusBadge } from "../../../ui/Badge";
import { ResultErrors } from "../../../ui/ErrorNotice";
import { Money } from "../../../ui/Money";
import { REFUND_STATUS } from "../../../ui/statuses";
import { ApproveRefund, RejectRefund, RetryRefund } from "./documents";

const APPROVAL_LABEL = { AUTO_POLICY: "automatic policy", AGENT: "agent", ADMIN: "admin" } as const;


export function AgentRefunds({
  refunds,
  role,
  lineNames,
}: {
  refunds: ReadonlyArray<AgentRefundFragment>;
  role: Role;
  lineNames: ReadonlyMap<string, string>;
}) {
  return (
    <section className="card" aria-labelledby="refunds-title">
      <h2 id="refunds-title">Refunds</h2>
      {refunds.length === 0 ? (
        <p className="muted">No refunds on this case.</p>
      ) : (
        <ul className="list refund-list">
          {refunds.map((refund) => (
            <RefundItem key={refund.id} refund={refund} role={role} lineNames={lineNames} />
          ))}
        </ul>
      )}
    </section>
  );
}

function RefundItem({
  refund,
  role,
  lineNames,
}: {
  refund: AgentRefundFragment;
  role: Role;
  lineNames: ReadonlyMap<string, string>;
}) {
  const admin = role === "ADMIN";
  const needsAdmin = refund.status === "REQUESTED" && refund.requiresAdminApproval;
  const titleId = `refund-${refund.id}-title`;
  return (
    <li data-testid="refund" data-status={refund.status} aria-labelledby={titleId}>
      <div className="card-head">
        <strong id={titleId}>
          Refund <Money value={refund.amount} />
        </strong>
        <span className="badges">
          {needsAdmin && admin ? <Badge tone="warn">Admin approval</Badge> : null}
          <StatusBadge shown={REFUND_STATUS[refund.status]} />
        </span>
      </div>
      <div className="muted small">
        {REFUND_REASON_LABEL[refund.reason]} · requested {formatDateTime(refund.createdAt)}
        {refund.attempt > 1 ? ` · payment attempt ${refund.attempt}` : ""}
      </div>
      {refund.lines.length > 0 || refund.includeShipping ? (
        <div className="small">
          {refund.lines.map((line) => `${line.quantity} × ${lineNames.get(line.lineId) ?? "item"}`).join(", ")}
          {refund.includeShipping ? `${refund.lines.length > 0 ? ", " : ""}shipping` : ""}
        </div>
      ) : null}
      {refund.note ? <div className="small">Customer’s note: “{refund.note}”</div> : null}
      {refund.approval ? (
        <div className="small">
          {refund.approval === "AUTO_POLICY"
            ? "Approved by the automatic policy"
            : `Approved by ${refund.decidedBy?.name ?? "staff"} (${APPROVAL_LABEL[refund.approval]})`}
          {refund.decisionNote ? ` — ${refund.decisionNote}` : ""}
        </div>
      ) : refund.decisionNote ? (
        <div className="small">
          {refund.decidedBy ? `${refund.decidedBy.name}: ` : ""}
          {refund.decisionNote}
        </div>
      ) : null}
      {refund.status === "FAILED" && refund.failureReason ? (
        <div className="notice notice-error">The payout failed: {refund.failureReason}</div>
      ) : null}
      {refund.status === "REQUESTED" ? (
        needsAdmin && !admin ? (
          <>
            <div className="notice notice-info needs-admin" data-testid="needs-admin">
              Needs an admin (above your approval limit).
            </div>
            <DecisionForm refund={refund} canApprove={false} />
          </>
        ) : (
          <DecisionForm refund={refund} canApprove />
        )
      ) : null}
      {refund.status === "FAILED" ? <RetryButton refundId={refund.id} /> : null}
    </li>
  );
}

function DecisionForm({ refund, canApprove }: { refund: AgentRefundFragment; canApprove: boolean }) {
  const [note, setNote] = useState("");
  const [noteMissing, setNoteMissing] = useState(false);
  const [approval, approve] = useMutation(ApproveRefund);
  const [rejection, reject] = useMutation(RejectRefund);
  const busy = approval.fetching || rejection.fetching;
  const id = `refund-${refund.id}-note`;

  function onApprove(event: FormEvent) {
    event.preventDefault();
    setNoteMissing(false);
    void approve({ input: { refundId: refund.id, note: note.trim() || null } });
  }

  function onReject() {
    if (note.trim() === "") {
      setNoteMissing(true);
      return;
    }
    setNoteMissing(false);
    void reject({ input: { refundId: refund.id, note: note.trim() } });
  }

  return (
    <form className="decision" onSubmit={onApprove}>
      <label htmlFor={id}>{canApprove ? "Decision note (optional to approve, required to reject)" : "Why it is rejected (required)"}</label>
      <textarea
        id={id}
        className="short"
        maxLength={2000}
        value={note}
        aria-invalid={noteMissing}
        aria-describedby={noteMissing ? `${id}-error` : undefined}
        onChange={(e) => setNote(e.target.value)}
      />
      {noteMissing ? (
        <div role="alert" className="notice notice-error" id={`${id}-error`}>
          Write a note for the customer to reject the refund.
        </div>
      ) : null}
      <ResultErrors result={approval.data?.approveRefund} error={approval.error} />
      <ResultErrors result={rejection.data?.rejectRefund} error={rejection.error} />
      <div className="actions">
        {canApprove ? (
          <button type="submit" className="primary" disabled={busy}>
            {approval.fetching ? "Approving…" : "Approve refund"}
          </button>
        ) : null}
        <button type="button" className="danger" disabled={busy} onClick={onReject}>
          {rejection.fetching ? "Rejecting…" : "Reject refund"}
        </button>
      </div>
    </form>
  );
}

function RetryButton({ refundId }: { refundId: string }) {
  const [result, retry] = useMutation(RetryRefund);
  return (
    <div className="retry">
      <ResultErrors result={result.data?.retryRefund} error={result.error} />
      <div className="actions">
        <button type="button" disabled={result.fetching} onClick={() => void retry({ input: { refundId } })}>
          {result.fetching ? "Retrying…" : "Retry payout"}
        </button>
      </div>
    </div>
  );
}
