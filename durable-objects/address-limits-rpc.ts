/**
 * The inputs and results of AddressLimits' RPC methods: what crosses the stub. Refusals are values,
 * since an error thrown over RPC arrives with only its name and message.
 */

export type AdmitResult = { ok: true } | { ok: false; code: "ADDRESS_LIMIT"; limit: number; retryAfterMs: number };
