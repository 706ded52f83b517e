import { MyOrders } from "./pages/MyOrders";
import { NotFound } from "./pages/NotFound";
import { OpsDashboard } from "./pages/ops/OpsDashboard";
import { Storefront } from "./pages/Storefront";
import { VendorApp } from "./pages/vendor/VendorApp";
import { Link, useLocation } from "./router";

const nav = [
  { to: "/", label: "Shop" },
  { to: "/orders", label: "My orders" },
  { to: "/ops", label: "Ops" },
  { to: "/vendor", label: "Vendor" },
] as const;

function under(path: string, base: string): string | null {
  if (path === base) return "";
  if (path.startsWith(`${base}/`)) return path.slice(base.length);
  return null;
}

export function App() {
  const { path } = useLocation();
  const ops = under(path, "/ops");
  const vendor = under(path, "/vendor");
  const active = ops !== null ? "/ops" : vendor !== null ? "/vendor" : path === "/" || path === "/orders" ? path : null;

  return (
    <>
      <header className="topbar">
        <Link to="/" className="brand">
          Edge OMS
        </Link>
        <nav>
          {nav.map((n) => (
            <Link key={n.to} to={n.to} className={active === n.to ? "active" : undefined}>
              {n.label}
            </Link>
          ))}
          {/* /docs is answered by the Worker, not this app: a full page load. */}
          <a href="/docs">API</a>
        </nav>
      </header>
      <main className="container">
        {ops !== null ? (
          <OpsDashboard rest={ops} />
        ) : vendor !== null ? (
          <VendorApp rest={vendor} />
        ) : path === "/" ? (
          <Storefront />
        ) : path === "/orders" ? (
          <MyOrders />
        ) : (
          <NotFound />
        )}
      </main>
    </>
  );
}
