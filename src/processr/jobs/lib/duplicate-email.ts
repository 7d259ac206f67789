import { z } from "zod";
import type { QaJobDefinition } from "../../types";
import { leadEmail } from "./fields";
import { fail, pass, plural, q } from "./outcome";

// Duplicate Email Check (1001) and Duplicate Email For Same Publisher (1091) differ only in scope.
// duplicate_status says which earlier leads count (Convertr's Processr job documentation): Valid = earlier Valid leads
// (billable ones included); Billable = earlier advertiser-billable Valid leads; All = every earlier
// lead that is not deleted, whatever its status. Under Valid and Billable an earlier lead that has
// no flag yet (captured, being processed, held) counts too: it may still become Valid, and
// otherwise a double submit processed in one queue batch, or before the first is flagged, would
// pass twice. "Earlier" is by lead id, so of two leads the later one is the duplicate.
//
// A publisher learns only that its lead failed the duplicate check: how many earlier leads and
// which kind is admin-only detail (it would tell the publisher what the campaign already holds).

export const DUPLICATE_STATUSES = ["Valid", "Billable", "All"] as const;
const configSchema = z.strictObject({
  duplicate_status: z.enum(DUPLICATE_STATUSES).default("Valid"),
});
export type DuplicateEmailConfig = z.infer<typeof configSchema>;

const FLAGS = { Valid: ["Valid", null], Billable: ["Billable", null], All: undefined } as const;

export const DUPLICATE_FAILED = "Failed duplicate check";
export const DUPLICATE_PASSED = "Passed duplicate check";

export function duplicateEmailJob(def: {
  type: string;
  catalogueId: number;
  name: string;
  samePublisher: boolean;
}): QaJobDefinition<DuplicateEmailConfig> {
  const scope = def.samePublisher ? "from this publisher in this campaign" : "in this campaign";
  return {
    kind: "qa",
    type: def.type,
    catalogueId: def.catalogueId,
    name: def.name,
    configSchema,
    async run(lead, config, ctx) {
      const email = leadEmail(lead);
      if (email === undefined) return pass("No email captured, nothing to compare");
      const status = config.duplicate_status;
      const n = await ctx.history.countOtherLeads({
        lead,
        campaignId: lead.campaignId,
        publisherId: def.samePublisher ? lead.publisherId : undefined,
        email,
        flags: FLAGS[status] ? [...FLAGS[status]] : undefined,
      });
      const which = status === "All" ? "" : ` ${status} or unflagged`;
      if (n > 0) {
        return { ...fail(DUPLICATE_FAILED), detail: `Email ${q(email)} is a duplicate of ${plural(n, `earlier${which} lead`)} ${scope}` };
      }
      return { ...pass(DUPLICATE_PASSED), detail: `Email ${q(email)} is unique ${scope}` };
    },
  };
}
