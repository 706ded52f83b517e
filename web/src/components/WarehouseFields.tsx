import { CreateWarehouse } from "@contracts/catalog";
import { type FormEvent, useState } from "react";
import { api, newIdempotencyKey } from "../api";

export type WarehouseForm = { name: string; postalCode: string; country: string };

export const EMPTY_WAREHOUSE: WarehouseForm = { name: "", postalCode: "", country: "IN" };

/** What the API would refuse in a new warehouse, checked with its own schema; null when it is fine. */
function warehouseIssues(form: WarehouseForm): string[] | null {
  const r = CreateWarehouse.safeParse(form);
  return r.success ? null : r.error.issues.map((i) => `${i.path.join(".") || "form"}: ${i.message}`);
}

/** A new warehouse's name and place, inside the caller's form (the onboarding step's, or the Warehouses tab's). */
export function WarehouseFields({ form, onChange }: { form: WarehouseForm; onChange: (f: WarehouseForm) => void }) {
  return (
    <>
      <label className="field">
        <span>Warehouse name</span>
        <input value={form.name} onChange={(e) => onChange({ ...form, name: e.target.value })} />
      </label>
      <label className="field">
        <span>Postal code</span>
        <input value={form.postalCode} onChange={(e) => onChange({ ...form, postalCode: e.target.value })} />
      </label>
      <label className="field">
        <span>Country</span>
        <input
          value={form.country}
          maxLength={2}
          onChange={(e) => onChange({ ...form, country: e.target.value.toUpperCase() })}
        />
      </label>
    </>
  );
}

/**
 * Adding a warehouse from a form: checked before sending, one request at a time, and under one
 * Idempotency-Key per form as filled in, so a double tap or a retry after a lost answer adds it once.
 */
export function useAddWarehouse(token: string, vendorId: string, added: () => void) {
  const [form, setFormState] = useState(EMPTY_WAREHOUSE);
  const [key, setKey] = useState(newIdempotencyKey);
  const [issues, setIssues] = useState<string[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const setForm = (f: WarehouseForm) => {
    setFormState(f);
    setKey(newIdempotencyKey());
  };
  const add = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setError(null);
    const bad = warehouseIssues(form);
    setIssues(bad);
    if (bad) return;
    setBusy(true);
    try {
      await api.createWarehouse(token, vendorId, form, key);
      setForm({ ...EMPTY_WAREHOUSE, country: form.country });
      added();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return { form, setForm, issues, error, busy, add };
}
