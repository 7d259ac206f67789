import { sql } from "drizzle-orm";
import { z } from "zod";
import { advertisers, advertiserValueTransforms, advertiserValueTransformValues, VALUE_TRANSFORM_TYPES } from "../../db/schema";
import { tableWrites } from "../../hydra/crud";
import { isoTs } from "../../hydra/format";
import { iri } from "../../hydra/jsonld";
import { exact, intValue, orderFilter, stringValue } from "../../hydra/query";
import { type Ctx, defineResource, field } from "../../hydra/resource";
import { relation, unprocessable } from "../../hydra/write";
import { PLATFORM_DATA_NAMES } from "../../leads/platform-data";
import { fieldName, manipulationSchema } from "../../processr/value-transforms";
import { SYSTEM_FIELDS } from "./lead-datas-write";

// /api/v4/advertiser-value-transforms (AdvertiserValueTransformField) and
// /api/v4/advertiser-value-transform-values (AdvertiserValueTransformValue): an advertiser's value
// transform rules and their value tables, which the Processr applies on campaigns with
// useValueTransforms (src/processr/value-transforms.ts). Configuration: admins only. Value tables
// are also imported and exported as CSV (./advertiser-value-transform-import.ts).

type Rule = typeof advertiserValueTransforms.$inferSelect;
type Value = typeof advertiserValueTransformValues.$inferSelect;

/** Names a rule may not write: the platform's own values, whatever a form captures. */
const RESERVED = new Set<string>([...SYSTEM_FIELDS, ...PLATFORM_DATA_NAMES]);

interface RuleData {
  type?: Rule["type"];
  originalFieldName?: string;
  newFieldName?: string;
  manipulation?: Record<string, unknown> | null;
}

/** Checks across fields, on the rule as it will be (the stored row with the request's changes). */
async function validateRule(ctx: Ctx, data: RuleData, id?: number) {
  const current = id === undefined ? undefined : await ctx.db.select().from(advertiserValueTransforms).where(sql`${advertiserValueTransforms.id} = ${id}`).get();
  const type = data.type ?? current?.type;
  const original = data.originalFieldName ?? current?.originalFieldName;
  const target = data.newFieldName ?? current?.newFieldName;
  const manipulation = data.manipulation !== undefined ? data.manipulation : current?.manipulation ?? null;
  const problems: { propertyPath: string; message: string }[] = [];
  if (target !== undefined && RESERVED.has(target)) {
    problems.push({ propertyPath: "newFieldName", message: `"${target}" is a value the platform sets; choose another name.` });
  }
  if (target !== undefined && target === original) {
    problems.push({ propertyPath: "newFieldName", message: "The new field must differ from the original field: a transform never replaces a captured value." });
  }
  if (type === "Manipulation" && manipulation === null) {
    problems.push({ propertyPath: "manipulation", message: "A Manipulation needs its settings (operation: concatenate, replace, case or hash)." });
  }
  if (type === "Transform" && manipulation !== null) {
    problems.push({ propertyPath: "manipulation", message: "A Transform takes its new values from its value table; set manipulation to null." });
  }
  if (problems.length) throw unprocessable(problems);
}

const ruleWrites = tableWrites({
  table: advertiserValueTransforms,
  id: advertiserValueTransforms.id,
  shape: {
    advertiser: relation("advertisers"),
    label: z.string().trim().min(1).max(255),
    type: z.enum(VALUE_TRANSFORM_TYPES),
    originalFieldName: fieldName,
    newFieldName: fieldName,
    manipulation: manipulationSchema.nullable(),
    position: z.number().int().min(0).max(10_000),
    enabled: z.boolean(),
  },
  required: ["advertiser", "label", "type", "originalFieldName", "newFieldName"],
  rename: { advertiser: "advertiserId" },
  refs: (d) => [{ propertyPath: "advertiser", path: "advertisers", table: advertisers, id: d.advertiser }],
  validate: validateRule,
  uniqueProperty: "newFieldName",
});

const w = { writable: true };

