import { describe, expect, it } from "vitest";
import { demoLeadHash } from "../../src/db/seed";
import { bearer, DEMO, form, json, loginAs } from "../helpers";
import { callWithKey, leadRow, notes, WEBHOOK_KEY } from "./helpers";

// Seeded leads 53001 and 53002 (campaign 603) are Valid.
const LEAD = 53001;
const hash = () => demoLeadHash("acme", LEAD);
const keyHeader = { "X-Webhook-Key": WEBHOOK_KEY };

describe("POST /api/webhook/{invalidate,validate}/{leadHash}", () => {
  it("refuses calls without credentials, with a wrong key, or with a key when none is configured; nothing changes", async () => {
    const h = await hash();
    const before = await notes(LEAD);
    const cases = [
      await callWithKey(WEBHOOK_KEY, `/api/webhook/invalidate/${h}`, form({ reason: "r", user: "u" })),
      await callWithKey(WEBHOOK_KEY, `/api/webhook/invalidate/${h}`, form({ reason: "r", user: "u" }, { "X-Webhook-Key": "wrong" })),
      await callWithKey(WEBHOOK_KEY, `/api/webhook/invalidate/${h}?key=wrong`, form({ reason: "r", user: "u" })),
      await callWithKey(undefined, `/api/webhook/invalidate/${h}`, form({ reason: "r", user: "u" }, keyHeader)),
    ];
    for (const res of cases) {
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({
        code: 401,
        message: "Authentication required: an admin bearer token or the enterprise webhook key.",
      });
    }
    expect((await leadRow(LEAD))!.flag).toBe("Valid");
    expect(await notes(LEAD)).toEqual(before);
  });

  it("refuses a publisher's token with 403 and an invalid token with 401", async () => {
    const h = await hash();
    const pub = await loginAs(DEMO.northwind);
    const res = await callWithKey(WEBHOOK_KEY, `/api/webhook/invalidate/${h}`, form({ reason: "r", user: "u" }, bearer(pub)));
    expect(res.status).toBe(403);
    const bad = await callWithKey(WEBHOOK_KEY, `/api/webhook/invalidate/${h}`, form({ reason: "r", user: "u" }, bearer("nope")));
    expect(bad.status).toBe(401);
    expect((await leadRow(LEAD))!.flag).toBe("Valid");
  });

  it("invalidates with the webhook key (url-encoded) and validates again with an admin token (multipart)", async () => {
    const h = await hash();
    const res = await callWithKey(WEBHOOK_KEY, `/api/webhook/invalidate/${h}`, form({ reason: "Wrong job title", user: "qa@client.test" }, keyHeader));
    expect(res.status).toBe(201);
    expect(await res.text()).toBe("");
    expect((await leadRow(LEAD))!.flag).toBe("Invalid");
    const last = (await notes(LEAD)).at(-1)!;
    expect(last).toMatchObject({ from_flag: "Valid", to_flag: "Invalid", reason: "Wrong job title", user_id: null });
    expect(last.author).toContain("qa@client.test");

    const admin = await loginAs(DEMO.admin);
    const body = new FormData();
    body.set("reason", "Checked by phone");
    body.set("user", "agent7");
    const again = await callWithKey(undefined, `/api/webhook/validate/${h}`, { method: "POST", body, headers: bearer(admin) });
    expect(again.status).toBe(201);
    expect((await leadRow(LEAD))!.flag).toBe("Valid");
    expect((await notes(LEAD)).at(-1)).toMatchObject({ from_flag: "Invalid", to_flag: "Valid", reason: "Checked by phone", user_id: DEMO.admin.id });
  });

  it("accepts JSON and the older query-string form with the key as a parameter", async () => {
    const h = await demoLeadHash("acme", 53002);
    const viaJson = await callWithKey(WEBHOOK_KEY, `/api/webhook/invalidate/${h}`, json({ reason: "dup", user: "u1" }, "POST", keyHeader));
    expect(viaJson.status).toBe(201);
    expect((await leadRow(53002))!.flag).toBe("Invalid");
    const viaQuery = await callWithKey(WEBHOOK_KEY, `/api/webhook/validate/${h}?reason=ok&user=u2&key=${WEBHOOK_KEY}`, { method: "POST" });
    expect(viaQuery.status).toBe(201);
    expect((await leadRow(53002))!.flag).toBe("Valid");
    // The same status again is accepted and changes nothing.
    const count = (await notes(53002)).length;
    const same = await callWithKey(WEBHOOK_KEY, `/api/webhook/validate/${h}?reason=ok&user=u2`, { method: "POST", headers: keyHeader });
    expect(same.status).toBe(201);
    expect((await notes(53002)).length).toBe(count);
  });

  it("answers 400 for a missing field and 404 for an unknown hash, changing nothing", async () => {
    const h = await hash();
    const flag = (await leadRow(LEAD))!.flag;
    const missing = await callWithKey(WEBHOOK_KEY, `/api/webhook/invalidate/${h}`, form({ reason: "no user" }, keyHeader));
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({ code: 400, message: "Missing or invalid field(s): user" });
    const blank = await callWithKey(WEBHOOK_KEY, `/api/webhook/invalidate/${h}`, form({ reason: " ", user: "" }, keyHeader));
    expect(blank.status).toBe(400);
    expect((await blank.json() as { message: string }).message).toBe("Missing or invalid field(s): reason, user");
    const unknown = await callWithKey(WEBHOOK_KEY, "/api/webhook/invalidate/0123456789abcdef0123456789abcdef", form({ reason: "r", user: "u" }, keyHeader));
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ code: 404, message: "Lead not found" });
    const wrongType = await callWithKey(WEBHOOK_KEY, `/api/webhook/invalidate/${h}`, { method: "POST", body: "x", headers: { ...keyHeader, "Content-Type": "text/plain" } });
    expect(wrongType.status).toBe(415);
    expect((await leadRow(LEAD))!.flag).toBe(flag);
  });
});
