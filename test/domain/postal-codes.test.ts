import { describe, expect, it } from "vitest";
import { readPostalCodeCsv } from "../../src/domain/postal-codes";

describe("readPostalCodeCsv", () => {
  it("reads rows in any column order, with quotes, CRLF, a BOM and blank lines", () => {
    const csv =
      '\uFEFFcode,country,lat,lng,place\r\n560034,in,12.9352,77.6245,"Koramangala, Bengaluru"\r\n\r\n' +
      '"sw1a  1aa",GB,51.501,-0.1416,"Buckingham ""Palace"""\n110001,IN,28.6315,77.2167,\n';
    expect(readPostalCodeCsv(csv)).toEqual({
      ok: true,
      rows: [
        { country: "IN", code: "560034", lat: 12.9352, lng: 77.6245, place: "Koramangala, Bengaluru" },
        { country: "GB", code: "SW1A 1AA", lat: 51.501, lng: -0.1416, place: 'Buckingham "Palace"' },
        { country: "IN", code: "110001", lat: 28.6315, lng: 77.2167, place: null },
      ],
      rejected: [],
    });
  });

  it("works without a place column and without a final newline", () => {
    const r = readPostalCodeCsv("country,code,lat,lng\nIN,400001,18.9388,72.8354");
    expect(r).toEqual({
      ok: true,
      rows: [{ country: "IN", code: "400001", lat: 18.9388, lng: 72.8354, place: null }],
      rejected: [],
    });
  });

  it("reports bad rows by their physical line and keeps the good ones", () => {
    const csv = [
      "country,code,lat,lng,place",
      "IN,560034,12.9352,77.6245,Koramangala",
      "IN,560038,91,77.64,Too far north",
      'IN,560037,12.9569,77.7011,"Marathahalli',
      'Outer Ring Road"',
      "IND,560066,12.96,77.75,Whitefield",
      "IN,560100,12.8452,abc,Electronic City",
      "IN,560011,12.93",
      "IN,5600/11,12.93,77.58,Jayanagar",
      "IN,560034,1,1,duplicate",
      "IN,,12,77,",
      "IN,600017,13.0418,80.2341,T. Nagar",
    ].join("\n");
    const r = readPostalCodeCsv(csv);
    if (!r.ok) throw new Error(r.message);
    expect(r.rows.map((row) => row.code)).toEqual(["560034", "560037", "600017"]);
    expect(r.rows[1]!.place).toBe("Marathahalli\nOuter Ring Road");
    expect(r.rejected.map((x) => x.line)).toEqual([3, 6, 7, 8, 9, 10, 11]);
    expect(r.rejected.find((x) => x.line === 3)!.message).toMatch(/lat must be between -90 and 90/);
    expect(r.rejected.find((x) => x.line === 6)!.message).toMatch(/country/);
    expect(r.rejected.find((x) => x.line === 7)!.message).toMatch(/lng must be a decimal number/);
    expect(r.rejected.find((x) => x.line === 8)!.message).toMatch(/expected 5 fields, found 3/);
    expect(r.rejected.find((x) => x.line === 10)!.message).toMatch(/already appears on line 2/);
  });

  it("fails the whole file on a bad or missing header", () => {
    expect(readPostalCodeCsv("")).toEqual({ ok: false, message: expect.stringMatching(/empty/) });
    expect(readPostalCodeCsv("\n\n")).toEqual({ ok: false, message: expect.stringMatching(/empty/) });
    expect(readPostalCodeCsv("country,code,lat\nIN,1,2")).toEqual({
      ok: false,
      message: "Missing column(s) in the header: lng",
    });
    expect(readPostalCodeCsv("country,code,lat,lng,population\n")).toEqual({
      ok: false,
      message: "Unknown column(s) in the header: population",
    });
    expect(readPostalCodeCsv("country,code,lat,lng,lat\n")).toMatchObject({ ok: false });
  });

  it("reports an unterminated quote at the line it starts on", () => {
    const r = readPostalCodeCsv('country,code,lat,lng\nIN,560034,12.9,77.6\nIN,"560038,12.97,77.64\n');
    expect(r).toEqual({
      ok: true,
      rows: [{ country: "IN", code: "560034", lat: 12.9, lng: 77.6, place: null }],
      rejected: [{ line: 3, message: "unterminated quoted field" }],
    });
  });
});
