import { useToken } from "../auth";
import { OrderDetailLoader } from "../components/OrderDetail";
import { OrderList } from "../components/OrderList";
import { SignedInAs, SignIn } from "../components/SignIn";

type Props = {
  /** "/ops" or "/vendor": the app's root path; order details live under `${base}/orders/:id`. */
  base: "/ops" | "/vendor";
  /** The path below `base`, e.g. "/orders/ord_1", or "" for the list. */
  rest: string;
};

const text = {
  "/ops": { title: "Ops dashboard", who: "an ops or admin", label: "Ops" },
  "/vendor": { title: "Vendor app", who: "your vendor", label: "Vendor" },
} as const;

/** The ops dashboard and the vendor app share their shell; the API decides what each may see. */
export function Dashboard({ base, rest }: Props) {
  const slot = base === "/ops" ? "ops" : "vendor";
  const [token] = useToken(slot);
  const t = text[base];
  const orderId = /^\/orders\/([^/]+)\/?$/.exec(rest)?.[1];

  return (
    <div className="stack">
      <div className="row between wrap page-head">
        <h1>{t.title}</h1>
        {token && <SignedInAs slot={slot} token={token} label={t.label} />}
      </div>
      {!token ? (
        <SignIn slot={slot} who={t.who} />
      ) : orderId ? (
        <OrderDetailLoader token={token} orderId={decodeURIComponent(orderId)} back={base} />
      ) : rest === "" || rest === "/" ? (
        <OrderList token={token} basePath={base} vendorView={base === "/vendor"} />
      ) : (
        <NotFound />
      )}
    </div>
  );
}

export function NotFound() {
  return (
    <section className="card stack">
      <h2>Page not found</h2>
      <p>
        Try the <a href="/">shop</a>, the <a href="/ops">ops dashboard</a> or the <a href="/vendor">vendor app</a>.
      </p>
    </section>
  );
}
