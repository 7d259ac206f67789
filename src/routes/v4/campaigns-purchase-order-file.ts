import { eq } from "drizzle-orm";
import type { Context, Hono } from "hono";
import { authenticate } from "../../auth/authenticate";
import { type Campaign, campaigns } from "../../db/schema";
import type { AppEnv } from "../../env";
import { ApiError } from "../../errors";
import { parseMultipart, readBodyBytes } from "../../http/body";
import { API_PREFIX, ld } from "../../hydra/jsonld";
import { type Ctx, context, findRow, itemBody, methodNotAllowed, requireAdminCtx, type ResourceDef } from "../../hydra/resource";
import { unprocessable } from "../../hydra/write";

// A campaign's purchase order document, as API Platform handles file uploads: a multipart/form-data
// POST of one `file` part to the campaign's sub-resource, a GET that streams it back with its type
// and name, a DELETE that removes it. The bytes live in the FILES R2 bucket, one object per
// campaign; the campaign row keeps the name, type and size so that campaign pages never read the
// bucket. The purchase order is part of the client's commercial terms: only admins read or write
// it (a publisher user on the campaign gets 403, any other caller 404 as for the campaign itself).

export const MAX_PURCHASE_ORDER_BYTES = 10 * 1024 * 1024;
// Room for the multipart boundaries and part headers around the file.
const MULTIPART_OVERHEAD = 64 * 1024;

const PDF = [0x25, 0x50, 0x44, 0x46, 0x2d]; // %PDF-
const ZIP = [0x50, 0x4b, 0x03, 0x04]; // PK.. (Office Open XML documents are zip files)
const OLE = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]; // legacy Word / Excel

/**
 * The document types a purchase order may have, each with the leading bytes its content must
 * start with: the type is served back as given, so a file that is not what it claims is refused.
 */
