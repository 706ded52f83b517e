import fontkit from "@pdf-lib/fontkit";
import { PDFDocument, type PDFFont, type PDFPage, rgb } from "pdf-lib";
import { notoSansBold, notoSansRegular } from "./fonts/noto-sans";

/**
 * A report as a PDF: a title, headline figures, a bar chart, a table. Workers have no DOM or canvas,
 * so the chart is drawn with pdf-lib's own vector primitives (rectangles, lines, text), and the text
 * is set in an embedded Noto Sans that carries ₹ (the standard 14 PDF fonts have no rupee sign).
 */
export type PdfReport = {
  title: string;
  /** What the report covers and as of when, under the title. */
  lines: string[];
  figures: { label: string; value: string }[];
  chart?: { title: string; bars: { label: string; value: number }[]; format: (v: number) => string };
  table: { columns: { title: string; width: number; right?: boolean }[]; rows: string[][] };
  /** Said under the table (what was left out, and where to find it). */
  footnote?: string;
};

type Fonts = { regular: PDFFont; bold: PDFFont };

const A4 = { width: 595.28, height: 841.89 };
const MARGIN = 40;
const INK = rgb(0.12, 0.13, 0.16);
const MUTED = rgb(0.42, 0.45, 0.5);
const RULE = rgb(0.85, 0.87, 0.9);
const BAR = rgb(0.15, 0.39, 0.92);
const ROW_HEIGHT = 14;
const TABLE_SIZE = 8;

function fromBase64(b64: string): Uint8Array {
  return Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
}

/** `text` cut with an ellipsis to fit `width` at `size`. */
function clip(font: PDFFont, text: string, size: number, width: number): string {
  if (font.widthOfTextAtSize(text, size) <= width) return text;
  let cut = text;
  while (cut.length > 1 && font.widthOfTextAtSize(`${cut}…`, size) > width) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/**
 * A figure set smaller until it fits `width` (down to three quarters of `size`), then clipped: a
 * crore of rupees with its paise is wider than a column sized for the usual amounts, and a number
 * cut short reads as another number.
 */
function fitted(font: PDFFont, text: string, size: number, width: number): { text: string; size: number } {
  const natural = font.widthOfTextAtSize(text, size);
  const smaller = natural > width ? Math.max(size * 0.75, (size * width) / natural) : size;
  return { text: clip(font, text, smaller, width), size: smaller };
}

export async function renderPdf(report: PdfReport): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  pdf.registerFontkit(fontkit);
  pdf.setTitle(report.title);
  pdf.setProducer("edge-oms");
  // Already a small subset: pdf-lib's own subsetting would only add work.
  const fonts: Fonts = {
    regular: await pdf.embedFont(fromBase64(notoSansRegular), { subset: false }),
    bold: await pdf.embedFont(fromBase64(notoSansBold), { subset: false }),
  };
  const page = pdf.addPage([A4.width, A4.height]);
  let y = A4.height - MARGIN;
  // Clipped like every other line: a title that ran on would be drawn past the page's edge.
  page.drawText(clip(fonts.bold, report.title, 18, A4.width - 2 * MARGIN), {
    x: MARGIN,
    y: y - 18,
    size: 18,
    font: fonts.bold,
    color: INK,
  });
  y -= 30;
  for (const line of report.lines) {
    page.drawText(clip(fonts.regular, line, 9, A4.width - 2 * MARGIN), {
      x: MARGIN,
      y: y - 10,
      size: 9,
      font: fonts.regular,
      color: MUTED,
    });
    y -= 13;
  }
  y = drawFigures(page, fonts, report.figures, y - 10);
  if (report.chart && report.chart.bars.length > 0) y = drawChart(page, fonts, report.chart, y - 10);
  drawTable(pdf, page, fonts, report, y - 10);
  return pdf.save();
}

/** The headline figures, label over value, three to a row. */
function drawFigures(page: PDFPage, fonts: Fonts, figures: PdfReport["figures"], top: number): number {
  const width = (A4.width - 2 * MARGIN) / 3;
  let y = top;
  figures.forEach((f, i) => {
    const x = MARGIN + (i % 3) * width;
    if (i > 0 && i % 3 === 0) y -= 40;
    page.drawText(clip(fonts.regular, f.label, 8, width - 8), {
      x,
      y: y - 9,
      size: 8,
      font: fonts.regular,
      color: MUTED,
    });
    page.drawText(clip(fonts.bold, f.value, 15, width - 8), { x, y: y - 27, size: 15, font: fonts.bold, color: INK });
  });
  return y - (figures.length > 0 ? 40 : 0);
}

