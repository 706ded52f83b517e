/// <reference types="vite/client" />
import { describe, expect, it } from "vitest";
import demoCsv from "../../scripts/data/postal-codes-in.csv?raw";
import { ADMIN, api, newCustomer, tokenFor } from "../support/api";
import { newVendorWithToken } from "../support/catalog";

function importCsv(csv: string, token: string | undefined, type = "text/csv; charset=utf-8") {
  return api("POST", "/v1/admin/postal-codes", { token, rawBody: csv, headers: { "content-type": type } });
}

/** A two-letter country no real row uses, so every test owns its codes. */
let next = 0;
function testCountry(): string {
  next += 1;
  return `X${String.fromCharCode(64 + next)}`;
}

describe("postal codes", () => {
  it("imports the demo region and answers lookups", async () => {
    const r = await importCsv(demoCsv, ADMIN);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ imported: 65, rejected: [] });
    const kora = await api("GET", "/v1/postal-codes/IN/560034");
    expect(kora.status).toBe(200);
    expect(kora.body).toEqual({
      country: "IN",
      code: "560034",
      lat: 12.9352,
      lng: 77.6245,
      place: "Koramangala, Bengaluru",
    });
    const lower = await api("GET", "/v1/postal-codes/in/110001");
    expect(lower.body).toMatchObject({ country: "IN", code: "110001", place: "Connaught Place, New Delhi" });
    const again = await importCsv(demoCsv, ADMIN);
    expect(again.body).toEqual({ imported: 65, rejected: [] });
  });

  it("imports the valid rows, reports the invalid ones by line, and replaces existing entries", async () => {
    const cc = testCountry();
    const first = await importCsv(`country,code,lat,lng,place\n${cc},1001,10,20,Old name\n${cc},1002,11,21,\n`, ADMIN);
    expect(first.body).toEqual({ imported: 2, rejected: [] });
    const r = await importCsv(
      [
        "country,code,lat,lng,place",
        `${cc},1001,10.5,20.5,New name`,
        `${cc},1003,95,20,Too far north`,
        `${cc},1004,abc,20,Not a number`,
        `${cc},1005,12,22`,
        `${cc},1006,13,23,Fine`,
      ].join("\n"),
      ADMIN,
    );
    expect(r.status).toBe(200);
    expect(r.body.imported).toBe(2);
    expect(r.body.rejected).toEqual([
      { line: 3, message: expect.stringMatching(/lat/) },
      { line: 4, message: expect.stringMatching(/lat/) },
      { line: 5, message: "expected 5 fields, found 4" },
    ]);
    expect((await api("GET", `/v1/postal-codes/${cc}/1001`)).body).toEqual({
      country: cc,
      code: "1001",
      lat: 10.5,
      lng: 20.5,
      place: "New name",
    });
    expect((await api("GET", `/v1/postal-codes/${cc}/1002`)).body.place).toBeNull();
    expect((await api("GET", `/v1/postal-codes/${cc}/1006`)).status).toBe(200);
    for (const code of ["1003", "1004", "1005"]) {
      expect((await api("GET", `/v1/postal-codes/${cc}/${code}`)).status).toBe(404);
    }
  });

  it("writes a large file in several batches", async () => {
    const cc = testCountry();
    const rows = Array.from({ length: 2500 }, (_, i) => `${cc},${10000 + i},${(i % 180) - 89.5},${(i % 360) - 179.5}`);
    const r = await importCsv(`country,code,lat,lng\n${rows.join("\n")}\n`, ADMIN);
    expect(r.body).toEqual({ imported: 2500, rejected: [] });
    for (const i of [0, 799, 800, 1599, 2499]) {
      const got = await api("GET", `/v1/postal-codes/${cc}/${10000 + i}`);
      expect(got.body).toEqual({
        country: cc,
        code: String(10000 + i),
        lat: (i % 180) - 89.5,
        lng: (i % 360) - 179.5,
        place: null,
      });
    }
  });

  it("refuses other media types, an empty file and a bad header, importing nothing", async () => {
    const cc = testCountry();
    const csv = `country,code,lat,lng\n${cc},1,1,1\n`;
    for (const type of ["application/json", "text/plain", "application/csv"]) {
      const r = await importCsv(csv, ADMIN, type);
      expect({ type, status: r.status, code: r.body.code }).toEqual({
        type,
        status: 415,
        code: "UNSUPPORTED_MEDIA_TYPE",
      });
    }
    const none = await api("POST", "/v1/admin/postal-codes", { token: ADMIN, rawBody: csv });
    expect(none.status).toBe(415);
    const empty = await importCsv("", ADMIN);
    expect(empty.status).toBe(422);
    const header = await importCsv(`country,postcode,lat,lng\n${cc},1,1,1\n`, ADMIN);
    expect(header.status).toBe(422);
    expect(header.body.code).toBe("VALIDATION_FAILED");
    expect(header.body.detail).toMatch(/postcode/);
    expect((await api("GET", `/v1/postal-codes/${cc}/1`)).status).toBe(404);
  });

  it("is for admins only: 401 anonymous, 403 for ops, vendors and customers, nothing imported", async () => {
    const cc = testCountry();
    const csv = `country,code,lat,lng\n${cc},1,1,1\n`;
    const refused: [string | undefined, number][] = [
      [undefined, 401],
      ["oms_bogus", 401],
      [await tokenFor("ops"), 403],
      [(await newVendorWithToken()).token, 403],
      [(await newCustomer()).token, 403],
    ];
    for (const [token, status] of refused) {
      const r = await importCsv(csv, token);
      expect(r.status).toBe(status);
      const wrongType = await importCsv(csv, token, "application/json");
      expect(wrongType.status).toBe(status);
    }
    expect((await api("GET", `/v1/postal-codes/${cc}/1`)).status).toBe(404);
  });

  it("answers 404 for an unknown code and 422 for a malformed one, to anyone", async () => {
    const missing = await api("GET", "/v1/postal-codes/IN/999999");
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe("NOT_FOUND");
    expect((await api("GET", "/v1/postal-codes/IND/110001")).status).toBe(422);
    expect((await api("GET", "/v1/postal-codes/IN/11%2F0001")).status).toBe(422);
  });
});
