import { CreateWarehouse } from "@contracts/catalog";
import { type FormEvent, useState } from "react";
import { api, newIdempotencyKey } from "../api";

/** As typed: the coordinates are text until sent, and empty when the postal code is to place the warehouse. */
export type WarehouseForm = { name: string; postalCode: string; country: string; lat: string; lng: string };

export const EMPTY_WAREHOUSE: WarehouseForm = { name: "", postalCode: "", country: "IN", lat: "", lng: "" };

export type WarehouseBody = { name: string; postalCode: string; country: string; lat?: number; lng?: number };

/**
 * The new warehouse as the API takes it: coordinates only when typed. Without them the API places
 * the warehouse by its postal code, and refuses (422) one not in its postal-code table.
 */
export function warehouseBody(form: WarehouseForm): WarehouseBody {
  // An unreadable number stays NaN, which the schema refuses with the field's name.
  const coordinate = (text: string) => (text.trim() === "" ? {} : { value: Number(text.trim()) });
  const lat = coordinate(form.lat);
  const lng = coordinate(form.lng);
  return {
    name: form.name,
    postalCode: form.postalCode,
    country: form.country,
    ...("value" in lat ? { lat: lat.value } : {}),
    ...("value" in lng ? { lng: lng.value } : {}),
  };
}

/** What the API would refuse in a new warehouse, checked with its own schema; null when it is fine. */
export function warehouseIssues(form: WarehouseForm): string[] | null {
  const r = CreateWarehouse.safeParse(warehouseBody(form));
  return r.success ? null : r.error.issues.map((i) => `${i.path.join(".") || "form"}: ${i.message}`);
}

/** A new warehouse's name and place, inside the caller's form (the onboarding step's, or the Warehouses tab's). */
export function WarehouseFields({ form, onChange }: { form: WarehouseForm; onChange: (f: WarehouseForm) => void }) {
  const [located, setLocated] = useState<string | null>(null);
  const locate = () => {
    setLocated("Finding this device's location…");
    navigator.geolocation.getCurrentPosition(
      (p) => {
        setLocated(null);
        onChange({ ...form, lat: p.coords.latitude.toFixed(6), lng: p.coords.longitude.toFixed(6) });
      },
      (err) => setLocated(`No location from this device (${err.message || "refused"}): type it instead.`),
    );
  };
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
      <p className="muted small">
        Latitude and longitude are optional: needed when the postal code is not known to the marketplace, which then
        says so.
      </p>
      <div className="row wrap">
        <label className="field inline">
          <span>Latitude (optional)</span>
          <input
            inputMode="decimal"
            placeholder="18.5204"
            value={form.lat}
            onChange={(e) => onChange({ ...form, lat: e.target.value })}
          />
        </label>
        <label className="field inline">
          <span>Longitude (optional)</span>
          <input
            inputMode="decimal"
            placeholder="73.8567"
            value={form.lng}
            onChange={(e) => onChange({ ...form, lng: e.target.value })}
          />
        </label>
        {typeof navigator !== "undefined" && "geolocation" in navigator && (
          <button type="button" className="button" onClick={locate}>
            Use this device's location
          </button>
        )}
      </div>
      {located && <p className="muted small">{located}</p>}
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
      await api.createWarehouse(token, vendorId, warehouseBody(form), key);
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
