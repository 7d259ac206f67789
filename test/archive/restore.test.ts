import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { restoreArchivedLead } from "../../src/archive/restore";
import { recountCampaign } from "../../src/leads/statistics";
import { bearer, call, DEMO, form, loginAs } from "../helpers";
import { campaignStats, rows } from "../leads/fixtures";
import { captureAndProcess, formBody, leadsPath, postForm } from "../publisher/support";
import { send } from "../v4/fixtures";
import { archiveNow, idsInFiles, makeOld, whereIs } from "./helpers";

// Restores that race, and what still finds an archived lead without restoring it: a capture
// retried with its idempotency key, the publisher API's lead result.

let admin: string;
let north: string;
beforeAll(async () => {
  admin = await loginAs(DEMO.admin);
  north = await loginAs(DEMO.northwind);
});

let seq = 0;
/** A lead of publisher 12 in campaign 601, captured through the publisher API and processed (Valid). */
async function captured(headers: Record<string, string> = {}) {
  seq += 1;
  const fields = { firstName: "Grace", lastName: "Hopper", email: `grace.${Date.now()}.${seq}@example.org` };
  const id = await captureAndProcess(leadsPath(12, 35, 601), formBody(fields), { headers: { ...bearer(north), ...headers } });
  return { id, fields };
}

describe("restores at the same time", () => {
  it("two writes to one archived lead at once: one lead, both changes applied in turn through its object, statistics exact", async () => {
    const { id } = await captured();
    const [{ lead_hash: hash }] = await rows<{ lead_hash: string }>(`SELECT lead_hash FROM leads WHERE id = ?1`, id);
    await archiveNow([id]);
    expect(await whereIs(id)).toBe("archive");

    const [webhook, patch] = await Promise.all([
      call(`/api/webhook/invalidate/${hash}`, form({ reason: "Bounced", user: "crm" }, bearer(admin))),
      call(`/api/v4/leads/${id}`, {
        method: "PATCH", headers: { ...bearer(admin), "Content-Type": "application/merge-patch+json" },
        body: JSON.stringify({ leadFlag: "/api/v4/lead-flags/4", reason: "Internal test lead" }),
      }),
    ]);
    expect(webhook.status, await webhook.clone().text()).toBe(201);
    expect(patch.status, await patch.clone().text()).toBe(200);

    expect(await whereIs(id)).toBe("d1");
    expect(await rows(`SELECT id FROM leads WHERE id = ?1`, id)).toHaveLength(1);
    expect(await idsInFiles()).not.toContain(id);
    // Both changes, one after the other: each starts from the flag the other left.
    const changes = await rows<{ from_flag: string; to_flag: string }>(
      `SELECT from_flag, to_flag FROM lead_notes WHERE lead_id = ?1 AND to_flag IS NOT NULL AND author <> 'processr' ORDER BY id`, id,
    );
    expect(changes.map((c) => c.to_flag).sort()).toEqual(["Invalid", "Test"]);
    expect(changes[0]!.from_flag).toBe("Valid");
    expect(changes[1]!.from_flag).toBe(changes[0]!.to_flag);
    expect((await rows<{ flag: string }>(`SELECT flag FROM leads WHERE id = ?1`, id))[0]!.flag).toBe(changes[1]!.to_flag);
    expect(await campaignStats()).toEqual(await recountCampaign(env.DB, 601));
  });

  it("restoring one lead twice at once, and two leads of one file at once: each lead once in D1 and in no file", async () => {
    const ids = [(await captured()).id, (await captured()).id, (await captured()).id];
    await archiveNow(ids);
    const [a, b, kept] = ids as [number, number, number];
    const batches = await rows<{ batch_id: number }>(`SELECT DISTINCT batch_id FROM archived_leads WHERE id IN (?1, ?2, ?3)`, a, b, kept);
    expect(batches).toHaveLength(1);

    expect(await Promise.all([restoreArchivedLead(env, a), restoreArchivedLead(env, a), restoreArchivedLead(env, b)])).toEqual([true, true, true]);
    for (const id of [a, b]) {
      expect(await whereIs(id)).toBe("d1");
      expect(await rows(`SELECT id FROM lead_datas WHERE lead_id = ?1 AND name = 'email'`, id)).toHaveLength(1);
    }
    const inFiles = await idsInFiles();
    expect(inFiles).not.toContain(a);
    expect(inFiles).not.toContain(b);
    expect(inFiles.filter((x) => x === kept)).toHaveLength(1);
    expect(await whereIs(kept)).toBe("archive");
  });
});

