import { formatMoney, formatTime, humanize } from "../format";
import type { OrderView, TimelineEvent } from "../types";
import { IdDetail } from "./IdDetail";
import { Status } from "./Status";

type Line = OrderView["subOrders"][number]["lines"][number];

/** "Amla Candy, 200 g": the product, then the seller's variant when it says more than the product. */
export function itemName(l: Pick<Line, "productTitle" | "skuTitle">): string | null {
  if (!l.productTitle) return l.skuTitle ?? null;
  if (!l.skuTitle || l.skuTitle === l.productTitle) return l.productTitle;
  return l.skuTitle.startsWith(l.productTitle) ? l.skuTitle : `${l.productTitle}, ${l.skuTitle}`;
}

/** A name to read, with its id beneath as a copyable detail; the id alone when the name is unknown. */
export function Named({ name, id, label }: { name: string | null | undefined; id: string; label: string }) {
  return (
    <span className="name-with-id">
      {name && <span>{name}</span>}
      <IdDetail id={id} label={label} />
    </span>
  );
}

export function OrderDetail({ order }: { order: OrderView }) {
  return (
    <article className="stack">
      <section className="card">
        <div className="row between wrap">
          <h2 className="mono-title">
            Order <IdDetail id={order.id} label="order" />
          </h2>
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
          {order.shipTo && (
            <div>
              <dt>Ship to</dt>
              <dd>
                {order.shipTo.name}, {order.shipTo.address.line1}, {order.shipTo.address.city}{" "}
                {order.shipTo.address.postalCode}
              </dd>
            </div>
          )}
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
              <Named name={sub.vendorName} id={sub.vendorId} label="vendor" />
            </h3>
            <Status value={sub.status} />
          </div>
          <p className="muted small">
            Parcel <IdDetail id={sub.id} label="sub-order" />
            {sub.slaDispatchBy && <> · dispatch by {formatTime(sub.slaDispatchBy)}</>}
            {sub.cancellationReason && <> · cancelled: {humanize(sub.cancellationReason)}</>}
          </p>
          <table className="lines">
            <thead>
              <tr>
                <th>Item</th>
                <th>Warehouse</th>
                <th className="num">Qty</th>
                <th className="num">Unit</th>
                <th className="num">Total</th>
              </tr>
            </thead>
            <tbody>
              {sub.lines.map((l) => (
                <tr key={l.id}>
                  <td data-label="Item">
                    <Named name={itemName(l)} id={l.skuId} label="SKU" />
                  </td>
                  <td data-label="Warehouse">
                    <Named name={l.warehouseName} id={l.warehouseId} label="warehouse" />
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
        <Timeline events={order.timeline} parcels={parcelNames(order)} actors={vendorNames(order)} />
      </section>
    </article>
  );
}

/** The timeline; `parcels` names a sub-order by its vendor where the caller knows it. */
export function Timeline({
  events,
  parcels,
  actors,
}: {
  events: TimelineEvent[];
  parcels?: Map<string, string>;
  actors?: Map<string, string>;
}) {
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
                · {parcels?.get(e.subOrderId) ?? "parcel"} <IdDetail id={e.subOrderId} label="sub-order" />
              </span>
            )}
            <div className="muted small">
              by {e.actor.role}
              {e.actor.id && actors?.get(e.actor.id) ? ` ${actors.get(e.actor.id)}` : ""}
              {e.actor.id && (
                <>
                  {" "}
                  <IdDetail id={e.actor.id} label={e.actor.role} />
                </>
              )}
              {e.reason ? ` — ${humanize(e.reason)}` : ""}
            </div>
          </div>
        </li>
      ))}
    </ol>
  );
}

/** Each sub-order's vendor name, for the timeline's lines about one parcel. */
export function parcelNames(order: OrderView): Map<string, string> {
  return new Map(order.subOrders.flatMap((s) => (s.vendorName ? [[s.id, s.vendorName] as const] : [])));
}

/** Each vendor's name by its id, for the timeline's "by vendor …". */
export function vendorNames(order: OrderView): Map<string, string> {
  return new Map(order.subOrders.flatMap((s) => (s.vendorName ? [[s.vendorId, s.vendorName] as const] : [])));
}
