import { type ChangeEvent, type FormEvent, useEffect, useMemo, useState } from "react";
import { ApiProblem, api, newIdempotencyKey } from "../api";
import { setToken, useToken } from "../auth";
import { AvailableCount, useLiveAvailable } from "../components/LiveAvailable";
import { OrderDetail } from "../components/OrderDetail";
import { type CartWords, ProblemBanner } from "../components/ProblemBanner";
import { SignedInAs, SignIn } from "../components/SignIn";
import { Status, UpdatedAt } from "../components/Status";
import { StripePayment, useStripeReturnStripped } from "../components/StripePayment";
import { formatMoney, formatTime } from "../format";
import { holdExpired, useHoldExpired } from "../hold-expiry";
import { CART_KEY, LAST_ORDER_KEY, PRODUCT_CART_KEY, SHIP_KEY, SUBMISSION_KEY } from "../shopper-data";
import type { CatalogProduct, CatalogSku, CheckoutResult, Money, OrderView } from "../types";
import { type Loadable, useApi } from "../use-api";

export type CartLine = { sku: CatalogSku; qty: number };
/** A product without a chosen seller: routing picks the offer at checkout (a line by productId). */
export type ProductLine = { product: CatalogProduct; qty: number };
type ShipToForm = { name: string; line1: string; city: string; postalCode: string };

const MAX_QTY = 99;

function load<T>(key: string, fallback: T): T {
  try {
    const raw = localStorage.getItem(key);
    return raw ? (JSON.parse(raw) as T) : fallback;
  } catch {
    return fallback;
  }
}

function save(key: string, value: unknown) {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage may be unavailable; the cart then lives as long as the page.
  }
}

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

function lineTotal(l: CartLine): Money {
  return { amountMinor: l.sku.price.amountMinor * l.qty, currency: l.sku.price.currency };
}

/**
 * The cart's figure as the shopper should read it: never a flat total, since checkout adds
 * shipping per shipment, and a product line counts at its cheapest offer while routing may pick a
 * dearer one ("from"). What is charged is the checkout's answer.
 */
export function cartTotalLabel(cart: readonly CartLine[], products: readonly ProductLine[]): string {
  const currency = cart[0]?.sku.price.currency ?? products[0]?.product.minPrice.currency ?? "INR";
  const amountMinor =
    cart.reduce((s, l) => s + lineTotal(l).amountMinor, 0) +
    products.reduce((s, l) => s + l.product.minPrice.amountMinor * l.qty, 0);
  const total = formatMoney({ amountMinor, currency });
  return `${products.length > 0 ? "from " : ""}${total} + shipping`;
}

/**
 * A cart kept in localStorage, its offers and products as the catalog reads now (prices change; an
 * offer no longer listed is left for checkout to refuse). A product line's price is its cheapest
 * offer with stock, or of all when none has any, as the catalog's product card (src/db/catalog.ts).
 */
export function refreshedCart(
  cart: readonly CartLine[],
  products: readonly ProductLine[],
  offers: readonly CatalogSku[],
): { cart: CartLine[]; products: ProductLine[] } {
  return { cart: refreshedLines(cart, offers), products: refreshedProducts(products, offers) };
}

function refreshedLines(cart: readonly CartLine[], offers: readonly CatalogSku[]): CartLine[] {
  const byId = new Map(offers.map((o) => [o.skuId, o]));
  return cart.map((l) => {
    const now = byId.get(l.sku.skuId);
    return now ? { ...l, sku: now } : l;
  });
}

function refreshedProducts(products: readonly ProductLine[], offers: readonly CatalogSku[]): ProductLine[] {
  return products.map((l) => {
    const all = offers.filter((o) => o.productId === l.product.productId);
    if (all.length === 0) return l;
    const inStock = all.filter((o) => o.available > 0);
    const priced = inStock.length > 0 ? inStock : all;
    const cheapest = priced.reduce((a, b) => (b.price.amountMinor < a.price.amountMinor ? b : a));
    const available = all.reduce((n, o) => n + o.available, 0);
    return { ...l, product: { ...l.product, minPrice: cheapest.price, available } };
  });
}

/**
 * The products a catalog shows after a read lands: its first page, or the shown ones with a further
 * page's new ones. An answer read for another search (a new search's read still on its way, or
 * failed) is not this search's, and changes nothing.
 */
