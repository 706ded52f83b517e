import { CreateWarehouse } from "@contracts/catalog";

export type WarehouseForm = { name: string; postalCode: string; country: string };

export const EMPTY_WAREHOUSE: WarehouseForm = { name: "", postalCode: "", country: "IN" };

/** What the API would refuse in a new warehouse, checked with its own schema; null when it is fine. */
export function warehouseIssues(form: WarehouseForm): string[] | null {
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
