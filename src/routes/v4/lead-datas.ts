import { sql } from "drizzle-orm";
import { leadDatas } from "../../db/schema";
import { isoTs } from "../../hydra/format";
import { iri } from "../../hydra/jsonld";
import { exact, intValue, orderFilter, stringValue } from "../../hydra/query";
import { defineResource, field, type ResourceDef } from "../../hydra/resource";
import { leadVisible } from "./access";
import { leadDataCreate } from "./lead-datas-write";

// GET /api/v4/lead-datas (the Lead Data dialog's profile tab), POST to add or edit a value.

type Row = typeof leadDatas.$inferSelect;

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
  table: leadDatas,
  id: leadDatas.id,
  fields,
  filters: [
    exact("id", leadDatas.id, intValue),
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
  table: leadDatas,
  id: leadDatas.id,
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
