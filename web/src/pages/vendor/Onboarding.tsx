import { CreateProduct, CreateSku } from "@contracts/catalog";
import { ONBOARDING_STEPS, type OnboardingStep, SaveStep } from "@contracts/onboarding";
import { type FormEvent, type ReactNode, useRef, useState } from "react";
import { api, newIdempotencyKey } from "../../api";
import { Invalid } from "../../components/Invalid";
import { ProblemBanner } from "../../components/ProblemBanner";
import { useAddWarehouse, WarehouseFields } from "../../components/WarehouseFields";
import { formatMoney, formatTime, humanize, parseMoney } from "../../format";
import { Link } from "../../router";
import type { Onboarding as OnboardingView, SaveStep as SaveStepBody } from "../../types";
import { useApi } from "../../use-api";
import { Payouts } from "./Payouts";

const TITLES: Record<OnboardingStep, string> = {
  profile: "Business profile",
  contacts: "Contacts",
  warehouses: "Warehouses",
  payout: "Payout account",
  products: "First products",
  review: "Review and submit",
};

type Save = (body: SaveStepBody) => Promise<void>;

/** Checks a body against the API's own schema before sending it, so the wizard says what the API would. */
function invalid(
  schema: {
    safeParse(v: unknown): { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } };
  },
  value: unknown,
) {
  const r = schema.safeParse(value);
  return r.success ? null : (r.error?.issues ?? []).map((i) => `${i.path.join(".") || "form"}: ${i.message}`);
}

/**
 * The onboarding wizard: each step saves on the server as it is left, and the wizard opens at the
 * step after the last one saved, on whichever device the vendor signs in next.
 */
export function OnboardingWizard({
  token,
  vendorId,
  currency,
  asked,
}: {
  token: string;
  vendorId: string;
  currency: string;
  /** Bumped while the vendor waits on ops' decision (the app asks now and then): read it again. */
  asked: number;
}) {
  const [tick, setTick] = useState(0);
  const ob = useApi((signal) => api.onboarding(token, vendorId, signal), [token, vendorId], `${tick}:${asked}`);
  const [viewing, setViewing] = useState<OnboardingStep | null>(null);
  const [error, setError] = useState<unknown>(null);
  const data = ob.data;
  if (!data) return <ProblemBanner error={ob.error} />;
  const step = viewing ?? data.step;
  const reached = ONBOARDING_STEPS.indexOf(data.step);
  const save: Save = async (body) => {
    setError(null);
    try {
      await api.saveOnboardingStep(token, vendorId, body);
      setViewing(null);
      setTick((t) => t + 1);
    } catch (err) {
      setError(err);
    }
  };
  const editable = data.state === "draft" || data.state === "rejected";
  return (
    <section className="stack onboarding">
      <h2>Set up your shop</h2>
      <StateBanner ob={data} />
      <ol className="tabs row wrap" aria-label="Onboarding steps">
        {ONBOARDING_STEPS.map((s, i) => (
          <li key={s}>
            <button
              type="button"
              className={s === step ? "tab active" : "tab"}
              aria-current={s === step ? "step" : undefined}
              disabled={i > reached}
              onClick={() => setViewing(s)}
            >
              {i + 1}. {TITLES[s]}
            </button>
          </li>
        ))}
      </ol>
      <ProblemBanner error={error} onDismiss={() => setError(null)} />
      {editable || step === "review" ? (
        <StepForm
          step={step}
          ob={data}
          token={token}
          currency={currency}
          save={save}
          submitted={() => setTick((t) => t + 1)}
        />
      ) : null}
    </section>
  );
}

function StateBanner({ ob }: { ob: OnboardingView }) {
  if (ob.state === "submitted") {
    return (
      <p className="notice" role="status">
        Submitted {ob.submittedAt && formatTime(ob.submittedAt)}: ops are reviewing your shop.
      </p>
    );
  }
  if (ob.state === "rejected") {
    return (
      <p className="notice" role="status">
        Ops sent your shop back: <strong>{ob.rejectReason}</strong>. Change what they ask and submit again.
      </p>
    );
  }
  if (ob.state === "approved") {
    return (
      <p className="notice" role="status">
        Approved: your offers are live. <Link to="/vendor">Go to orders</Link>
      </p>
    );
  }
  return null;
}

function StepForm(props: {
  step: OnboardingStep;
  ob: OnboardingView;
  token: string;
  currency: string;
  save: Save;
  submitted: () => void;
}) {
  const { step, ob, token, currency, save } = props;
  switch (step) {
    case "profile":
      return <ProfileStep ob={ob} save={save} />;
    case "contacts":
      return <ContactsStep ob={ob} save={save} />;
    case "warehouses":
      return <WarehousesStep ob={ob} token={token} save={save} />;
    case "payout":
      return <PayoutStep ob={ob} token={token} save={save} />;
    case "products":
      return <ProductsStep ob={ob} token={token} save={save} currency={currency} />;
    case "review":
      return <ReviewStep ob={ob} token={token} submitted={props.submitted} />;
  }
}

