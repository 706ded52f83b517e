import { type FormEvent, useMemo, useState } from "react";
import { newIdempotencyKey } from "../api";
import type { Carrier } from "../types";

/**
 * A carrier and its AWB, checked against the carrier's pattern as typed: a dispatch, or the
 * correction of a dispatched parcel's label. `key` is one per carrier and AWB typed, so sending the
 * same again after a lost answer is the same request.
 */
export function AwbLabel({
  title,
  carriers,
  busy,
  initial = "",
  submit,
}: {
  title: string;
  carriers: Carrier[];
  busy: boolean;
  initial?: string;
  submit: (carrier: string, awb: string, key: string) => void;
}) {
  const active = carriers.filter((c) => c.active);
  // The first carrier until one is picked: the carriers may arrive after the form is shown.
  const [picked, setCode] = useState(initial);
  const code = active.some((c) => c.code === picked) ? picked : (active[0]?.code ?? "");
  const [awb, setAwb] = useState("");
  const carrier = active.find((c) => c.code === code);
  const valid = carrier ? new RegExp(`^(?:${carrier.awbPattern})$`).test(awb.trim()) : false;
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new key for each carrier and AWB typed.
  const key = useMemo(() => newIdempotencyKey(), [code, awb]);
  const send = (e: FormEvent) => {
    e.preventDefault();
    if (valid) submit(code, awb.trim(), key);
  };
  return (
    <form className="stack" onSubmit={send}>
      <h3>{title}</h3>
      <label className="field">
        <span>Carrier</span>
        <select value={code} onChange={(e) => setCode(e.target.value)}>
          {active.map((c) => (
            <option key={c.code} value={c.code}>
              {c.name}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>AWB</span>
        <input
          value={awb}
          onChange={(e) => setAwb(e.target.value)}
          placeholder={carrier?.awbExample}
          autoComplete="off"
          aria-invalid={awb !== "" && !valid}
        />
      </label>
      {awb !== "" && !valid && carrier && (
        <p className="notice">
          Not a {carrier.name} AWB (e.g. {carrier.awbExample}).
        </p>
      )}
      <button type="submit" className="button primary big" disabled={busy || !valid}>
        {title}
      </button>
    </form>
  );
}
