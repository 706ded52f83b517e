import { z } from "@hono/zod-openapi";
import { Id, problemResponses } from "../../contracts/common";
import { database } from "../../db/client";
import { attachPhoto, PHOTO_STATUSES } from "../../db/photos";
import { sha256Hex } from "../../domain/crypto";
import { PHOTO_TYPES, sniffImage } from "../../domain/image-type";
import { actorOf } from "../../domain/principal";
import { isoSeconds } from "../../domain/time";
import { visibleSubOrder } from "../../fulfillment/fulfillment";
import { requireRole } from "../auth";
import { router } from "../context";
import { ApiError } from "../errors";
import { defineRoute } from "../route";

export const MAX_PHOTO_BYTES = 5 * 1024 * 1024;
const Params = z.object({ id: Id });
const binary = z.string().openapi({ format: "binary" });
const imageContent = Object.fromEntries(PHOTO_TYPES.map((t) => [t, { schema: binary }]));

const upload = defineRoute({
  method: "put",
  path: "/sub-orders/{id}/photo",
  access: ["admin", "ops", "vendor"],
  summary: "Upload the proof-of-shipment photo (JPEG, PNG or WebP, at most 5 MB)",
  description:
    "The bytes must be the image type they are sent as (415 otherwise); larger than 5 MB is 413. Taken before the parcel leaves: a retake replaces it until dispatch, after which (or once cancelled) it is 409 and the photo stays as it was; every photo is kept.",
  request: { params: Params, body: { required: true, content: imageContent } },
  responses: { 204: { description: "Stored" }, ...problemResponses },
});

const download = defineRoute({
  method: "get",
  path: "/sub-orders/{id}/photo",
  access: ["admin", "ops", "vendor"],
  summary: "The proof-of-shipment photo, to its vendor and ops",
  request: { params: Params },
  responses: { 200: { description: "The image", content: imageContent }, ...problemResponses },
});

/** One object per photo, named by its content: a retake never overwrites the photo shown at dispatch. */
const photoKey = async (subOrderId: string, bytes: Uint8Array) =>
  `sub-orders/${subOrderId}/proof/${(await sha256Hex(bytes)).slice(0, 32)}`;

const leftAlready = (status: string) =>
  new ApiError("CONFLICT", `The parcel is ${status}: its proof-of-shipment photo stays as it was taken`);

export const photos = router()
  .openapi(upload, async (c) => {
    const who = requireRole(c, "admin", "ops", "vendor");
    const { id } = c.req.valid("param");
    const found = await visibleSubOrder(c.env, id, who);
    if (!found) throw new ApiError("NOT_FOUND", "No such sub-order");
    if (!(PHOTO_STATUSES as readonly string[]).includes(found.sub.status)) throw leftAlready(found.sub.status);
    if (Number(c.req.header("content-length") ?? 0) > MAX_PHOTO_BYTES)
      throw new ApiError("PAYLOAD_TOO_LARGE", "At most 5 MB");
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (bytes.length > MAX_PHOTO_BYTES) throw new ApiError("PAYLOAD_TOO_LARGE", "At most 5 MB");
    const declared = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    const actual = sniffImage(bytes);
    if (!actual || actual !== declared) {
      throw new ApiError("UNSUPPORTED_MEDIA_TYPE", "Send a JPEG, PNG or WebP image as its own content type");
    }
    const key = await photoKey(id, bytes);
    await c.env.PHOTOS.put(key, bytes, { httpMetadata: { contentType: actual } });
    const shown = await attachPhoto(database(c.env), {
      subOrderId: id,
      orderId: found.agg.order.id,
      key,
      at: isoSeconds(new Date()),
      actor: actorOf(who),
    });
    // Dispatched (or cancelled) while the bytes were stored: the photo of record is the earlier one.
    if (!shown)
      throw new ApiError("CONFLICT", "The parcel left meanwhile: its proof-of-shipment photo stays as it was taken");
    return c.body(null, 204);
  })
  .openapi(download, async (c) => {
    const who = requireRole(c, "admin", "ops", "vendor");
    const { id } = c.req.valid("param");
    const key = (await visibleSubOrder(c.env, id, who))?.sub.photoKey;
    const object = key ? await c.env.PHOTOS.get(key) : null;
    if (!object) throw new ApiError("NOT_FOUND", "No photo for this sub-order");
    return new Response(object.body, {
      status: 200,
      headers: { "content-type": object.httpMetadata?.contentType ?? "application/octet-stream" },
    });
  });