function StepCard({
  title,
  children,
  onSubmit,
}: {
  title: string;
  children: ReactNode;
  onSubmit: (e: FormEvent) => void;
}) {
  return (
    <form className="card stack" onSubmit={onSubmit} aria-label={title}>
      <h3>{title}</h3>
      {children}
    </form>
  );
}

/** Saves a step's body once the API's schema accepts it here too. */
function useStepSave(save: Save) {
  const [issues, setIssues] = useState<string[] | null>(null);
  const submit = (body: SaveStepBody) => (e: FormEvent) => {
    e.preventDefault();
    const bad = invalid(SaveStep, body);
    setIssues(bad);
    if (!bad) void save(body);
  };
  return { issues, submit };
}

function ProfileStep({ ob, save }: { ob: OnboardingView; save: Save }) {
  const [name, setName] = useState(ob.name);
  const { issues, submit } = useStepSave(save);
  return (
    <StepCard title={TITLES.profile} onSubmit={submit({ step: "profile", name })}>
      <label className="field">
        <span>Business name</span>
        <input value={name} onChange={(e) => setName(e.target.value)} autoComplete="organization" />
      </label>
      <Invalid issues={issues} />
      <button type="submit" className="button primary">
        Save and continue
      </button>
    </StepCard>
  );
}

function ContactsStep({ ob, save }: { ob: OnboardingView; save: Save }) {
  const [contactEmail, setEmail] = useState(ob.contactEmail ?? "");
  const [contactPhone, setPhone] = useState(ob.contactPhone ?? "");
  const { issues, submit } = useStepSave(save);
  const body: SaveStepBody = { step: "contacts", contactEmail, ...(contactPhone ? { contactPhone } : {}) };
  return (
    <StepCard title={TITLES.contacts} onSubmit={submit(body)}>
      <label className="field">
        <span>Contact email</span>
        <input type="email" value={contactEmail} onChange={(e) => setEmail(e.target.value)} autoComplete="email" />
      </label>
      <label className="field">
        <span>WhatsApp number (optional)</span>
        <input type="tel" value={contactPhone} onChange={(e) => setPhone(e.target.value)} autoComplete="tel" />
      </label>
      <Invalid issues={issues} />
      <button type="submit" className="button primary">
        Save and continue
      </button>
    </StepCard>
  );
}

function WarehousesStep({ ob, token, save }: { ob: OnboardingView; token: string; save: Save }) {
  const list = useApi((signal) => api.warehouses(token, ob.vendorId, signal), [token, ob.vendorId]);
  const { form, setForm, issues, error, busy, add } = useAddWarehouse(token, ob.vendorId, list.reload);
  const count = list.data?.items.length ?? 0;
  return (
    <StepCard title={TITLES.warehouses} onSubmit={add}>
      <p className="muted small">Where you ship from. The postal code places the warehouse for routing.</p>
      <ul>
        {list.data?.items.map((w) => (
          <li key={w.id}>
            {w.name} · {w.postalCode} {w.country}
          </li>
        ))}
      </ul>
      <WarehouseFields form={form} onChange={setForm} />
      <Invalid issues={issues} />
      <ProblemBanner error={error} />
      <div className="row wrap">
        <button type="submit" className="button" disabled={busy}>
          Add warehouse
        </button>
        <button
          type="button"
          className="button primary"
          disabled={count === 0}
          onClick={() => void save({ step: "warehouses" })}
        >
          Save and continue
        </button>
      </div>
      {count === 0 && <p className="muted small">Add at least one warehouse to continue.</p>}
    </StepCard>
  );
}

/**
 * Payouts need the vendor's connected account at the payout provider: the same set-up as the
 * vendor app's Payouts tab (its onboarding link returns there). Optional here: a vendor may finish
 * the wizard first, and earnings accrue until the account is ready.
 */
function PayoutStep({ ob, token, save }: { ob: OnboardingView; token: string; save: Save }) {
  return (
    <StepCard
      title={TITLES.payout}
      onSubmit={(e) => {
        e.preventDefault();
        void save({ step: "payout" });
      }}
    >
      <Payouts token={token} vendorId={ob.vendorId} />
      <p className="muted small">You can set this up later from the Payouts tab; earnings wait for it.</p>
      <button type="submit" className="button primary">
        Continue
      </button>
    </StepCard>
  );
}

type ProductForm = { title: string; code: string; price: string; barcode: string };
type ProductKeys = { product: string; sku: string };

export const newProductKeys = (): ProductKeys => ({ product: newIdempotencyKey(), sku: newIdempotencyKey() });

