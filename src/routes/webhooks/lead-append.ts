import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../env";
import { CORE_FROM_LEAD_DATA_SQL } from "../../leads/core-fields";
import { EMAIL_FROM_LEAD_DATA_SQL } from "../../leads/email";
import { setLeadValues } from "../../leads/lead-data-block";
import { ApiError } from "../../errors";
import { leadByHash, readWebhookFields, requireWebhookCredentials } from "./common";

// Append/edit data on a lead (Convertr's lead-append documentation): POST /ajax/lead-append/{leadHash} with any form fields
// adds or overwrites lead values → 200, empty body. Each changed value gets a lead note; the
// copies of core values on the lead row (email, names, telephone, postcode, address) follow.

const FIELD_NAME = /^[A-Za-z0-9_.\-]+(\[[A-Za-z0-9_.\-]+\])*$/;
const MAX_FIELDS = 100;
const MAX_VALUE = 10_000;

/** The body as the API reference documents it; the checks below give each refusal its own message. */
export const leadAppendSchema = z
  .record(z.string().max(255).regex(FIELD_NAME), z.string().max(MAX_VALUE))
  .meta({ description: `1 to ${MAX_FIELDS} fields: name → value (JSON, url-encoded or multipart).` });

const quote = (s: string) => JSON.stringify(s.length > 200 ? `${s.slice(0, 200)}…` : s);

export const leadAppend = new Hono<AppEnv>();

leadAppend.post("/lead-append/:leadHash", async (c) => {
  const actor = await requireWebhookCredentials(c);
  const fields = await readWebhookFields(c, false);
  const lead = await leadByHash(c, c.req.param("leadHash"));

  const entries = Object.entries(fields);
  if (entries.length === 0) throw new ApiError("BAD_REQUEST", "Give at least one field to append.");
  if (entries.length > MAX_FIELDS) throw new ApiError("BAD_REQUEST", `At most ${MAX_FIELDS} fields per request.`);
  for (const [name, value] of entries) {
    if (name.length > 255 || !FIELD_NAME.test(name)) throw new ApiError("BAD_REQUEST", `"${name.slice(0, 100)}" is not a valid field name.`);
    if (value.length > MAX_VALUE) throw new ApiError("BAD_REQUEST", `Field "${name}" is longer than ${MAX_VALUE} characters.`);
  }

  const db = c.env.DB;
  const { results } = await db.prepare("SELECT name, value, type FROM lead_datas WHERE lead_id = ?")
    .bind(lead.id)
    .all<{ name: string; value: string; type: string }>();
  const current = new Map(results.map((r) => [r.name, r]));
  const system = entries.find(([name]) => current.get(name) && current.get(name)!.type !== "core.data");
  if (system) throw new ApiError("BAD_REQUEST", `Field "${system[0]}" is set by the platform and cannot be changed.`);

  const changes = entries.filter(([name, value]) => current.get(name)?.value !== value);
  if (changes.length === 0) return c.body(null, 200);

  const now = Date.now();
  await db.batch([
    ...setLeadValues(db, lead.id, changes, "core.data", now),
    ...changes.map(([name, value]) => {
      const before = current.get(name);
      const note = before
        ? `Lead data "${name}" changed from ${quote(before.value)} to ${quote(value)} (lead append)`
        : `Lead data "${name}" set to ${quote(value)} (lead append)`;
      return db.prepare("INSERT INTO lead_notes (lead_id, user_id, author, note, created_ts) VALUES (?, ?, ?, ?, ?)")
        .bind(lead.id, actor.userId, actor.via, note, now);
    }),
    // After the values, in the same batch: the copies follow by capture's rule (src/leads/core-fields.ts).
    db.prepare(`UPDATE leads SET ${CORE_FROM_LEAD_DATA_SQL}, email = ${EMAIL_FROM_LEAD_DATA_SQL}, updated_ts = ? WHERE id = ?`)
      .bind(now, lead.id),
  ]);
  return c.body(null, 200);
});
