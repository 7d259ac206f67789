import { z } from "zod";
import type { QaJobDefinition } from "../types";
import { resourceId } from "./lib/config";
import { fail, pass, q } from "./lib/outcome";

// Value Transforms (Convertr's catalogue 1090, "job.value_transforms"): fails a lead whose value of
// a Transform's original field matches no value of that Transform's value table ("fail if a field
// matches no value transform"), e.g. a country or job title the advertiser has no mapping for.
// The Transforms are the advertiser's own (/api/v4/advertiser-value-transforms) and run before
// the QA jobs when the campaign has useValueTransforms on (src/processr/value-transforms.ts); a
// configured Transform that did not run on the lead (the campaign does not use value transforms,
// the rule is disabled or belongs to another advertiser) fails the job, so that a set-up mistake
// never lets leads through unchecked. An empty value matches nothing.

const configSchema = z.strictObject({
  /** The Transforms whose tables the lead's values must be in, by id or IRI. */
  transforms: z.array(resourceId("advertiser-value-transforms", "an advertiser value transform")).min(1).max(50),
});

export const valueTransforms: QaJobDefinition<z.infer<typeof configSchema>> = {
  kind: "qa",
  type: "value_transforms",
  catalogueId: 1090,
  name: "Value Transforms",
  configSchema,
  async checkConfig(env, config) {
    const { results } = await env.DB.prepare(
      `SELECT id, type FROM advertiser_value_transforms WHERE id IN (SELECT value FROM json_each(?1))`,
    )
      .bind(JSON.stringify(config.transforms))
      .all<{ id: number; type: string }>();
    const types = new Map(results.map((r) => [r.id, r.type]));
    return config.transforms.flatMap((id, i) => {
      const iri = `/api/v4/advertiser-value-transforms/${id}`;
      const type = types.get(id);
      if (type === undefined) return [{ propertyPath: `transforms.${i}`, message: `Item not found for "${iri}".` }];
      return type === "Transform" ? [] : [{ propertyPath: `transforms.${i}`, message: `"${iri}" is a ${type}: only a Transform has a value table.` }];
    });
  },
  run(lead, config) {
    const unmatched: string[] = [];
    for (const id of new Set(config.transforms)) {
      const t = lead.valueTransforms?.get(id);
      if (!t) unmatched.push(`the value transform /api/v4/advertiser-value-transforms/${id} did not run on this lead`);
      else if (!t.matched) unmatched.push(t.value.trim() === "" ? `${q(t.field)} is empty` : `${q(t.field)} value ${q(t.value)} matches no value transform (${q(t.label)})`);
    }
    return unmatched.length ? fail(unmatched.join("; ")) : pass("Every value matched its value transform");
  },
};
