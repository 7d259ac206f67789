import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { leadDatas, leads } from "../../db/schema";
import { ApiError } from "../../errors";
import { CORE_FROM_LEAD_DATA_SQL } from "../../leads/core-fields";
import { EMAIL_FROM_LEAD_DATA_SQL } from "../../leads/email";
import { setLeadValues } from "../../leads/lead-data-block";
import type { WriteOp } from "../../hydra/resource";
import { relation, unprocessable } from "../../hydra/write";
import { restoreArchivedLead } from "../../archive/restore";

// POST /api/v4/lead-datas {lead, name, value}: adds a value to a lead or edits an existing one
// (the Edit Data tab). One D1 batch (a transaction) writes the value, keeps the lead's copies of the core values
// in step, and records a lead note with the old and the new value.

/** Values the platform sets: never editable, whether or not the lead has them yet. */
export const SYSTEM_FIELDS = new Set(["leadHash", "ip", "userAgent", "createdDate", "createdTs", "emailDomain"]);

const schema = z
  .object({
    lead: relation("leads"),
    name: z.string().trim().min(1, "This value should not be blank.").max(100).regex(/^[A-Za-z0-9_.\-[\]]+$/, "Field names use letters, digits, _ . - and [ ] only."),
    value: z.string().max(5000),
  })
  .strict();

export const leadDataCreate: WriteOp<z.infer<typeof schema>> = {
  schema,
  async run(ctx, data) {
    const db = ctx.db;
    const find = () =>
      db.select({ id: leads.id, publisherId: leads.publisherId }).from(leads).where(and(eq(leads.id, data.lead), sql`${leads.deletedTs} IS NULL`)).get();
    let lead = await find();
    // An edit is a write: an archived lead (the user's own, for a publisher) is restored first (src/archive).
    if (!lead && (await restoreArchivedLead(ctx.env, data.lead, ctx.isAdmin ? {} : { publisherId: ctx.publisherId! }))) lead = await find();
    if (!lead || (!ctx.isAdmin && lead.publisherId !== ctx.publisherId)) {
      throw unprocessable([{ propertyPath: "lead", message: `Item not found for "/api/v4/leads/${data.lead}".` }]);
    }
    const existing = await db.select().from(leadDatas).where(and(eq(leadDatas.leadId, lead.id), eq(leadDatas.name, data.name))).get();
    if (SYSTEM_FIELDS.has(data.name) || (existing && existing.type !== "core.data")) {
      throw unprocessable([{ propertyPath: "name", message: `"${data.name}" is a system value and cannot be edited.` }]);
    }
    if (existing && existing.value === data.value) return existing.id;
    const note = existing
      ? `Lead data "${data.name}" changed from "${existing.value}" to "${data.value}".`
      : `Lead data "${data.name}" added with value "${data.value}".`;
    const d1 = ctx.env.DB;
    const written = await d1.batch([
      // The value in its block or its row (src/leads/lead-data-block.ts), then its id, in one transaction.
      ...setLeadValues(d1, lead.id, [[data.name, data.value]], "core.data", ctx.now),
      d1.prepare(`SELECT id FROM lead_datas WHERE lead_id = ?1 AND name = ?2`).bind(lead.id, data.name),
      // The lead's copies of its core values follow the edit, whatever the edited name (src/leads/core-fields.ts).
      d1.prepare(`UPDATE leads SET ${CORE_FROM_LEAD_DATA_SQL}, email = ${EMAIL_FROM_LEAD_DATA_SQL}, updated_ts = ?2 WHERE id = ?1`)
        .bind(lead.id, ctx.now),
      d1.prepare(`INSERT INTO lead_notes (lead_id, user_id, author, note, created_ts) VALUES (?1, ?2, ?3, ?4, ?5)`)
        .bind(lead.id, ctx.principal.userId, ctx.principal.username, note, ctx.now),
    ]);
    const id = (written[2]!.results[0] as { id: number } | undefined)?.id;
    if (id === undefined) throw new ApiError("INTERNAL", "Internal Server Error");
    return id;
  },
};