export const advertiserValueTransformResource = defineResource<Rule>({
  type: "AdvertiserValueTransformField",
  path: "advertiser-value-transforms",
  title: "AdvertiserValueTransformField",
  description:
    "An advertiser's value transform rule, applied by the Processr before the QA jobs on campaigns with useValueTransforms: " +
    "a Transform maps known values of originalFieldName to new values (its value table) in newFieldName; a Manipulation computes " +
    "newFieldName (concatenate, regex replace, case, hash). Results are new lead data with a note; captured values are never replaced. " +
    "Value tables: /api/v4/advertiser-value-transform-values, CSV import POST /api/v4/advertiser-value-transform-imports, " +
    "CSV export GET /api/v4/advertiser-value-transforms/{id}/values.csv.",
  table: advertiserValueTransforms,
  id: advertiserValueTransforms.id,
  fields: {
    id: field("integer", (r) => r.id),
    advertiser: field({ link: "Advertiser" }, (r) => iri("advertisers", r.advertiserId), { ...w, required: true }),
    label: field("string", (r) => r.label, { ...w, required: true }),
    type: field("string", (r) => r.type, { ...w, required: true, description: "Transform or Manipulation." }),
    originalFieldName: field("string", (r) => r.originalFieldName, {
      ...w,
      required: true,
      description:
        "The field read: a captured value, or else a platform value (emailDomain, createdDate, country, ip, userAgent); a Manipulation also reads earlier rules' results.",
    }),
    newFieldName: field("string", (r) => r.newFieldName, {
      ...w,
      required: true,
      description: "Where the result is written (one rule per name and advertiser); never a captured value's name on a lead.",
    }),
    manipulation: field("json", (r) => r.manipulation, {
      ...w,
      nullable: true,
      description:
        'A Manipulation\'s settings: {"operation":"concatenate","fields":[…],"separator":" "}, {"operation":"replace","pattern":"…","replacement":"…","flags":"g"} ' +
        '(patterns whose backtracking could explode are refused; values over 256 characters are left alone), {"operation":"case","case":"lower|upper|title"}, ' +
        '{"operation":"hash","algorithm":"sha256|sha1|md5","normalise":true}. Null for a Transform.',
    }),
    position: field("integer", (r) => r.position, { ...w, description: "Rules run in position order; a Manipulation sees what earlier rules wrote." }),
    enabled: field("boolean", (r) => r.enabled, w),
    createdTs: field("dateTime", (r) => isoTs(r.createdTs)),
    updatedTs: field("dateTime", (r) => isoTs(r.updatedTs)),
  },
  filters: [
    exact("id", advertiserValueTransforms.id, intValue),
    exact("advertiser.id", advertiserValueTransforms.advertiserId, intValue),
    exact("type", advertiserValueTransforms.type, stringValue),
    orderFilter({ id: advertiserValueTransforms.id, position: advertiserValueTransforms.position }),
  ],
  defaultOrder: [sql`${advertiserValueTransforms.advertiserId}`, sql`${advertiserValueTransforms.position}`, sql`${advertiserValueTransforms.id}`],
  scope: () => "admin",
  ...ruleWrites,
});

/** The most characters of an original or new value. */
export const MAX_VALUE_LENGTH = 1000;
export const valueText = z.string().max(MAX_VALUE_LENGTH);

const valueWrites = tableWrites({
  table: advertiserValueTransformValues,
  id: advertiserValueTransformValues.id,
  shape: {
    advertiserValueTransform: relation("advertiser-value-transforms"),
    originalValue: valueText.refine((v) => v.trim() !== "", "This value should not be blank."),
    newValue: valueText,
  },
  required: ["advertiserValueTransform", "originalValue", "newValue"],
  rename: { advertiserValueTransform: "transformId" },
  refs: (d) => [{ propertyPath: "advertiserValueTransform", path: "advertiser-value-transforms", table: advertiserValueTransforms, id: d.advertiserValueTransform }],
  uniqueProperty: "originalValue",
});

export const advertiserValueTransformValueResource = defineResource<Value>({
  type: "AdvertiserValueTransformValue",
  path: "advertiser-value-transform-values",
  title: "AdvertiserValueTransformValue",
  description:
    "A row of a Transform's value table: a known original value (matched trimmed, ignoring ASCII case; unique per rule) and the new value written for it.",
  table: advertiserValueTransformValues,
  id: advertiserValueTransformValues.id,
  fields: {
    id: field("integer", (v) => v.id),
    advertiserValueTransform: field({ link: "AdvertiserValueTransformField" }, (v) => iri("advertiser-value-transforms", v.transformId), { ...w, required: true }),
    originalValue: field("string", (v) => v.originalValue, { ...w, required: true }),
    newValue: field("string", (v) => v.newValue, { ...w, required: true }),
    createdTs: field("dateTime", (v) => isoTs(v.createdTs)),
    updatedTs: field("dateTime", (v) => isoTs(v.updatedTs)),
  },
  filters: [
    exact("id", advertiserValueTransformValues.id, intValue),
    exact("advertiserValueTransform.id", advertiserValueTransformValues.transformId, intValue),
    exact("originalValue", advertiserValueTransformValues.originalValue, stringValue),
    orderFilter({ id: advertiserValueTransformValues.id, originalValue: advertiserValueTransformValues.originalValue }),
  ],
  scope: () => "admin",
  ...valueWrites,
});
