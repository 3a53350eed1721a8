import { useMutation } from "urql";
import type { CustomerRefundFragment } from "../../../gql/graphql";
import { REFUND_REASON_LABEL } from "../../../lib/labels";
import { formatDateTime } from "../../../lib/time";
import { StatusBadge } from "../../../ui/Badge";
import { ResultErrors } from "../../../ui/ErrorNotice";
import { Money } from "../../../ui/Money";
import { REFUND_STATUS } from "../../../ui/statuses";
import { CancelRefund } from "./documents";

export function RefundList({ refunds }: { refunds: ReadonlyArray<CustomerRefundFragment> }) {
  const [result, cancel] = useMutation(CancelRefund);
  if (refunds.length === 0) return <p className="muted">No refunds on this case yet.</p>;
  return (
    <>
      <ResultErrors result={result.data?.cancelRefund} error={result.error} />
      <ul className="list" aria-label="Refunds">
        {refunds.map((refund) => (
          <li key={refund.id} data-testid="refund" data-status={refund.status}>
            <div className="card-head">
              <strong>
                <Money value={refund.amount} />
              </strong>
              <StatusBadge shown={REFUND_STATUS[refund.status]} />
            </div>
            <div className="muted small">
              {REFUND_REASON_LABEL[refund.reason]} · asked {formatDateTime(refund.createdAt)}
            </div>
            {refund.status === "FAILED" && refund.failureReason ? (
              <div className="notice notice-error">The payout failed: {refund.failureReason}</div>
            ) : null}
            {refund.status === "REJECTED" && refund.decisionNote ? (
              <div className="muted">Why: {refund.decisionNote}</div>
            ) : null}
            {refund.status === "REQUESTED" ? (
              <button
                type="button"
                className="danger"
                disabled={result.fetching}
                onClick={() => void cancel({ input: { refundId: refund.id } })}
              >
                Cancel this request
              </button>
            ) : null}
          </li>
        ))}
      </ul>
    </>
  );
}
