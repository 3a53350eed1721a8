import { useState, type FormEvent } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { useMutation, useQuery } from "urql";
import type { CaseCategory } from "../../../gql/graphql";
import { useIdempotencyKey } from "../../../lib/idempotency";
import { CATEGORY_LABEL } from "../../../lib/labels";
import { RequestError, ResultErrors } from "../../../ui/ErrorNotice";
import { OpenCase, OrdersForNewCase } from "./documents";

const CATEGORIES = Object.keys(CATEGORY_LABEL) as CaseCategory[];

export function NewCaseScreen() {
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [orderId, setOrderId] = useState(params.get("order") ?? "");
  const [category, setCategory] = useState<CaseCategory>(orderId ? "REFUND_REQUEST" : "OTHER");
  const [subject, setSubject] = useState("");
  const [description, setDescription] = useState("");
  const [orders] = useQuery({ query: OrdersForNewCase });
  const [result, openCase] = useMutation(OpenCase);
  const idempotency = useIdempotencyKey();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const input = { subject, description, category, orderId: orderId || null };
    const answer = await openCase({ input: { ...input, idempotencyKey: idempotency.keyFor(input) } });
    const outcome = answer.data?.openCase;
    if (outcome?.__typename === "CaseOpened") {
      navigate(`/cases/${encodeURIComponent(outcome.supportCase.id)}`);
    }
  }

  return (
    <main className="page page-narrow">
      <p>
        <Link to="/">← Back to my orders</Link>
      </p>
      <form className="card" onSubmit={submit} aria-labelledby="new-case-title">
        <h1 id="new-case-title">Open a case</h1>
        <label htmlFor="case-order">Order</label>
        <select id="case-order" value={orderId} onChange={(e) => setOrderId(e.target.value)}>
          <option value="">Not about an order</option>
          {orders.data?.myOrders.edges.map(({ node }) => (
            <option key={node.id} value={node.id}>
              {node.number}
            </option>
          ))}
        </select>
        {orders.error ? <RequestError error={orders.error} /> : null}
        <label htmlFor="case-category">Topic</label>
        <select
          id="case-category"
          value={category}
          onChange={(e) => setCategory(e.target.value as CaseCategory)}
        >
          {CATEGORIES.map((c) => (
            <option key={c} value={c}>
              {CATEGORY_LABEL[c]}
            </option>
          ))}
        </select>
        <label htmlFor="case-subject">Subject</label>
        <input
          id="case-subject"
          required
          maxLength={200}
          value={subject}
          onChange={(e) => setSubject(e.target.value)}
        />
        <label htmlFor="case-description">What happened?</label>
        <textarea
          id="case-description"
          required
          maxLength={10000}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
        />
        <ResultErrors result={result.data?.openCase} error={result.error} />
        <div className="actions">
          <button type="submit" className="primary" disabled={result.fetching}>
            {result.fetching ? "Opening…" : "Open case"}
          </button>
        </div>
      </form>
    </main>
  );
}
