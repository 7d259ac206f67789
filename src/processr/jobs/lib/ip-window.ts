import { z } from "zod";
import type { QaJobDefinition } from "../../types";
import { wholeNumber } from "./config";
import { fail, pass, plural, q } from "./outcome";

// Rapid Post Check (30 s) and Unique IP Address Check (1 h): the same IP on an earlier lead within
// a window. They differ only in the default window.
export function ipWindowJob(def: { type: string; name: string; defaultSeconds: number }) {
  const configSchema = z.strictObject({
    seconds: wholeNumber(1, 30 * 86_400).default(def.defaultSeconds),
    /** "campaign": earlier leads of this campaign only; "enterprise": of any campaign. */
    scope: z.enum(["campaign", "enterprise"]).default("campaign"),
  });
  const job: QaJobDefinition<z.infer<typeof configSchema>> = {
    kind: "qa",
    type: def.type,
    catalogueId: null,
    name: def.name,
    configSchema,
    async run(lead, config, ctx) {
      const ip = lead.ip?.trim();
      if (!ip) return pass("No IP address recorded, nothing to compare");
      const n = await ctx.history.countOtherLeads({
        lead,
        ip,
        campaignId: config.scope === "campaign" ? lead.campaignId : undefined,
        sinceTs: lead.createdTs - config.seconds * 1000,
      });
      const where = config.scope === "campaign" ? " in this campaign" : "";
      const window = `the ${plural(config.seconds, "second")} before it`;
      if (n > 0) return fail(`IP address ${q(ip)} sent ${plural(n, "other lead")}${where} in ${window}`);
      return pass(`No other lead from IP address ${q(ip)}${where} in ${window}`);
    },
  };
  return job;
}
