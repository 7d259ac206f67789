import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { MAX_PURCHASE_ORDER_BYTES } from "../../src/routes/v4/campaigns-purchase-order-file";
import { call } from "../helpers";
import { get, send, tokens } from "./fixtures";

// A campaign's purchaseOrderFile: multipart upload to /api/v4/campaigns/{id}/purchase-order-file,
// stored in the FILES R2 bucket, streamed back with its type and name; admins only.

let t: Awaited<ReturnType<typeof tokens>>;
beforeAll(async () => {
  t = await tokens();
});

const PATH = "/api/v4/campaigns/601/purchase-order-file";
const pdf = (text = "purchase order 4711") => new TextEncoder().encode(`%PDF-1.4\n% ${text}\n%%EOF\n`);

function upload(path: string, headers: Record<string, string>, file: Blob | string | null, name = "PO 4711.pdf", extra?: [string, string]) {
  const form = new FormData();
  if (typeof file === "string") form.append("file", file);
  else if (file !== null) form.append("file", file, name);
  if (extra) form.append(...extra);
  return call(path, { method: "POST", headers, body: form });
}
const errorOf = async (res: Response) => (await res.json()) as { violations?: { propertyPath: string; message: string }[]; "hydra:description": string };

describe("purchase order file", () => {
  it("uploads to R2, shows on the campaign, downloads with its type and name, is replaced, then deleted", async () => {
    expect((await get("/api/v4/campaigns/601", t.admin)).body.purchaseOrderFile).toBeNull();
    expect((await call(PATH, { headers: t.admin })).status).toBe(404);

    const bytes = pdf();
    const res = await upload(PATH, t.admin, new Blob([bytes], { type: "application/pdf" }), "PO 4711 – ünïcode.pdf");
    expect(res.status).toBe(201);
    expect(res.headers.get("Location")).toBe(PATH);
    const campaign = (await res.json()) as Record<string, unknown>;
    expect(campaign).toMatchObject({ "@id": "/api/v4/campaigns/601", purchaseOrderFile: PATH, purchaseOrderFileName: "PO 4711 – ünïcode.pdf" });
    // In the bucket, not in D1.
    const object = await env.FILES.get("campaigns/601/purchase-order-file");
    expect(object?.httpMetadata?.contentType).toBe("application/pdf");
    expect(new Uint8Array(await object!.arrayBuffer())).toEqual(bytes);

    const down = await call(PATH, { headers: t.admin });
    expect(down.status).toBe(200);
    expect(down.headers.get("Content-Type")).toBe("application/pdf");
    expect(down.headers.get("Content-Disposition")).toBe(
      `attachment; filename="PO 4711 _ _n_code.pdf"; filename*=UTF-8''${encodeURIComponent("PO 4711 – ünïcode.pdf")}`,
    );
    expect(new Uint8Array(await down.arrayBuffer())).toEqual(bytes);

    // A second upload replaces the first; a path in the name is dropped.
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
    const again = await upload(PATH, t.admin, new Blob([png], { type: "image/png" }), "../../scan.png");
    expect(again.status).toBe(201);
    expect(((await again.json()) as Record<string, unknown>).purchaseOrderFileName).toBe("scan.png");
    const second = await call(PATH, { headers: t.admin });
    expect(second.headers.get("Content-Type")).toBe("image/png");
    expect(new Uint8Array(await second.arrayBuffer())).toEqual(png);

    // A duplicate of the campaign does not share its purchase order.
    const dup = await send("/api/v4/campaigns/601/duplicate", "POST", {}, t.admin);
    expect(dup.body.purchaseOrderFile).toBeNull();

    expect((await call(PATH, { method: "DELETE", headers: t.admin })).status).toBe(204);
    expect((await call(PATH, { headers: t.admin })).status).toBe(404);
    expect(await env.FILES.head("campaigns/601/purchase-order-file")).toBeNull();
    expect((await get("/api/v4/campaigns/601", t.admin)).body).toMatchObject({ purchaseOrderFile: null, purchaseOrderFileName: null });
    expect((await call(PATH, { method: "DELETE", headers: t.admin })).status).toBe(404);
  });

  it("refuses bad uploads with a clear error and changes nothing", async () => {
    const cases: [Response, number, string][] = [
      [await upload(PATH, t.admin, null, "x", ["note", "hello"]), 422, "note"],
      [await upload(PATH, t.admin, null), 422, "file"],
      [await upload(PATH, t.admin, new Blob(["<html><script>alert(1)</script>"], { type: "text/html" }), "po.html"), 422, "file"],
      [await upload(PATH, t.admin, new Blob(["<html>not a pdf</html>"], { type: "application/pdf" })), 422, "file"],
      [await upload(PATH, t.admin, new Blob([], { type: "application/pdf" })), 422, "file"],
      [await upload(PATH, t.admin, "just a string"), 422, "file"],
    ];
    for (const [res, status, property] of cases) {
      expect(res.status).toBe(status);
      expect((await errorOf(res)).violations?.[0]?.propertyPath).toBe(property);
    }
    const tooBig = new Uint8Array(MAX_PURCHASE_ORDER_BYTES + 1);
    tooBig.set(pdf());
    const big = await upload(PATH, t.admin, new Blob([tooBig], { type: "application/pdf" }));
    expect(big.status).toBe(422);
    expect((await errorOf(big)).violations).toEqual([{ propertyPath: "file", message: "The file is larger than 10 MiB." }]);
    // A body far past the limit is refused unread.
    const huge = await upload(PATH, t.admin, new Blob([tooBig, new Uint8Array(128 * 1024)], { type: "application/pdf" }));
    expect(huge.status).toBe(413);
    const json = await send(PATH, "POST", { file: "x" }, t.admin, "application/json");
    expect(json.status).toBe(415);
    expect(json.body["hydra:description"]).toContain("multipart/form-data");
    expect(await env.FILES.head("campaigns/601/purchase-order-file")).toBeNull();
    expect((await get("/api/v4/campaigns/601", t.admin)).body.purchaseOrderFile).toBeNull();
  });

  it("is the admins': a publisher on the campaign gets 403, one not on it 404, nobody else anything", async () => {
    await upload(PATH, t.admin, new Blob([pdf()], { type: "application/pdf" }));
    // Agency Partners (13) is on 601 but does not see the client's terms; it is not on 603.
    expect((await call(PATH, { headers: t.agency })).status).toBe(403);
    expect((await upload(PATH, t.agency, new Blob([pdf("forged")], { type: "application/pdf" }))).status).toBe(403);
    expect((await call(PATH, { method: "DELETE", headers: t.agency })).status).toBe(403);
    expect((await call("/api/v4/campaigns/603/purchase-order-file", { headers: t.agency })).status).toBe(404);
    expect((await call(PATH)).status).toBe(401);
    expect((await get("/api/v4/campaigns/601", t.agency)).body.purchaseOrderFile).toBeUndefined();
    expect((await call("/api/v4/campaigns/999999/purchase-order-file", { headers: t.admin })).status).toBe(404);
    expect((await call(PATH, { method: "PUT", headers: t.admin })).status).toBe(405);
    // The publisher's attempt changed nothing.
    const down = await call(PATH, { headers: t.admin });
    expect(new TextDecoder().decode(await down.arrayBuffer())).toContain("purchase order 4711");
  });
});
