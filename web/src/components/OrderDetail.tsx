import { formatMoney, formatTime, humanize, shortId } from "../format";
import type { OrderView, TimelineEvent } from "../types";
import { Status } from "./Status";

export function OrderDetail({ order }: { order: OrderView }) {
  return (
    <article className="stack">
      <section className="card">
        <div className="row between wrap">
          <h2 className="mono-title">Order {order.id}</h2>
          <div className="row wrap">
            <Status label="Order" value={order.status} />
            <Status label="Payment" value={order.paymentStatus} />
          </div>
        </div>
        <dl className="facts">
          <div>
            <dt>Placed</dt>
            <dd>{formatTime(order.createdAt)}</dd>
          </div>
          {order.total && (
            <div>
              <dt>Total</dt>
              <dd className="money">{formatMoney(order.total)}</dd>
            </div>
          )}
          <div>
            <dt>Ship to</dt>
            <dd>
              {order.shipTo.name}, {order.shipTo.address.line1}, {order.shipTo.address.city}{" "}
              {order.shipTo.address.postalCode}
            </dd>
          </div>
          <div>
            <dt>Shipments</dt>
            <dd>{order.subOrders.length}</dd>
          </div>
        </dl>
        {order.review?.held && (
          <p className="notice">Held for review{order.review.note ? `: ${order.review.note}` : ""}</p>
        )}
      </section>

      {order.subOrders.map((sub) => (
        <section className="card" key={sub.id}>
          <div className="row between wrap">
            <h3>
              Vendor <code>{sub.vendorId}</code>
            </h3>
            <Status value={sub.status} />
          </div>
          <p className="muted small">
            Sub-order <code>{sub.id}</code>
            {sub.slaDispatchBy && <> · dispatch by {formatTime(sub.slaDispatchBy)}</>}
            {sub.cancellationReason && <> · cancelled: {humanize(sub.cancellationReason)}</>}
          </p>
          <table className="lines">
            <thead>
              <tr>
                <th>SKU</th>
                <th>Warehouse</th>
                <th className="num">Qty</th>
                <th className="num">Unit</th>
                <th className="num">Total</th>
              </tr>
            </thead>
            <tbody>
              {sub.lines.map((l) => (
                <tr key={l.id}>
                  <td data-label="SKU">
                    <code title={l.skuId}>{shortId(l.skuId)}</code>
                  </td>
                  <td data-label="Warehouse">
                    <code title={l.warehouseId}>{shortId(l.warehouseId)}</code>
                  </td>
                  <td data-label="Qty" className="num">
                    {l.qty}
                  </td>
                  <td data-label="Unit" className="num">
                    {formatMoney(l.unitPrice)}
                  </td>
                  <td data-label="Total" className="num">
                    {formatMoney(l.lineTotal)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="totals">
            <span>
              Shipping <span className="money">{formatMoney(sub.shipping)}</span>
            </span>
            <span>
              Sub-order total <strong className="money">{formatMoney(sub.total)}</strong>
            </span>
          </div>
        </section>
      ))}

      <section className="card">
        <h3>Timeline</h3>
        <Timeline events={order.timeline} />
      </section>
    </article>
  );
}

export function Timeline({ events }: { events: TimelineEvent[] }) {
  if (events.length === 0) return <p className="muted">No events yet.</p>;
  return (
    <ol className="timeline">
      {events.map((e, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a timeline is append-only and its events have no id.
        <li key={i}>
          <time dateTime={e.at} title={e.at}>
            {formatTime(e.at)}
          </time>
          <div>
            <strong>{humanize(e.type)}</strong>
            {e.subOrderId && (
              <span className="muted small">
                {" "}
                · <code>{e.subOrderId}</code>
              </span>
            )}
            <div className="muted small">
              by {e.actor.role}
              {e.actor.id ? ` ${e.actor.id}` : ""}
              {e.reason ? ` — ${humanize(e.reason)}` : ""}
            </div>
          </div>
        </li>
      ))}
    </ol>
  );
}
