export type Pixels = { data: Uint8ClampedArray; width: number; height: number };

/** For each input pixel along one axis: the output cell it starts in, and its share of itself in that cell. */
function cells(inSize: number, outSize: number) {
  const scale = inSize / outSize;
  const cell = new Int32Array(inSize);
  const share = new Float64Array(inSize);
  for (let i = 0; i < inSize; i++) {
    const o = Math.min(outSize - 1, Math.floor(i / scale));
    cell[i] = o;
    share[i] = o === outSize - 1 ? 1 : Math.min(1, (o + 1) * scale - i);
  }
  return { cell, share };
}

/**
 * `image` scaled down to `width` × `height` by area averaging: each output pixel is the mean of the
 * input area it covers, weighted by alpha so transparent pixels lend no colour to the edges. Made a
 * row at a time in a few rows of floats, so a downscale costs little beyond its output; a WebAssembly
 * resizer copies the whole photo into its own memory, works on it in floats (16 to 45 bytes a pixel)
 * and keeps that memory for the isolate's life. Never enlarges: callers fit within the original.
 */
export function areaResample(image: Pixels, width: number, height: number): Pixels {
  if (width >= image.width && height >= image.height) return image;
  const cols = cells(image.width, width);
  const rows = cells(image.height, height);
  const area = (image.width / width) * (image.height / height);
  const out = new Uint8ClampedArray(width * height * 4);
  const row = new Float64Array(width * 4);
  let current = new Float64Array(width * 4);
  let next = new Float64Array(width * 4);
  let outRow = 0;

  const flush = () => {
    for (let x = 0, o = outRow * width * 4; x < width * 4; x += 4, o += 4) {
      const alpha = current[x + 3]!;
      out[o + 3] = alpha / area;
      if (alpha > 0) {
        out[o] = current[x]! / alpha;
        out[o + 1] = current[x + 1]! / alpha;
        out[o + 2] = current[x + 2]! / alpha;
      }
    }
    [current, next] = [next, current];
    next.fill(0);
    outRow++;
  };

  const d = image.data;
  for (let y = 0; y < image.height; y++) {
    row.fill(0);
    for (let x = 0, i = y * image.width * 4; x < image.width; x++, i += 4) {
      const a = d[i + 3]!;
      const r = d[i]! * a;
      const g = d[i + 1]! * a;
      const b = d[i + 2]! * a;
      const s = cols.share[x]!;
      let o = cols.cell[x]! * 4;
      row[o]! += r * s;
      row[o + 1]! += g * s;
      row[o + 2]! += b * s;
      row[o + 3]! += a * s;
      if (s < 1) {
        const t = 1 - s;
        o += 4;
        row[o]! += r * t;
        row[o + 1]! += g * t;
        row[o + 2]! += b * t;
        row[o + 3]! += a * t;
      }
    }
    while (outRow < rows.cell[y]!) flush();
    const s = rows.share[y]!;
    for (let x = 0; x < width * 4; x++) current[x]! += row[x]! * s;
    if (s < 1) for (let x = 0; x < width * 4; x++) next[x]! += row[x]! * (1 - s);
  }
  while (outRow < height) flush();
  return { data: out, width, height };
}
