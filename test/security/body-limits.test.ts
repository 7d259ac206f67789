import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { demoCampaignWebhookKey, demoLeadHash } from "../../src/db/seed";
import { call } from "../helpers";
import { get, tokens } from "../v4/fixtures";
import { callWithKey, WEBHOOK_KEY } from "../webhooks/helpers";

// Body limits hold on the stream itself: a chunked body (no Content-Length) past a surface's
// limit gets that surface's 413, nothing is written, and the body is not read to its end.

const encoder = new TextEncoder();
const CHUNK = 16 * 1024;

/** A chunked body: `head`, then `size` bytes of "a" made on demand, then `tail`; counts what was pulled. */
function chunked(head: string, size: number, tail = "") {
  const counter = { pulled: 0 };
  let left = size;
  let state: "head" | "fill" | "tail" | "done" = "head";
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      let chunk: Uint8Array;
      if (state === "head") {
        chunk = encoder.encode(head);
        state = "fill";
      } else if (state === "fill") {
        chunk = new Uint8Array(Math.min(CHUNK, left)).fill(0x61);
        left -= chunk.byteLength;
        if (left === 0) state = "tail";
      } else if (state === "tail") {
        chunk = encoder.encode(tail);
        state = "done";
      } else {
        controller.close();
        return;
      }
      counter.pulled += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  return { stream, counter };
}

const count = async (sql: string) => (await env.DB.prepare(sql).first<{ n: number }>())!.n;

let t: Awaited<ReturnType<typeof tokens>>;
beforeAll(async () => {
  t = await tokens();
});

describe("chunked bodies past the limit", () => {
  /** A capture surface refuses the body with its 413, writes no lead, and pulls well under `pulledBelow`. */
  async function captureRefused(path: string, headers: Record<string, string>, body: ReturnType<typeof chunked>, pulledBelow: number) {
    const leads = await count("SELECT count(*) AS n FROM leads");
    const res = await call(path, { method: "POST", headers, body: body.stream });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ code: 413, message: "Request body exceeds 32768 bytes." });
    expect(body.counter.pulled).toBeLessThan(pulledBelow);
    expect(await count("SELECT count(*) AS n FROM leads")).toBe(leads);
  }

  it("publisher API capture: 413 past 32 KiB, no lead, and a 64 MiB body is not read to its end", async () => {
    await captureRefused(
      "/api/v2.4/publisher/12/forms/35/campaign/601/leads?linkId=25",
      { "Content-Type": "application/x-www-form-urlencoded", "X-Api-Key": "0c463164f0d4fcb604d8fd9f80737476" },
      chunked("form%5BfirstName%5D=", 64 * 1024 * 1024),
      1024 * 1024,
    );
  });

  it("campaign webhook capture: 413 in the webhook's shape, no lead", async () => {
    const key = await demoCampaignWebhookKey("acme", 601);
    await captureRefused(
      `/webhook/campaign/601/global-form/35/leads?apikey=${key}&campaignLinkId=25&publisherId=12`,
      { "Content-Type": "application/json" },
      chunked('{"form":{"firstName":"', 1024 * 1024, '","lastName":"Hopper","email":"g@example.org"}}'),
      256 * 1024,
    );
  });

  it("enterprise webhooks, multipart included: 413 past 64 KiB and the lead is untouched", async () => {
    const hash = await demoLeadHash("acme", 53001);
    const datas = async () => (await env.DB.prepare("SELECT name, value FROM lead_datas WHERE lead_id = 53001 ORDER BY name").all()).results;
    const before = await datas();
    const boundary = "leadflare-test-boundary";
    const part = (name: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n`;
    const { stream, counter } = chunked(`${part("jobTitle")}Analyst\r\n${part("notes")}`, 1024 * 1024, `\r\n--${boundary}--\r\n`);
    const res = await callWithKey(WEBHOOK_KEY, `/ajax/lead-append/${hash}?key=${WEBHOOK_KEY}`, {
      method: "POST",
      headers: { "Content-Type": `multipart/form-data; boundary=${boundary}` },
      body: stream,
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ code: 413, message: "Request body exceeds 65536 bytes." });
    expect(counter.pulled).toBeLessThan(256 * 1024);
    expect(await datas()).toEqual(before);
  });

  it("v4 writes: a Hydra 413 past 64 KiB and nothing created", async () => {
    const before = (await get("/api/v4/advertisers", t.admin)).body["hydra:totalItems"];
    const { stream } = chunked('{"name":"', 100 * 1024, '"}');
    const res = await call("/api/v4/advertisers", { method: "POST", headers: { ...t.admin, "Content-Type": "application/ld+json" }, body: stream });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      "@context": "/api/v4/contexts/Error",
      "@type": "hydra:Error",
      "hydra:title": "An error occurred",
      "hydra:description": "Request body exceeds 65536 bytes.",
    });
    expect((await get("/api/v4/advertisers", t.admin)).body["hydra:totalItems"]).toBe(before);
  });

  it("login: neither the rate limiter (which reads the username) nor the handler reads a huge body to its end", async () => {
    const { stream, counter } = chunked("username=", 64 * 1024 * 1024);
    const res = await call("/api/login", { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: stream });
    expect(res.status).toBe(413);
    expect(counter.pulled).toBeLessThan(1024 * 1024);
  });

  it("a chunked body within the limit is read whole", async () => {
    const { stream } = chunked('{"name":"', 200, '"}');
    const res = await call("/api/v4/advertisers", { method: "POST", headers: { ...t.admin, "Content-Type": "application/ld+json" }, body: stream });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { name: string }).name).toBe("a".repeat(200));
  });
});
