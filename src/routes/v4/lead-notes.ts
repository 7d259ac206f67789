import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import { leadNotes } from "../../db/schema";
import { isoTs } from "../../hydra/format";
import { iri } from "../../hydra/jsonld";
import { dateFilter, exact, intValue, orderFilter } from "../../hydra/query";
import { defineResource, field } from "../../hydra/resource";
import { isDeliveryNote } from "../../integrations/delivery-outcome";
import { leadVisible } from "./access";

// GET /api/v4/lead-notes: status, delivery and data changes of a lead (the Notes tab). A
// delivery's note is a generic outcome line; its reason names the client's integration and quotes
// its CRM's answer, so only admins read it.
type Row = typeof leadNotes.$inferSelect;

export const leadNoteResource = defineResource<Row>({
  type: "LeadNote",
  path: "lead-notes",
  title: "LeadNote",
  description: "A change recorded on a lead: status, delivery, data edits.",
  // A view (over lead_note_rows, docs/storage.md): read like the table it replaced.
  table: leadNotes as unknown as SQLiteTable,
  id: leadNotes.id,
  fields: {
    id: field("integer", (n) => n.id),
    lead: field({ link: "Lead" }, (n) => iri("leads", n.leadId)),
    user: field({ link: "User" }, (n) => (n.userId === null ? null : iri("users", n.userId))),
    author: field("string", (n) => n.author),
    note: field("string", (n) => n.note),
    fromFlag: field("string", (n) => n.fromFlag),
    toFlag: field("string", (n) => n.toFlag),
    reason: field("string", (n, _x, ctx) => (ctx.isAdmin || !isDeliveryNote(n) ? n.reason : null), {
      description: "Why; for a delivery, the job and the client's answer (admins only).",
    }),
    createdTs: field("dateTime", (n) => isoTs(n.createdTs)),
  },
  filters: [
    exact("id", leadNotes.id, intValue),
    exact("lead.id", leadNotes.leadId, intValue),
    orderFilter({ id: leadNotes.id, createdTs: leadNotes.createdTs }),
    dateFilter("createdTs", leadNotes.createdTs),
  ],
  base: (ctx) => leadVisible(ctx, leadNotes.leadId),
  scope: () => undefined,
});