export function catalogShown(
  prev: CatalogProduct[],
  page: { data: { items: CatalogProduct[] } | null; stale: boolean },
  cursor: string | null,
): CatalogProduct[] {
  const got = page.data?.items;
  if (!got || page.stale) return prev;
  return cursor ? [...prev, ...got.filter((g) => !prev.some((p) => p.productId === g.productId))] : got;
}

export function Storefront() {
  // A payment method that left for the bank's page comes back here (the form's `return_url`).
  useStripeReturnStripped();
  const [token] = useToken("storefront");
  // Signed out (here or in another tab), the shop starts afresh from storage sign-out emptied: the
  // cart, address and last order on screen were the last shopper's.
  const [signedIn, setSignedIn] = useState(token);
  const [signOuts, setSignOuts] = useState(0);
  if (token !== signedIn) {
    setSignedIn(token);
    if (token === null) setSignOuts((n) => n + 1);
  }
  return <Shop key={signOuts} token={token} />;
}

function Shop({ token }: { token: string | null }) {
  const [search, setSearch] = useState("");
  const query = useDebounced(search.trim(), 250);
  const [cart, setCart] = useState<CartLine[]>(() => load<CartLine[]>(CART_KEY, []));
  const [products, setProducts] = useState<ProductLine[]>(() => load<ProductLine[]>(PRODUCT_CART_KEY, []));
  const [placed, setPlaced] = useState<{ orderId: string; payment: CheckoutResult["payment"] } | null>(() =>
    load(LAST_ORDER_KEY, null),
  );

  useEffect(() => save(CART_KEY, cart), [cart]);
  useEffect(() => save(PRODUCT_CART_KEY, products), [products]);
  useEffect(() => save(LAST_ORDER_KEY, placed), [placed]);

  // A cart kept from an earlier visit carries the prices read then: read its products' offers again.
  // biome-ignore lint/correctness/useExhaustiveDependencies: once, for the cart as loaded.
  useEffect(() => {
    const ids = [...new Set([...cart.map((l) => l.sku.productId), ...products.map((l) => l.product.productId)])];
    if (ids.length === 0) return;
    const ctl = new AbortController();
    Promise.all(ids.map((productId) => api.catalog({ productId, limit: 100 }, ctl.signal))).then(
      (pages) => {
        const offers = pages.flatMap((p) => p.items);
        setCart((c) => refreshedLines(c, offers));
        setProducts((p) => refreshedProducts(p, offers));
      },
      // Unread, the kept prices stay, shown as an estimate; checkout answers with what is charged.
      () => {},
    );
    return () => ctl.abort();
  }, []);

  const add = (sku: CatalogSku) =>
    setCart((c) => {
      const found = c.find((l) => l.sku.skuId === sku.skuId);
      if (found) return c.map((l) => (l === found ? { sku, qty: Math.min(l.qty + 1, MAX_QTY) } : l));
      return [...c, { sku, qty: 1 }];
    });
  const setQty = (skuId: string, qty: number) =>
    setCart((c) =>
      qty <= 0
        ? c.filter((l) => l.sku.skuId !== skuId)
        : c.map((l) => (l.sku.skuId === skuId ? { ...l, qty: Math.min(qty, MAX_QTY) } : l)),
    );

  /** Units of a product the cart holds by offer (lines by SKU): they count against what it has available. */
  const byOffer = (productId: string) =>
    cart.filter((l) => l.sku.productId === productId).reduce((n, l) => n + l.qty, 0);
  const addProduct = (product: CatalogProduct) =>
    setProducts((c) => {
      const found = c.find((l) => l.product.productId === product.productId);
      // Up to what the product has available less what the cart holds of it by offer.
      const cap = Math.min(product.available - byOffer(product.productId), MAX_QTY);
      if (found) return c.map((l) => (l === found ? { product, qty: Math.min(l.qty + 1, cap) } : l));
      return cap > 0 ? [...c, { product, qty: 1 }] : c;
    });
  const setProductQty = (productId: string, qty: number) =>
    setProducts((c) =>
      qty <= 0
        ? c.filter((l) => l.product.productId !== productId)
        : c.map((l) => (l.product.productId === productId ? { ...l, qty: Math.min(qty, MAX_QTY) } : l)),
    );
  const units = cart.reduce((n, l) => n + l.qty, 0) + products.reduce((n, l) => n + l.qty, 0);

  const inCart = useMemo(() => new Map(cart.map((l) => [l.sku.skuId, l.qty])), [cart]);
  // By product line or by offer: a product's Add goes by all of it.
  const productsInCart = useMemo(() => {
    const held = new Map<string, number>();
    for (const l of products) held.set(l.product.productId, (held.get(l.product.productId) ?? 0) + l.qty);
    for (const l of cart) held.set(l.sku.productId, (held.get(l.sku.productId) ?? 0) + l.qty);
    return held;
  }, [products, cart]);

  return (
    <div className="shop">
      <div className="shop-main stack">
        {placed && <PlacedOrder placed={placed} token={token} onClose={() => setPlaced(null)} />}
        <section className="card stack">
          <div className="row between wrap">
            <h2>Shop</h2>
            {token ? (
              <SignedInAs slot="storefront" token={token} label="Customer" />
            ) : (
              <span className="muted small">Browsing as a guest</span>
            )}
          </div>
          <label className="field">
            <span>Search the catalog</span>
            <input
              type="search"
              placeholder="Search by title, code or barcode"
              value={search}
              onChange={(e) => setSearch(e.target.value)}
            />
          </label>
        </section>
        <Catalog query={query} inCart={inCart} productsInCart={productsInCart} onAdd={add} onAddProduct={addProduct} />
      </div>
      <aside className="shop-side stack" id="cart">
        <Cart
          cart={cart}
          products={products}
          token={token}
          setQty={setQty}
          setProductQty={setProductQty}
          onPlaced={(result) => {
            setPlaced({ orderId: result.order.id, payment: result.payment });
            setCart([]);
            setProducts([]);
            window.scrollTo({ top: 0, behavior: "smooth" });
          }}
        />
      </aside>
      {units > 0 && (
        <a className="cart-fab" href="#cart">
          Cart · {units}
        </a>
      )}
    </div>
  );
}