/**
 * The Idempotency-Keys after one field of a first product is changed: a retry after a lost answer
 * goes under the same keys, so the server replays it (README "Idempotency keys") rather than make a
 * second product, or refuse the SKU it made as a code already taken; a changed field is another
 * request, under a new key. The product is its title alone; the SKU is every field.
 */
export function keysAfterEdit(keys: ProductKeys, field: keyof ProductForm): ProductKeys {
  return { product: field === "title" ? newIdempotencyKey() : keys.product, sku: newIdempotencyKey() };
}

function ProductsStep({
  ob,
  token,
  save,
  currency,
}: {
  ob: OnboardingView;
  token: string;
  save: Save;
  currency: string;
}) {
  const skus = useApi((signal) => api.skus(token, ob.vendorId, signal), [token, ob.vendorId]);
  const empty: ProductForm = { title: "", code: "", price: "", barcode: "" };
  const [form, setForm] = useState(empty);
  const [keys, setKeys] = useState(newProductKeys);
  const edit = (field: keyof ProductForm, value: string) => {
    setForm({ ...form, [field]: value });
    setKeys((k) => keysAfterEdit(k, field));
  };
  const [issues, setIssues] = useState<string[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // The product a refused SKU left made: the corrected SKU goes on it, rather than on another copy.
  const [made, setMade] = useState<{ title: string; id: string } | null>(null);
  const add = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setError(null);
    const price = parseMoney(form.price, currency);
    const bad = [
      ...(invalid(CreateProduct, { title: form.title }) ?? []),
      ...(invalid(CreateSku.pick({ code: true, title: true, barcode: true }), {
        code: form.code,
        title: form.title,
        barcode: form.barcode,
      }) ?? []),
      ...(price ? [] : [`price: an amount in ${currency}, such as 499 or 499.50`]),
    ];
    setIssues(bad.length > 0 ? bad : null);
    if (!price || bad.length > 0) return;
    setBusy(true);
    try {
      const productId =
        made?.title === form.title ? made.id : (await api.createProduct(token, { title: form.title }, keys.product)).id;
      setMade({ title: form.title, id: productId });
      await api.createSku(
        token,
        { vendorId: ob.vendorId, productId, code: form.code, title: form.title, price, barcode: form.barcode },
        keys.sku,
      );
      setMade(null);
      setForm(empty);
      setKeys(newProductKeys());
      skus.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const field = (key: keyof ProductForm, label: string, mode?: "decimal") => (
    <label className="field">
      <span>{label}</span>
      <input inputMode={mode} value={form[key]} onChange={(e) => edit(key, e.target.value)} />
    </label>
  );
  return (
    <StepCard title={TITLES.products} onSubmit={add}>
      <p className="muted small">
        Optional now: products can be added later too. They sell once ops approve your shop.
      </p>
      <ul>
        {skus.data?.items.map((s) => (
          <li key={s.id}>
            {s.title} · {s.code} · {formatMoney(s.price)}
          </li>
        ))}
      </ul>
      {field("title", "Product name")}
      {field("code", "SKU code")}
      {field("price", `Price (${currency})`, "decimal")}
      {field("barcode", "Barcode")}
      <Invalid issues={issues} />
      <ProblemBanner error={error} />
      <div className="row wrap">
        <button type="submit" className="button" disabled={busy}>
          Add product
        </button>
        <button type="button" className="button primary" onClick={() => void save({ step: "products" })}>
          Save and continue
        </button>
      </div>
    </StepCard>
  );
}

function ReviewStep({ ob, token, submitted }: { ob: OnboardingView; token: string; submitted: () => void }) {
  const [error, setError] = useState<unknown>(null);
  // One submission at a time: a double tap's second would be refused 409 (already submitted) and
  // leave its error under the first's success. The ref holds the tap a re-render has not disabled yet.
  const inFlight = useRef(false);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (inFlight.current) return;
    inFlight.current = true;
    setBusy(true);
    setError(null);
    try {
      await api.submitOnboarding(token, ob.vendorId);
      submitted();
    } catch (err) {
      setError(err);
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
  };
  const canSubmit = (ob.state === "draft" || ob.state === "rejected") && ob.missing.length === 0;
  return (
    <StepCard title={TITLES.review} onSubmit={submit}>
      <dl className="summary">
        <dt>Business</dt>
        <dd>{ob.name || "—"}</dd>
        <dt>Contact</dt>
        <dd>{[ob.contactEmail, ob.contactPhone].filter(Boolean).join(" · ") || "—"}</dd>
        <dt>Warehouses</dt>
        <dd>{ob.warehouses}</dd>
        <dt>Products</dt>
        <dd>{ob.products}</dd>
      </dl>
      {ob.missing.length > 0 && <p className="muted">Still needed: {ob.missing.map(humanize).join(", ")}.</p>}
      <ProblemBanner error={error} />
      {canSubmit && (
        <button type="submit" className="button primary" disabled={busy}>
          Submit for review
        </button>
      )}
    </StepCard>
  );
}