const ACCEPTED_TYPES = new Map<string, number[]>([
  ["application/pdf", PDF],
  ["image/png", [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
  ["image/jpeg", [0xff, 0xd8, 0xff]],
  ["application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP],
  ["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP],
  ["application/msword", OLE],
  ["application/vnd.ms-excel", OLE],
]);

const objectKey = (campaignId: number) => `campaigns/${campaignId}/purchase-order-file`;
const filePath = (campaignId: number) => `${API_PREFIX}/campaigns/${campaignId}/purchase-order-file`;

/** The campaign's purchaseOrderFile property: where the document downloads from, or null. */
export const purchaseOrderFileUrl = (c: Campaign): string | null => (c.purchaseOrderFileName === null ? null : filePath(c.id));

/** A file name safe in a header and on any file system: no path, no control or quote characters. */
export function safeFileName(raw: string): string {
  const base = raw.split(/[\\/]/).pop() ?? "";
  const clean = base.replace(/[\u0000-\u001f\u007f"]/g, "").trim().slice(0, 255);
  return clean === "" || clean === "." || clean === ".." ? "purchase-order" : clean;
}

/** Content-Disposition with an ASCII fallback and the exact UTF-8 name (RFC 6266). */
const disposition = (name: string) =>
  `attachment; filename="${name.replace(/[^\x20-\x7e]/g, "_")}"; filename*=UTF-8''${encodeURIComponent(name)}`;

const startsWith = (bytes: Uint8Array, magic: number[]) => magic.every((b, i) => bytes[i] === b);

/** The one `file` part of the upload, checked (422 naming `file` when absent, empty, too large or of another type). */
async function readUpload(c: Context<AppEnv>): Promise<{ bytes: Uint8Array; name: string; type: string }> {
  const contentType = c.req.header("Content-Type") ?? "";
  if (!contentType.toLowerCase().startsWith("multipart/form-data")) {
    throw new ApiError("UNSUPPORTED_MEDIA_TYPE", 'Upload the purchase order as multipart/form-data with a "file" part.');
  }
  const form = await parseMultipart(contentType, await readBodyBytes(c, MAX_PURCHASE_ORDER_BYTES + MULTIPART_OVERHEAD));
  const parts = form.getAll("file");
  const other = [...form.keys()].find((k) => k !== "file");
  if (other !== undefined) throw unprocessable([{ propertyPath: other, message: 'Only a "file" part is accepted.' }]);
  const file = parts[0];
  if (parts.length !== 1 || file === undefined || typeof file === "string") {
    throw unprocessable([{ propertyPath: "file", message: "Exactly one file is required." }]);
  }
  const type = file.type.split(";")[0]!.trim().toLowerCase();
  const magic = ACCEPTED_TYPES.get(type);
  if (!magic) {
    throw unprocessable([{ propertyPath: "file", message: `The file type "${type || "(none)"}" is not accepted; accepted types: ${[...ACCEPTED_TYPES.keys()].join(", ")}.` }]);
  }
  if (file.size === 0) throw unprocessable([{ propertyPath: "file", message: "The file is empty." }]);
  if (file.size > MAX_PURCHASE_ORDER_BYTES) {
    throw unprocessable([{ propertyPath: "file", message: `The file is larger than ${MAX_PURCHASE_ORDER_BYTES / 1024 / 1024} MiB.` }]);
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (!startsWith(bytes, magic)) throw unprocessable([{ propertyPath: "file", message: `The file's content is not ${type}.` }]);
  return { bytes, name: safeFileName(file.name), type };
}

/** The campaign, visible to the caller (404) and then for admins only (403). */
async function adminCampaign(def: ResourceDef, c: Context<AppEnv>): Promise<{ ctx: Ctx; campaign: Campaign }> {
  const ctx = context(c);
  const campaign = (await findRow(def, ctx, Number(c.req.param("id")))) as Campaign;
  requireAdminCtx(ctx);
  return { ctx, campaign };
}

const noFile = () => new ApiError("NOT_FOUND", "This campaign has no purchase order file.");

export function mountPurchaseOrderFile(app: Hono<AppEnv>, def: ResourceDef) {
  const path = "/campaigns/:id{[0-9]+}/purchase-order-file";
  const auth = authenticate();

  app.get(path, auth, async (c) => {
    const { ctx, campaign } = await adminCampaign(def, c);
    if (campaign.purchaseOrderFileName === null) throw noFile();
    const object = await ctx.env.FILES.get(objectKey(campaign.id));
    if (object === null) throw noFile();
    // Type and name from the object itself: they always describe these bytes, even right after a
    // concurrent upload replaced them and before its row update.
    return new Response(object.body, {
      headers: {
        "Content-Type": object.httpMetadata?.contentType ?? "application/octet-stream",
        "Content-Length": String(object.size),
        "Content-Disposition": disposition(object.customMetadata?.fileName ?? campaign.purchaseOrderFileName),
        ETag: object.httpEtag,
        "Cache-Control": "private, no-store",
      },
    });
  });

  // Uploading again replaces the document (same object key, new metadata).
  app.post(path, auth, async (c) => {
    const { ctx, campaign } = await adminCampaign(def, c);
    const file = await readUpload(c);
    await ctx.env.FILES.put(objectKey(campaign.id), file.bytes, {
      httpMetadata: { contentType: file.type },
      customMetadata: { fileName: file.name },
    });
    await ctx.db
      .update(campaigns)
      .set({
        purchaseOrderFileName: file.name,
        purchaseOrderFileType: file.type,
        purchaseOrderFileSize: file.bytes.byteLength,
        purchaseOrderFileTs: ctx.now,
        updatedTs: ctx.now,
      })
      .where(eq(campaigns.id, campaign.id));
    return ld(c, await itemBody(def, ctx, campaign.id), 201, { Location: filePath(campaign.id) });
  });

  app.delete(path, auth, async (c) => {
    const { ctx, campaign } = await adminCampaign(def, c);
    if (campaign.purchaseOrderFileName === null) throw noFile();
    // The row first: a failure after it leaves an unreferenced object, never a reference to nothing.
    await ctx.db
      .update(campaigns)
      .set({ purchaseOrderFileName: null, purchaseOrderFileType: null, purchaseOrderFileSize: null, purchaseOrderFileTs: null, updatedTs: ctx.now })
      .where(eq(campaigns.id, campaign.id));
    await ctx.env.FILES.delete(objectKey(campaign.id));
    return c.body(null, 204);
  });

  app.all(path, methodNotAllowed(["GET", "POST", "DELETE"]));
}
