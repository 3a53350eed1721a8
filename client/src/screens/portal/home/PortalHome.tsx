import { useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useQuery } from "urql";
import { ago, formatDate } from "../../../lib/time";
import { Badge, StatusBadge } from "../../../ui/Badge";
import { RequestError } from "../../../ui/ErrorNotice";
import { Money } from "../../../ui/Money";
import { Pager } from "../../../ui/Pager";
import { CASE_STATUS, ORDER_STATUS } from "../../../ui/statuses";
import { useNow } from "../../../ui/useNow";
import { MyCases, MyOrders } from "./documents";

const PAGE = 10;

export function PortalHome() {
  return (
    <main className="page">
      <h1>Your orders and cases</h1>
      <div className="grid-2">
        <OrdersCard />
        <CasesCard />
      </div>
    </main>
  );
}

function OrdersCard() {
  const [after, setAfter] = useState<string | null>(null);
  const [result] = useQuery({ query: MyOrders, variables: { first: PAGE, after } });
  const orders = result.data?.myOrders;
  return (
    <section className="card" aria-labelledby="orders-title">
      <h2 id="orders-title">My orders</h2>
      {result.error ? <RequestError error={result.error} /> : null}
      {!orders && result.fetching ? <p className="muted">Loading your orders…</p> : null}
      {orders && orders.edges.length === 0 ? <p className="muted">You have no orders yet.</p> : null}
      {orders && orders.edges.length > 0 ? (
        <table className="responsive">
          <thead>
            <tr>
              <th scope="col">Order</th>
              <th scope="col">Status</th>
              <th scope="col">Delivery</th>
              <th scope="col" className="num">
                Total
              </th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {orders.edges.map(({ node: order }) => (
              <tr key={order.id} data-testid={`order-${order.number}`}>
                <td data-label="Order">
                  <strong>{order.number}</strong>
                  <div className="muted small">placed {formatDate(order.placedAt)}</div>
                </td>
                <td data-label="Status">
                  <StatusBadge shown={ORDER_STATUS[order.status]} />
                  {order.stale ? (
                    <div>
                      <Badge tone="warn">may be out of date</Badge>
                    </div>
                  ) : null}
                </td>
                <td data-label="Delivery">
                  {order.deliveredAt
                    ? `delivered ${formatDate(order.deliveredAt)}`
                    : order.promisedDeliveryDate
                      ? `${Date.parse(order.promisedDeliveryDate) < Date.now() - 86_400_000 ? "late: was due" : "expected"} ${formatDate(order.promisedDeliveryDate)}`
                      : "—"}
                </td>
                <td data-label="Total" className="num">
                  <Money value={order.total} />
                  {order.refundedAmount.amount > 0 ? (
                    <div className="muted small">
                      refunded <Money value={order.refundedAmount} />
                    </div>
                  ) : null}
                </td>
                <td data-label="">
                  <Link to={`/new-case?order=${encodeURIComponent(order.id)}`} className="button-link">
                    Get help with {order.number}
                  </Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <Pager pageInfo={orders?.pageInfo} after={after} onPage={setAfter} />
    </section>
  );
}

function CasesCard() {
  const now = useNow();
  // The words searched for (applied on submit); a new search starts at the first page.
  const [typed, setTyped] = useState("");
  const [search, setSearch] = useState("");
  const [page, setPage] = useState<{ search: string; after: string | null }>({ search: "", after: null });
  const after = page.search === search ? page.after : null;
  const filter = search ? { text: search } : null;
  const [result] = useQuery({ query: MyCases, variables: { first: PAGE, after, filter } });
  const cases = result.data?.supportCases;

  function submit(event: FormEvent) {
    event.preventDefault();
    setSearch(typed.trim());
  }
  return (
    <section className="card" aria-labelledby="cases-title">
      <div className="card-head">
        <h2 id="cases-title">My cases</h2>
        <Link to="/new-case" className="button-link">
          Open a case
        </Link>
      </div>
      <form className="case-search" role="search" aria-label="Search your cases" onSubmit={submit}>
        <label htmlFor="my-case-search" className="visually-hidden">
          Search your cases
        </label>
        <input
          id="my-case-search"
          type="search"
          placeholder="A word, an order or case number"
          value={typed}
          onChange={(e) => {
            setTyped(e.target.value);
            if (!e.target.value.trim()) setSearch(""); // cleared: every case again
          }}
        />
        <button type="submit">Search</button>
      </form>
      {result.error ? <RequestError error={result.error} /> : null}
      {!cases && result.fetching ? <p className="muted">Loading your cases…</p> : null}
      {cases && cases.edges.length === 0 && search ? (
        <p className="muted" role="status">
          No case of yours matches “{search}”.
        </p>
      ) : null}
      {cases && cases.edges.length === 0 && !search ? (
        <p className="muted">No cases yet. Questions about an order? Open a case from the order.</p>
      ) : null}
      <ul className="list">
        {cases?.edges.map(({ node }) => (
          <li key={node.id}>
            <Link to={`/cases/${encodeURIComponent(node.id)}`}>
              <strong>{node.subject}</strong>
            </Link>{" "}
            <StatusBadge shown={CASE_STATUS[node.status]} />
            <div className="muted small">
              {node.number}
              {node.order ? ` · order ${node.order.number}` : ""} · updated {ago(node.updatedAt, now)}
            </div>
          </li>
        ))}
      </ul>
      <Pager pageInfo={cases?.pageInfo} after={after} onPage={(next) => setPage({ search, after: next })} />
    </section>
  );
}
