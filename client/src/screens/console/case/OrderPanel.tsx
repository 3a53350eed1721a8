import type { CaseOrderFragment } from "../../../gql/graphql";
import { formatDate, formatDateTime } from "../../../lib/time";
import { Badge, StatusBadge } from "../../../ui/Badge";
import { Money } from "../../../ui/Money";
import { ORDER_STATUS } from "../../../ui/statuses";

export function OrderPanel({ order }: { order: CaseOrderFragment | null }) {
  if (!order) {
    return (
      <section className="card" aria-labelledby="order-title">
        <h2 id="order-title">Order</h2>
        <p className="muted">This case is not about an order.</p>
      </section>
    );
  }
  return (
    <section className="card order-panel" aria-labelledby="order-title">
      <div className="card-head">
        <h2 id="order-title">Order {order.number}</h2>
        <StatusBadge shown={ORDER_STATUS[order.status]} />
      </div>
      {order.stale ? (
        <div className="stale-warning" role="note" data-testid="order-stale">
          <Badge tone="warn">Order data may be out of date (as of {formatDateTime(order.asOf)})</Badge>
          <span className="muted small"> The order system cannot be reached; this is the last copy we read.</span>
        </div>
      ) : null}
      <dl className="facts">
        <dt>Placed</dt>
        <dd>{formatDate(order.placedAt)}</dd>
        <dt>Delivery</dt>
        <dd>
          {order.deliveredAt
            ? `delivered ${formatDate(order.deliveredAt)}`
            : order.promisedDeliveryDate
              ? `promised ${formatDate(order.promisedDeliveryDate)}`
              : "—"}
        </dd>
      </dl>
      <div className="table-scroll">
        <table className="order-lines">
          <caption className="visually-hidden">Lines of order {order.number}</caption>
          <thead>
            <tr>
              <th scope="col">Item</th>
              <th scope="col" className="num">
                Qty
              </th>
              <th scope="col" className="num">
                Refunded
              </th>
              <th scope="col" className="num">
                Unit price
              </th>
            </tr>
          </thead>
          <tbody>
            {order.lines.map((line) => (
              <tr key={line.id}>
                <td>
                  {line.name}
                  <div className="muted small">{line.sku}</div>
                </td>
                <td className="num">{line.quantity}</td>
                <td className="num">{line.refundedQuantity}</td>
                <td className="num">
                  <Money value={line.unitPrice} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <dl className="facts totals">
        <dt>Shipping</dt>
        <dd>
          <Money value={order.shipping} />
        </dd>
        <dt>Total</dt>
        <dd>
          <strong>
            <Money value={order.total} />
          </strong>
        </dd>
        <dt>Refunded</dt>
        <dd>
          <Money value={order.refundedAmount} />
        </dd>
        <dt>Refundable now</dt>
        <dd data-testid="refundable-amount">
          <strong>
            <Money value={order.refundableAmount} />
          </strong>
        </dd>
      </dl>
    </section>
  );
}