/** "from ₹109 · 5 sellers", or one price when every offer asks the same. */
function priceRange(p: CatalogProduct): string {
  const price =
    p.minPrice.amountMinor === p.maxPrice.amountMinor ? formatMoney(p.minPrice) : `from ${formatMoney(p.minPrice)}`;
  return `${price} · ${p.sellers} seller${p.sellers === 1 ? "" : "s"}`;
}

/**
 * A product whose offers are not one item comes in variants (sizes, colours: each its own SKU). A
 * line by productId names no variant, and checkout refuses one for such a product (422), so the
 * shopper picks an offer, which the cart sends by skuId.
 */
const variants = (p: CatalogProduct) => !p.oneItem;

/** The storefront's products, one card each; a card opens its sellers' offers. */
function Catalog({
  query,
  inCart,
  productsInCart,
  onAdd,
  onAddProduct,
}: {
  query: string;
  inCart: Map<string, number>;
  productsInCart: Map<string, number>;
  onAdd: (sku: CatalogSku) => void;
  onAddProduct: (product: CatalogProduct) => void;
}) {
  const [cursor, setCursor] = useState<string | null>(null);
  const [items, setItems] = useState<CatalogProduct[]>([]);
  const [open, setOpen] = useState<string | null>(null);
  // A new search starts from the first page again.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset on query change only.
  useEffect(() => {
    setCursor(null);
    setItems([]);
  }, [query]);
  const page = useApi((signal) => api.catalogProducts({ search: query, limit: 48, cursor }, signal), [query, cursor]);
  const { data, stale } = page;
  useEffect(() => {
    setItems((prev) => catalogShown(prev, { data, stale }, cursor));
  }, [data, stale, cursor]);

  return (
    <section className="stack">
      <ProblemBanner error={page.error} />
      <div className="row between">
        <span className="muted small">
          {items.length > 0
            ? `${items.length}${page.data?.nextCursor ? "+" : ""} item${items.length === 1 && !page.data?.nextCursor ? "" : "s"}`
            : ""}
        </span>
        <UpdatedAt at={page.loadedAt} loading={page.loading} />
      </div>
      {!page.loading && !page.error && items.length === 0 && (
        <p className="card muted">{query ? `Nothing matches “${query}”.` : "The catalog is empty."}</p>
      )}
      <ul className="sku-grid">
        {items.map((p) => (
          <li key={p.productId} className="card sku product-card">
            {p.images[0] && (
              <img
                className="product-photo"
                src={p.images[0].medium}
                srcSet={`${p.images[0].thumb} 200w, ${p.images[0].medium} 800w`}
                sizes="(max-width: 600px) 100vw, 240px"
                alt={p.title}
                loading="lazy"
              />
            )}
            <div className="sku-title">{p.title}</div>
            <div className="muted small price-range">{priceRange(p)}</div>
            <div className="sku-foot">
              <div className="muted small">{p.available > 0 ? `${p.available} available` : "Out of stock"}</div>
              <div className="row">
                <button
                  type="button"
                  className="button"
                  aria-expanded={open === p.productId}
                  onClick={() => setOpen((o) => (o === p.productId ? null : p.productId))}
                  aria-label={`Offers for ${p.title}`}
                >
                  Offers
                </button>
                {variants(p) ? (
                  <button
                    type="button"
                    className="button primary"
                    disabled={p.available <= 0}
                    onClick={() => setOpen(p.productId)}
                    aria-label={`Choose a variant of ${p.title}`}
                    title="Comes in several variants: pick one from the offers"
                  >
                    Choose
                  </button>
                ) : (
                  <AddProduct product={p} held={productsInCart.get(p.productId) ?? 0} onAdd={onAddProduct} />
                )}
              </div>
            </div>
            {open === p.productId && <Offers product={p} inCart={inCart} onAdd={onAdd} />}
          </li>
        ))}
      </ul>
      {page.data?.nextCursor && (
        <button
          type="button"
          className="button"
          disabled={page.loading}
          onClick={() => setCursor(page.data?.nextCursor ?? null)}
        >
          More results
        </button>
      )}
    </section>
  );
}