describe("writes restore an archived lead", () => {
  it("an edit of its data by an admin (POST /api/v4/lead-datas) restores it, then applies; a refused edit leaves it archived", async () => {
    const { id } = await captured();
    await archiveNow([id]);
    const edit = (token: string, name = "jobTitle") => send("/api/v4/lead-datas", "POST", { lead: `/api/v4/leads/${id}`, name, value: "CTO" }, bearer(token));
    expect((await edit(north)).status).toBe(403);
    expect(await whereIs(id)).toBe("archive");
    const own = await edit(admin);
    expect(own.status).toBe(201);
    expect(own.body).toMatchObject({ lead: `/api/v4/leads/${id}`, name: "jobTitle", value: "CTO" });
    expect(await whereIs(id)).toBe("d1");
    expect(await idsInFiles()).not.toContain(id);
  });
});

describe("an archived lead is still found", () => {
  it("a capture retried with its Idempotency-Key after the lead was archived answers with that lead, and stores no second one", async () => {
    const headers = { ...bearer(north), "Idempotency-Key": `archived-retry-${Date.now()}` };
    const { id, fields } = await captured(headers);
    await archiveNow([id]);
    expect(await whereIs(id)).toBe("archive");

    const retry = await postForm(leadsPath(12, 35, 601), formBody(fields), headers);
    expect(retry.status).toBe(201);
    expect(retry.headers.get("Idempotent-Replayed")).toBe("true");
    expect(((await retry.json()) as { data: number }).data).toBe(id);
    expect(await rows(`SELECT id FROM leads WHERE email = ?1`, fields.email)).toEqual([]);
    // The key's row stayed in D1, unlinked from the archived lead.
    expect(await rows(`SELECT lead_id FROM idempotency_keys WHERE key LIKE '12:archived-retry-%'`)).toEqual([{ lead_id: null }]);

    // Restored, the key names its lead again; a retry still gets the same answer.
    expect(await restoreArchivedLead(env, id)).toBe(true);
    expect(await rows(`SELECT lead_id FROM idempotency_keys WHERE key LIKE '12:archived-retry-%'`)).toEqual([{ lead_id: id }]);
    const again = await postForm(leadsPath(12, 35, 601), formBody(fields), headers);
    expect(((await again.json()) as { data: number }).data).toBe(id);
    expect(await rows(`SELECT id FROM leads WHERE email = ?1`, fields.email)).toEqual([{ id }]);
  });

  it("the publisher API's lead result reads an archived lead from its file: the same result, marked archived; other publishers get 404", async () => {
    const { id } = await captured();
    await makeOld([id]);
    const get = async (token: string, publisherId = 12) => {
      const res = await call(`/api/v2.4/publisher/${publisherId}/lead-result/${id}`, { headers: bearer(token) });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const before = await get(north);
    expect(before.status).toBe(200);
    expect((before.body.jobs as unknown[]).length).toBeGreaterThan(0);
    await archiveNow([]);
    expect(await whereIs(id)).toBe("archive");

    expect(await get(north)).toEqual({ status: 200, body: { ...before.body, archived: true } });
    expect(await get(admin)).toMatchObject({ status: 200, body: { leadId: id, archived: true } });
    expect((await get(await loginAs(DEMO.agencyPartners), 13)).status).toBe(404);
    // Reading does not restore it.
    expect(await whereIs(id)).toBe("archive");
  });
});
