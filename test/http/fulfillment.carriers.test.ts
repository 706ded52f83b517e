import { describe, expect, it } from "vitest";
import { ADMIN, api, newCustomer, tokenFor } from "../support/api";
import { BENGALURU, packedSubOrder, stockedSku } from "../support/marketplace";

const put = (code: string, body: unknown, token = ADMIN) => api("PUT", `/v1/carriers/${code}`, { token, body });

async function readyToDispatch() {
  const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 3 }] });
  const vendor = await tokenFor("vendor", { vendorId: s.vendorId });
  const sub = await packedSubOrder(s.skuId, vendor);
  const dispatch = (body: unknown) => api("POST", `/v1/sub-orders/${sub}/dispatch`, { token: vendor, body });
  return { vendor, dispatch };
}

describe("carriers", () => {
  it("are listed to every signed-in role with their AWB formats", async () => {
    const shopper = await newCustomer();
    const r = await api("GET", "/v1/carriers", { token: shopper.token });
    expect(r.status).toBe(200);
    expect(r.body.items.find((c: any) => c.code === "bluedart")).toEqual({
      code: "bluedart",
      name: "Blue Dart",
      awbPattern: "^[0-9]{11}$",
      awbExample: "12345678901",
      active: true,
    });
    for (const code of ["delhivery", "bluedart", "dtdc", "trackon", "generic"]) {
      const c = r.body.items.find((x: any) => x.code === code);
      expect(new RegExp(c.awbPattern).test(c.awbExample)).toBe(true);
    }
    expect((await api("GET", "/v1/carriers")).status).toBe(401);
  });

  it("are edited by admins only; a pattern must compile and match its example", async () => {
    const ops = await tokenFor("ops");
    expect((await put("trackon", { name: "Trackon Couriers" }, ops)).status).toBe(403);
    const broken = await put("trackon", { awbPattern: "([0-9]" });
    expect(broken.status).toBe(422);
    expect(broken.body.errors[0].path).toBe("awbPattern");
    const mismatch = await put("trackon", { awbPattern: "^TR[0-9]{8}$" });
    expect(mismatch.status).toBe(422);
    expect(mismatch.body.errors[0].path).toBe("awbExample");
    expect((await put("trackon", {})).status).toBe(422);
    expect((await put("Bad Code!", { active: false })).status).toBe(422);

    const edited = await put("trackon", { awbPattern: "^TR[0-9]{8}$", awbExample: "TR12345678" });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ code: "trackon", name: "Trackon", awbExample: "TR12345678", active: true });
    const { dispatch } = await readyToDispatch();
    const old = await dispatch({ carrier: "trackon", awb: "500123456" });
    expect(old.status).toBe(422);
    expect(old.body.errors).toEqual([{ path: "awb", message: "must match ^TR[0-9]{8}$, e.g. TR12345678" }]);
    expect((await dispatch({ carrier: "trackon", awb: "TR12345678" })).status).toBe(200);
  });

  it("can be switched off, and added", async () => {
    expect((await put("dtdc", { active: false })).body.active).toBe(false);
    const { vendor, dispatch } = await readyToDispatch();
    expect((await api("GET", "/v1/carriers", { token: vendor })).body.items.map((c: any) => c.code)).not.toContain(
      "dtdc",
    );
    expect((await api("GET", "/v1/carriers", { token: ADMIN })).body.items.map((c: any) => c.code)).toContain("dtdc");
    const off = await dispatch({ carrier: "dtdc", awb: "D12345678" });
    expect(off.status).toBe(422);
    expect(off.body.errors[0].path).toBe("carrier");

    const incomplete = await put("ekart", { name: "Ekart" });
    expect(incomplete.status).toBe(422);
    expect(incomplete.body.errors.map((e: any) => e.path)).toEqual(["awbPattern", "awbExample"]);
    const added = await put("ekart", { name: "Ekart", awbPattern: "^FMPC[0-9]{10}$", awbExample: "FMPC1234567890" });
    expect(added.status).toBe(201);
    expect((await dispatch({ carrier: "ekart", awb: "FMPC0000000001" })).body).toMatchObject({
      status: "dispatched",
      carrier: "ekart",
      awb: "FMPC0000000001",
    });
  });
});
