export type BarcodeCount = { barcode: string; qty: number };

/**
 * Packing is proven by scanning one barcode per unit: the scans must be exactly the lines'
 * barcodes in their quantities. Returns what is missing and what does not belong.
 */
export function checkScans(expected: readonly BarcodeCount[], scanned: readonly string[]) {
  const want = new Map<string, number>();
  for (const e of expected) want.set(e.barcode, (want.get(e.barcode) ?? 0) + e.qty);
  const got = new Map<string, number>();
  for (const s of scanned) got.set(s, (got.get(s) ?? 0) + 1);
  const missing: BarcodeCount[] = [];
  const unexpected: BarcodeCount[] = [];
  for (const [barcode, qty] of want) {
    const n = got.get(barcode) ?? 0;
    if (n < qty) missing.push({ barcode, qty: qty - n });
  }
  for (const [barcode, qty] of got) {
    const n = want.get(barcode) ?? 0;
    if (qty > n) unexpected.push({ barcode, qty: qty - n });
  }
  return { ok: missing.length === 0 && unexpected.length === 0, missing, unexpected };
}
