import { useMemo, useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import type { RefundReason } from "../../../gql/graphql";
import { useIdempotencyKey } from "../../../lib/idempotency";
import { REFUND_DENIAL_LABEL, REFUND_REASON_LABEL } from "../../../lib/labels";
import { formatMoney, parseAmount } from "../../../lib/money";
import { formatDate } from "../../../lib/time";
import { RequestError, ResultErrors } from "../../../ui/ErrorNotice";
import { Money } from "../../../ui/Money";
import { RefundQuoteForOrder, RequestRefund } from "./documents";

const REASONS = Object.keys(REFUND_REASON_LABEL) as RefundReason[];

type Mode = "amount" | "lines";

/**
 * The refund flow: the quote first (what can be refunded now, until when, or why not), then a
 * request by amount or by items. The idempotency key stays the same while the input does, so a
 * double click or a retry after a network error never asks twice.
 */
export function RefundRequestForm({ caseId, orderId }: { caseId: string; orderId: string }) {
  const [quoteResult] = useQuery({ query: RefundQuoteForOrder, variables: { orderId } });
  const [result, request] = useMutation(RequestRefund);
  const [mode, setMode] = useState<Mode>("amount");
  const [amountText, setAmountText] = useState("");
  const [quantities, setQuantities] = useState<Record<string, number>>({});
  const [includeShipping, setIncludeShipping] = useState(false);
  const [reason, setReason] = useState<RefundReason>("DAMAGED");
  const [note, setNote] = useState("");
  const [amountError, setAmountError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const idempotency = useIdempotencyKey();

  const quote = quoteResult.data?.refundQuote;
  const currency = quote?.refundableAmount.currency ?? "EUR";
  const lines = useMemo(
    () => (quote?.order.lines ?? []).filter((l) => l.quantity - l.refundedQuantity > 0),
    [quote],
  );

  if (quoteResult.error) return <RequestError error={quoteResult.error} />;
  if (!quote) return <p className="muted">Checking what can be refunded…</p>;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setDone(null);
    setAmountError(null);
    let amount: number | null = null;
    let chosen: Array<{ lineId: string; quantity: number }> | null = null;
    if (mode === "amount") {
      amount = parseAmount(amountText, currency);
      if (amount === null || amount <= 0) {
        setAmountError(`Enter an amount like 12.50 (in ${currency}).`);
        return;
      }
    } else {
      chosen = Object.entries(quantities)
        .filter(([, quantity]) => quantity > 0)
        .map(([lineId, quantity]) => ({ lineId, quantity }));
      if (chosen.length === 0 && !includeShipping) {
        setAmountError("Choose at least one item (or shipping).");
        return;
      }
    }
    const input = {
      caseId,
      reason,
      note: note.trim() || null,
      amount,
      lines: chosen,
      includeShipping: mode === "lines" && includeShipping,
    };
    const answer = await request({ input: { ...input, idempotencyKey: idempotency.keyFor(input) } });
    const outcome = answer.data?.requestRefund;
    if (outcome?.__typename === "RefundRequested") {
      idempotency.done();
      setAmountText("");
      setQuantities({});
      setNote("");
      setDone(`Refund of ${formatMoney(outcome.refund.amount)} requested.`);
    }
  }

  return (
    <div className="stack">
      <div className="quote" data-testid="refund-quote">
        {quote.eligible ? (
          <p>
            Refundable now: <strong>{<Money value={quote.refundableAmount} />}</strong>
            {quote.windowEndsAt ? <> · you can ask until {formatDate(quote.windowEndsAt)}</> : null}
          </p>
        ) : (
          <p className="notice notice-info">
            {quote.denial ? REFUND_DENIAL_LABEL[quote.denial] : "No refund is possible on this order right now."}
          </p>
        )}
      </div>
      {done ? (
        <div role="status" className="notice notice-good">
          {done}
        </div>
      ) : null}
      {quote.eligible ? (
        <form onSubmit={submit} aria-label="Request a refund">
          <fieldset className="segmented">
            <legend>Refund</legend>
            <label className="checkbox">
              <input type="radio" name="refund-mode" checked={mode === "amount"} onChange={() => setMode("amount")} />
              An amount
            </label>
            <label className="checkbox">
              <input type="radio" name="refund-mode" checked={mode === "lines"} onChange={() => setMode("lines")} />
              Specific items
            </label>
          </fieldset>
          {mode === "amount" ? (
            <>
              <label htmlFor="refund-amount">Amount ({currency})</label>
              <input
                id="refund-amount"
                inputMode="decimal"
                placeholder={`up to ${formatMoney(quote.refundableAmount)}`}
                value={amountText}
                onChange={(e) => setAmountText(e.target.value)}
              />
            </>
          ) : (
            <div className="stack">
              {lines.map((line) => {
                const left = line.quantity - line.refundedQuantity;
                return (
                  <div key={line.id} className="line-pick">
                    <label htmlFor={`qty-${line.id}`}>
                      {line.name} <span className="muted">({formatMoney(line.unitPrice)} each, {left} left)</span>
                    </label>
                    <select
                      id={`qty-${line.id}`}
                      value={quantities[line.id] ?? 0}
                      onChange={(e) => setQuantities({ ...quantities, [line.id]: Number(e.target.value) })}
                    >
                      {Array.from({ length: left + 1 }, (_, n) => (
                        <option key={n} value={n}>
                          {n}
                        </option>
                      ))}
                    </select>
                  </div>
                );
              })}
              {quote.order.shipping.amount > 0 ? (
                <label className="checkbox">
                  <input
                    type="checkbox"
                    checked={includeShipping}
                    onChange={(e) => setIncludeShipping(e.target.checked)}
                  />
                  Also refund shipping ({formatMoney(quote.order.shipping)})
                </label>
              ) : null}
            </div>
          )}
          <label htmlFor="refund-reason">Reason</label>
          <select id="refund-reason" value={reason} onChange={(e) => setReason(e.target.value as RefundReason)}>
            {REASONS.map((r) => (
              <option key={r} value={r}>
                {REFUND_REASON_LABEL[r]}
              </option>
            ))}
          </select>
          <label htmlFor="refund-note">Note (optional)</label>
          <input id="refund-note" maxLength={2000} value={note} onChange={(e) => setNote(e.target.value)} />
          {amountError ? (
            <div role="alert" className="notice notice-error">
              {amountError}
            </div>
          ) : null}
          <ResultErrors result={result.data?.requestRefund} error={result.error} />
          <div className="actions">
            <button type="submit" className="primary" disabled={result.fetching}>
              {result.fetching ? "Requesting…" : "Request refund"}
            </button>
          </div>
        </form>
      ) : null}
    </div>
  );
}
