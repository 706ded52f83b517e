/**
 * A GTIN (GTIN-8, UPC-A 12, EAN-13 or GTIN-14) with its GS1 check digit: the digits weighted 3 and 1
 * alternately from the right, the check digit bringing the sum to a multiple of 10.
 */
export function isGtin(code: string): boolean {
  if (!/^(\d{8}|\d{12,14})$/.test(code)) return false;
  let sum = 0;
  for (let i = code.length - 2, w = 3; i >= 0; i--, w = 4 - w) sum += Number(code[i]) * w;
  return (10 - (sum % 10)) % 10 === Number(code[code.length - 1]);
}
