import { env, SELF } from "cloudflare:test";
import { parse } from "csv-parse/sync";
import { extractText, getDocumentProxy } from "unpdf";
import { describe, expect, it } from "vitest";
import { MAX_PDF_ROWS } from "../../src/exports/analytics-reports";
import { ADMIN, uid } from "../support/api";
import { newVendor } from "../support/catalog";

const A4_WIDTH = 595.28;
const MARGIN = 40;

async function download(path: string) {
  return SELF.fetch(`https://oms.test${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
}

type Drawn = { str: string; right: number };

/** The PDF's text, and each run of text with where its right edge falls on the page. */
async function pdfOf(res: Response): Promise<{ text: string; drawn: Drawn[]; pages: number }> {
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("application/pdf");
  const doc = await getDocumentProxy(new Uint8Array(await res.arrayBuffer()));
  const drawn: Drawn[] = [];
  for (let n = 1; n <= doc.numPages; n++) {
    const content = await (await doc.getPage(n)).getTextContent();
    for (const item of content.items) {
      if (!("str" in item) || item.str.trim() === "") continue;
      drawn.push({ str: item.str, right: item.transform[4] + item.width });
    }
  }
  const { text } = await extractText(doc, { mergePages: true });
  return { text, drawn, pages: doc.numPages };
}

describe("a vendor's analytics PDFs", () => {
  it("title the report by its name and put a 120-character vendor name on a line of its own, inside the margin", async () => {
    const name = `Sri Lakshmi Venkateswara Handloom and Handicrafts Emporium ${uid()} `.padEnd(120, "W").slice(0, 120);
    expect(name).toHaveLength(120);
    const vendor = await newVendor({ name });
    const base = `/v1/analytics/vendors/${vendor.id}`;
    for (const [suffix, title] of [
      ["export", "Sales and payouts"],
      ["products/export", "Sales by product"],
      ["inventory/export", "Inventory"],
    ] as const) {
      const pdf = await pdfOf(await download(`${base}/${suffix}?format=pdf`));
      const past = pdf.drawn.filter((d) => d.right > A4_WIDTH - MARGIN + 0.5);
      expect(past).toEqual([]);
      expect(pdf.drawn[0]?.str).toBe(title);
      expect(pdf.text).toContain(`Vendor: ${name.slice(0, 40)}`);
    }
  });

  it("print at most MAX_PDF_ROWS SKUs or products, say how many were left out and point to the CSV", async () => {
    const count = MAX_PDF_ROWS + 7;
    const day = "2025-05-10";
    const stocked = await newVendor();
    const sold = await newVendor();
    const code = (i: number) => `S${String(i).padStart(5, "0")}`;
    const snapshot = env.DB.prepare(
      "insert into stock_snapshots (vendor_id, day, sku_id, warehouse_id, on_hand, available) values (?, ?, ?, 'wh', ?, ?)",
    );
    const sale = env.DB.prepare(
      "insert into rollup_sku_days (vendor_id, day, sku_id, product_id, units, sales_minor, returned_units) values (?, ?, ?, ?, ?, 100, 0)",
    );
    for (let at = 0; at < count; at += 500) {
      const ids = Array.from({ length: Math.min(500, count - at) }, (_, k) => at + k);
      await env.DB.batch(ids.map((i) => snapshot.bind(stocked.id, day, code(i), 10, 10)));
      // Units fall as i grows, so the table's order is the index's.
      await env.DB.batch(ids.map((i) => sale.bind(sold.id, day, code(i), `P${code(i)}`, count + 1 - i)));
    }

    const range = `from=${day}&to=${day}`;
    for (const [path, id] of [
      [`/v1/analytics/vendors/${stocked.id}/inventory/export`, code],
      [`/v1/analytics/vendors/${sold.id}/products/export`, (i: number) => `P${code(i)}`],
    ] as const) {
      const pdf = await pdfOf(await download(`${path}?format=pdf&${range}`));
      expect(pdf.text).toContain(id(MAX_PDF_ROWS - 1));
      expect(pdf.text).not.toContain(id(MAX_PDF_ROWS));
      expect(pdf.text.replace(/\s+/g, " ")).toContain(
        `The first ${MAX_PDF_ROWS} of ${count} rows, in the table's order; 7 more are left out here. The CSV export has every row.`,
      );
      expect(pdf.pages).toBeLessThanOrEqual(25);
      const csv = await download(`${path}?format=csv&${range}`);
      const rows: Record<string, string>[] = parse(await csv.text(), { columns: true, skip_empty_lines: true });
      expect(rows).toHaveLength(count);
    }
  });
});