/** A product's Add, best seller: up to what it has available, as an offer's Add is. */
function AddProduct({
  product,
  held,
  onAdd,
}: {
  product: CatalogProduct;
  held: number;
  onAdd: (product: CatalogProduct) => void;
}) {
  return (
    <button
      type="button"
      className="button primary"
      disabled={product.available - held <= 0 || held >= MAX_QTY}
      onClick={() => onAdd(product)}
      aria-label={`Add ${product.title} to cart, best seller`}
      title="We pick the seller that can deliver soonest"
    >
      {held > 0 ? `Add (${held})` : "Add"}
    </button>
  );
}

/** One seller's offer of a product, its count live while on screen; Add goes by that count. */
function Offer({
  sku,
  held,
  onAdd,
  stale,
}: {
  sku: CatalogSku;
  held: number;
  onAdd: (sku: CatalogSku) => void;
  stale: () => void;
}) {
  const { ref, available, updatedAt } = useLiveAvailable(sku.skuId, sku.available, stale);
  return (
    <li ref={ref} className="offer-row">
      <div className="offer-text">
        <strong>{sku.vendorName}</strong>
        <span className="muted small">{sku.title}</span>
      </div>
      <div className="offer-buy">
        <span className="money">{formatMoney(sku.price)}</span>
        <AvailableCount available={available} updatedAt={updatedAt} />
        <button
          type="button"
          className="button small"
          disabled={available - held <= 0 || held >= MAX_QTY}
          onClick={() => onAdd({ ...sku, available })}
          aria-label={`Add ${sku.title} from ${sku.vendorName} to cart`}
        >
          {held > 0 ? `Add (${held})` : "Add"}
        </button>
      </div>
    </li>
  );
}

/** Each seller's offer of one product: its price and live availability, to add by hand. */
function Offers({
  product,
  inCart,
  onAdd,
}: {
  product: CatalogProduct;
  inCart: Map<string, number>;
  onAdd: (sku: CatalogSku) => void;
}) {
  const offers = useApi(
    (signal) => api.catalog({ productId: product.productId, limit: 100 }, signal),
    [product.productId],
  );
  return (
    <div className="offers stack">
      <ProblemBanner error={offers.error} />
      {offers.loading && !offers.data && <p className="muted small">Loading offers…</p>}
      <ul className="plain">
        {offers.data?.items.map((sku) => (
          <Offer key={sku.skuId} sku={sku} held={inCart.get(sku.skuId) ?? 0} onAdd={onAdd} stale={offers.reload} />
        ))}
      </ul>
    </div>
  );
}

/** The cart as shown: one shipment per vendor, in the order each vendor first came into the cart. */
export function vendorGroups(cart: readonly CartLine[]) {
  const groups = new Map<string, { vendorId: string; label: string; lines: CartLine[] }>();
  for (const l of cart) {
    const g = groups.get(l.sku.vendorId) ?? { vendorId: l.sku.vendorId, label: l.sku.vendorName, lines: [] };
    g.lines.push(l);
    groups.set(l.sku.vendorId, g);
  }
  return [...groups.values()];
}