/** A bar chart with a zero line, four gridlines with their values, and labels thinned to fit. */
function drawChart(page: PDFPage, fonts: Fonts, chart: NonNullable<PdfReport["chart"]>, top: number): number {
  const height = 150;
  const axis = 56;
  const left = MARGIN + axis;
  const width = A4.width - MARGIN - left;
  const bottom = top - 18 - height;
  page.drawText(chart.title, { x: MARGIN, y: top - 11, size: 10, font: fonts.bold, color: INK });
  const max = Math.max(...chart.bars.map((b) => b.value), 0) || 1;
  for (let g = 0; g <= 4; g++) {
    const gy = bottom + (height * g) / 4;
    page.drawLine({ start: { x: left, y: gy }, end: { x: left + width, y: gy }, thickness: 0.5, color: RULE });
    const label = fitted(fonts.regular, chart.format((max * g) / 4), 7, axis - 6);
    const lw = fonts.regular.widthOfTextAtSize(label.text, label.size);
    page.drawText(label.text, { x: left - 4 - lw, y: gy - 2.5, size: label.size, font: fonts.regular, color: MUTED });
  }
  const slot = width / chart.bars.length;
  const every = Math.ceil((chart.bars.length * 34) / width);
  chart.bars.forEach((b, i) => {
    const h = (height * Math.max(b.value, 0)) / max;
    const x = left + i * slot + slot * 0.15;
    page.drawRectangle({ x, y: bottom, width: slot * 0.7, height: h, color: BAR });
    if (i % every === 0) {
      const label = clip(fonts.regular, b.label, 6.5, slot * every - 2);
      page.drawText(label, { x: left + i * slot, y: bottom - 10, size: 6.5, font: fonts.regular, color: MUTED });
    }
  });
  return bottom - 18;
}

/** The table, its header repeated on every page it runs onto. */
function drawTable(pdf: PDFDocument, first: PDFPage, fonts: Fonts, report: PdfReport, top: number) {
  const { columns, rows } = report.table;
  const total = columns.reduce((n, c) => n + c.width, 0);
  const scale = (A4.width - 2 * MARGIN) / total;
  let page = first;
  let y = top;
  const row = (cells: string[], font: PDFFont) => {
    let x = MARGIN;
    columns.forEach((c, i) => {
      const w = c.width * scale;
      const cell = cells[i] ?? "";
      // Figures (right-aligned) shrink to fit; text is clipped.
      const { text, size } = c.right
        ? fitted(font, cell, TABLE_SIZE, w - 4)
        : { text: clip(font, cell, TABLE_SIZE, w - 4), size: TABLE_SIZE };
      const tx = c.right ? x + w - 2 - font.widthOfTextAtSize(text, size) : x + 2;
      page.drawText(text, { x: tx, y: y - 10, size, font, color: INK });
      x += w;
    });
    page.drawLine({
      start: { x: MARGIN, y: y - ROW_HEIGHT },
      end: { x: A4.width - MARGIN, y: y - ROW_HEIGHT },
      thickness: 0.4,
      color: RULE,
    });
    y -= ROW_HEIGHT;
  };
  row(
    columns.map((c) => c.title),
    fonts.bold,
  );
  for (const cells of rows) {
    if (y - ROW_HEIGHT < MARGIN) {
      page = pdf.addPage([A4.width, A4.height]);
      y = A4.height - MARGIN;
      row(
        columns.map((c) => c.title),
        fonts.bold,
      );
    }
    row(cells, fonts.regular);
  }
  if (report.footnote) {
    if (y - 24 < MARGIN) {
      page = pdf.addPage([A4.width, A4.height]);
      y = A4.height - MARGIN;
    }
    page.drawText(report.footnote, {
      x: MARGIN,
      y: y - 16,
      size: 8,
      font: fonts.regular,
      color: MUTED,
      maxWidth: A4.width - 2 * MARGIN,
    });
  }
}
