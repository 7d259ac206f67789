import { type SQL, sql } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import { leadDatas } from "../../db/schema";
import { isoTs } from "../../hydra/format";
import { iri } from "../../hydra/jsonld";
import { exact, intValue, orderFilter, stringValue } from "../../hydra/query";
import { defineResource, field, type ResourceDef } from "../../hydra/resource";
import { leadVisible } from "./access";
import { leadDataCreate } from "./lead-datas-write";

// GET /api/v4/lead-datas (the Lead Data dialog's profile tab), POST to add or edit a value.

type Row = typeof leadDatas.$inferSelect;

// lead_datas is a view (the entries of each lead's leads.data, src/leads/lead-data-block.ts) whose
// ids a condition on id alone would compute for every lead: values by id are looked for on the
// leads they can be on. A value added after capture, its lead by its id (lead_data_ids); one of a
// block, the lead with the last data_id at or before the id (leads_data_id_idx; blocks never overlap).
const valuesLeads = (ids: SQL) =>
  sql`SELECT lead_id FROM lead_data_ids WHERE id IN ${ids}
      UNION ALL SELECT (SELECT l.id FROM leads l WHERE l.data_id <= i.value ORDER BY l.data_id DESC LIMIT 1) FROM ${ids} i`;
const byIds = (ids: SQL) => sql`${leadDatas.id} IN ${ids} AND ${leadDatas.leadId} IN (${valuesLeads(ids)})`;
const idWhere = (id: number) => byIds(sql`(SELECT ${id} AS value)`);

const fields = {
  id: field<Row>("integer", (d) => d.id),
  lead: field<Row>({ link: "Lead" }, (d) => iri("leads", d.leadId), { writable: true, required: true }),
  name: field<Row>("string", (d) => d.name, { writable: true, required: true }),
  value: field<Row>("string", (d) => d.value, { writable: true, required: true }),
  type: field<Row>("string", (d) => d.type, { description: '"core.data" for captured values, "system" for values the platform sets.' }),
  createdTs: field<Row>("dateTime", (d) => isoTs(d.createdTs)),
  updatedTs: field<Row>("dateTime", (d) => isoTs(d.updatedTs)),
};

export const leadDataResource: ResourceDef<Row> = defineResource<Row>({
  type: "LeadData",
  path: "lead-datas",
  title: "LeadData",
  description: "A value captured with a lead (or added later), by field name.",
  table: leadDatas as unknown as SQLiteTable,
  id: leadDatas.id,
  idWhere,
  fields,
  filters: [
    exact("id", byIds, intValue),
    exact("lead.id", leadDatas.leadId, intValue),
    exact("name", leadDatas.name, stringValue),
    orderFilter({ id: leadDatas.id, name: leadDatas.name }),
  ],
  base: (ctx) => leadVisible(ctx, leadDatas.leadId),
  scope: () => undefined,
  create: leadDataCreate,
});

/** The captured values staff may edit: everything but the values the platform sets itself. */
export const leadEditableFieldResource: ResourceDef<Row> = defineResource<Row>({
  type: "LeadEditableField",
  path: "lead-editable-fields",
  title: "LeadEditableField",
  description: "A captured value of a lead that may be edited through POST /api/v4/lead-datas (system values such as leadHash may not).",
  table: leadDatas as unknown as SQLiteTable,
  id: leadDatas.id,
  idWhere,
  fields: {
    id: fields.id,
    lead: field<Row>({ link: "Lead" }, (d) => iri("leads", d.leadId)),
    name: field<Row>("string", (d) => d.name),
    value: field<Row>("string", (d) => d.value),
    leadData: field<Row>({ link: "LeadData" }, (d) => iri("lead-datas", d.id)),
  },
  filters: [exact("lead.id", leadDatas.leadId, intValue), exact("name", leadDatas.name, stringValue), orderFilter({ id: leadDatas.id, name: leadDatas.name })],
  base: (ctx) => sql`${leadDatas.type} = 'core.data' AND ${leadVisible(ctx, leadDatas.leadId)}`,
  scope: () => undefined,
});