/**
 * The checkout's lines in the order the cart shows them (by vendor, then the lines by product),
 * each with its title: a problem names a line by its place in the request, which must be the
 * shopper's place on screen.
 */
export function checkoutLines(cart: readonly CartLine[], products: readonly ProductLine[]) {
  return [
    ...vendorGroups(cart).flatMap((g) =>
      g.lines.map((l) => ({ title: l.sku.title, line: { skuId: l.sku.skuId, qty: l.qty } })),
    ),
    ...products.map((l) => ({ title: l.product.title, line: { productId: l.product.productId, qty: l.qty } })),
  ];
}

function Cart({
  cart,
  products,
  token,
  setQty,
  setProductQty,
  onPlaced,
}: {
  cart: CartLine[];
  products: ProductLine[];
  token: string | null;
  setQty: (skuId: string, qty: number) => void;
  setProductQty: (productId: string, qty: number) => void;
  onPlaced: (r: CheckoutResult) => void;
}) {
  const [shipTo, setShipTo] = useState<ShipToForm>(() =>
    load<ShipToForm>(SHIP_KEY, { name: "", line1: "", city: "", postalCode: "" }),
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // The submitted cart, in the words its problem is shown in.
  const [errorCart, setErrorCart] = useState<CartWords | undefined>(undefined);
  const [showSignIn, setShowSignIn] = useState(false);
  // One key per cart submission: a retry of the same cart (after a timeout, say) reuses it, so the
  // server answers with the first order instead of placing a second; any change to the cart makes a
  // new one. Kept with the cart, so a retry after a reload of the page is the same submission too.
  const [submission, setSubmission] = useState<{ key: string; signature: string } | null>(() =>
    load<{ key: string; signature: string } | null>(SUBMISSION_KEY, null),
  );

  useEffect(() => save(SHIP_KEY, shipTo), [shipTo]);
  useEffect(() => save(SUBMISSION_KEY, submission), [submission]);

  const byVendor = useMemo(() => vendorGroups(cart), [cart]);

  const currency = cart[0]?.sku.price.currency ?? products[0]?.product.minPrice.currency ?? "INR";
  const total = cartTotalLabel(cart, products);
  const empty = cart.length === 0 && products.length === 0;

  const checkout = async (e: FormEvent) => {
    e.preventDefault();
    if (empty || busy) return;
    setBusy(true);
    setError(null);
    try {
      const lines = checkoutLines(cart, products);
      setErrorCart({ lineTitles: lines.map((l) => l.title), postalCode: shipTo.postalCode.trim() });
      const body = {
        lines: lines.map((l) => l.line),
        shipTo: {
          name: shipTo.name.trim(),
          address: {
            line1: shipTo.line1.trim(),
            city: shipTo.city.trim(),
            postalCode: shipTo.postalCode.trim(),
            country: "IN",
          },
        },
      };
      let shopper = token;
      const newGuest = async () => {
        const guest = await api.createCustomer({ name: body.shipTo.name || "Guest" });
        setToken("storefront", guest.token);
        shopper = guest.token;
        return guest.token;
      };
      const place = async (key: string) => {
        try {
          return await api.checkout(shopper ?? (await newGuest()), body, key);
        } catch (err) {
          // A kept token the API no longer takes (a guest's lapses a day after a sign-up that never
          // ordered, or 30 days after its last order closed): shop on as a new guest, not stuck on a 401.
          // Keys are scoped to the caller, so the same key is a first attempt for the new guest.
          if (!(shopper && shopper === token && err instanceof ApiProblem && err.status === 401)) throw err;
          return await api.checkout(await newGuest(), body, key);
        }
      };
      const signature = JSON.stringify(body);
      const again = submission?.signature === signature;
      const key = again ? submission.key : newIdempotencyKey();
      setSubmission({ key, signature });
      let result: CheckoutResult;
      try {
        result = await place(key);
      } catch (err) {
        // This very cart refused under its own key: an earlier try holds it planned another way
        // (README, "Checkout"), dead or still running. The key is dropped, so the next press is a
        // new order; placing it at once could make a second order of a try still running.
        if (!(err instanceof ApiProblem && err.code === "IDEMPOTENCY_KEY_REUSED")) throw err;
        setSubmission(null);
        throw new Error(
          "An earlier try of this cart is still being held. Check My orders; if the order is not there, place it again.",
        );
      }
      // The same cart pressed again is answered with the order its key placed: if that one was
      // cancelled since (its payment never came in time), the cart stays, and the next press is a
      // new order.
      if (again && shopper && (await api.order(shopper, result.order.id)).status === "cancelled") {
        setSubmission(null);
        throw new Error(
          `This cart's earlier order ${result.order.id} was cancelled before it was paid. Place it again for a new order.`,
        );
      }
      setSubmission(null);
      onPlaced(result);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const field = (k: keyof ShipToForm) => ({
    value: shipTo[k],
    onChange: (e: ChangeEvent<HTMLInputElement>) => setShipTo((s) => ({ ...s, [k]: e.target.value })),
  });

  return (
    <section className="card stack">
      <h2>Cart</h2>
      {empty && <p className="muted">Your cart is empty.</p>}
      {byVendor.map((g) => (
        <div key={g.vendorId} className="vendor-group">
          <div className="vendor-head">
            <div className="grow">
              <div className="muted small">Shipment from</div>
              <code className="vendor-id" title={g.label}>
                {g.label}
              </code>
            </div>
            <span className="money">
              {formatMoney({
                amountMinor: g.lines.reduce((s, l) => s + lineTotal(l).amountMinor, 0),
                currency,
              })}
            </span>
          </div>
          <ul className="cart-lines">
            {g.lines.map((l) => (
              <CartLine
                key={l.sku.skuId}
                title={l.sku.title}
                qty={l.qty}
                max={Math.min(l.sku.available, MAX_QTY)}
                setQty={(qty) => setQty(l.sku.skuId, qty)}
                price={formatMoney(lineTotal(l))}
              />
            ))}
          </ul>
        </div>
      ))}
      {products.length > 0 && (
        <div className="vendor-group">
          <div className="vendor-head">
            <div className="grow">
              <div className="muted small">Seller picked at checkout</div>
              <span>The one that can deliver soonest</span>
            </div>
          </div>
          <ul className="cart-lines">
            {products.map((l) => (
              <CartLine
                key={l.product.productId}
                title={l.product.title}
                qty={l.qty}
                max={Math.min(l.product.available, MAX_QTY)}
                setQty={(qty) => setProductQty(l.product.productId, qty)}
                price={`from ${formatMoney({ amountMinor: l.product.minPrice.amountMinor * l.qty, currency })}`}
              />
            ))}
          </ul>
        </div>
      )}
      {!empty && (
        <>
          <div className="row between total-row">
            <span>
              {byVendor.length === 1 && products.length === 0
                ? "1 shipment"
                : products.length > 0
                  ? "Shipments per seller, once routing picks"
                  : `${byVendor.length} shipments, one per vendor`}
            </span>
            <strong className="money">{total}</strong>
          </div>
          <p className="muted small">
            Shipping is worked out at checkout{products.length > 0 ? ", and the seller it picks may ask more" : ""}: the
            order shows what is charged.
          </p>
          <form className="stack" onSubmit={checkout}>
            <h3>Ship to</h3>
            <label className="field">
              <span>Name</span>
              <input required autoComplete="name" maxLength={120} {...field("name")} />
            </label>
            <label className="field">
              <span>Address</span>
              <input required autoComplete="address-line1" maxLength={200} {...field("line1")} />
            </label>
            <div className="row gap">
              <label className="field grow">
                <span>City</span>
                <input required autoComplete="address-level2" maxLength={100} {...field("city")} />
              </label>
              <label className="field pin">
                <span>PIN code</span>
                <input
                  required
                  autoComplete="postal-code"
                  inputMode="numeric"
                  minLength={2}
                  maxLength={12}
                  {...field("postalCode")}
                />
              </label>
            </div>
            <p className="muted small">Country: India</p>
            <ProblemBanner error={error} cart={errorCart} onDismiss={() => setError(null)} />
            <button type="submit" className="button primary" disabled={busy}>
              {busy ? "Placing order…" : `Place order · ${total}`}
            </button>
            {!token && (
              <p className="muted small">
                You will check out as a new guest.{" "}
                <button type="button" className="link-button" onClick={() => setShowSignIn((v) => !v)}>
                  Have a customer token?
                </button>
              </p>
            )}
          </form>
          {!token && showSignIn && <SignIn slot="storefront" who="a customer" />}
        </>
      )}
    </section>
  );
}

// Kept here too for the storefront's tests: it was the storefront's before My orders needed it.
export { holdExpired };

function PlacedOrder({
  placed,
  token,
  onClose,
}: {
  placed: { orderId: string; payment: CheckoutResult["payment"] };
  token: string | null;
  onClose: () => void;
}) {
  const order = useApi<OrderView>(token ? (signal) => api.order(token, placed.orderId, signal) : null, [
    token,
    placed.orderId,
  ]);

  const unpaid = order.data ? order.data.paymentStatus === "unpaid" && order.data.status === "pending_payment" : true;
  const notFound = order.error instanceof ApiProblem && order.error.status === 404;
  const expired = useHoldExpired(placed.payment.holdExpiresAt);

  return (
    <section className="card stack placed">
      <div className="row between">
        <h2>Your order</h2>
        <button type="button" className="link-button" onClick={onClose}>
          Close
        </button>
      </div>
      {!token && <p className="muted">Sign in as the customer who placed it to see this order.</p>}
      {notFound && <p className="muted">This order is not visible to the signed-in customer.</p>}
      {!notFound && <ProblemBanner error={order.error} />}
      {unpaid && token && !notFound && (
        <div className="pay-box stack">
          <div className="row between wrap">
            <span>
              Payment <code>{placed.payment.id}</code>
            </span>
            <Status value={placed.payment.status} />
          </div>
          {expired ? (
            <p role="alert" className="small">
              This order's hold has expired: place it again.
            </p>
          ) : (
            <p className="muted small">Stock is held for you until {formatTime(placed.payment.holdExpiresAt)}.</p>
          )}
          <Pay payment={placed.payment} token={token} order={order} expired={expired} />
        </div>
      )}
      <div className="row between">
        <UpdatedAt at={order.loadedAt} loading={order.loading} />
        {token && (
          <button type="button" className="button" onClick={order.reload} disabled={order.loading}>
            Refresh
          </button>
        )}
      </div>
      {order.data && <OrderDetail order={order.data} />}
    </section>
  );
}

/** How this server takes the payment: the simulator in development without keys, else Stripe. */
function Pay({
  payment,
  token,
  order,
  expired,
}: {
  payment: CheckoutResult["payment"];
  token: string;
  order: Loadable<OrderView>;
  expired: boolean;
}) {
  const [paying, setPaying] = useState(false);
  const [payError, setPayError] = useState<unknown>(null);

  const simulate = async () => {
    if (holdExpired(payment.holdExpiresAt, Date.now())) return;
    setPaying(true);
    setPayError(null);
    try {
      await api.simulatePayment(token, payment.id, "succeeded");
    } catch (err) {
      setPayError(err);
    } finally {
      setPaying(false);
      order.reload();
    }
  };

  if (payment.provider === "simulated") {
    return (
      <>
        <button type="button" className="button primary" onClick={simulate} disabled={paying || expired}>
          {paying ? "Paying…" : "Pay now (simulated)"}
        </button>
        <ProblemBanner error={payError} onDismiss={() => setPayError(null)} />
      </>
    );
  }
  if (!payment.clientSecret || !payment.publishableKey) {
    return (
      <p className="muted small">
        Payments go through Stripe, but this server has no publishable key (STRIPE_PUBLISHABLE_KEY) for the payment
        form.
      </p>
    );
  }
  return (
    <StripePayment
      payment={{ id: payment.id, clientSecret: payment.clientSecret, publishableKey: payment.publishableKey }}
      order={order.data}
      reload={order.reload}
      closed={expired}
      holdExpiresAt={payment.holdExpiresAt}
    />
  );
}

/** One cart line: its title, one less or one more (up to what is available), and its price. */
function CartLine(props: { title: string; qty: number; max: number; setQty: (qty: number) => void; price: string }) {
  const { title, qty, max, setQty, price } = props;
  return (
    <li>
      <span className="cart-title">{title}</span>
      <span className="qty">
        <button type="button" className="button small" onClick={() => setQty(qty - 1)} aria-label={`One less ${title}`}>
          −
        </button>
        <span aria-live="polite">{qty}</span>
        <button
          type="button"
          className="button small"
          onClick={() => setQty(qty + 1)}
          disabled={qty >= max}
          aria-label={`One more ${title}`}
        >
          +
        </button>
      </span>
      <span className="money">{price}</span>
    </li>
  );
}
