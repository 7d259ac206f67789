import { z } from "zod";
import type { QaJobDefinition } from "../types";
import { wholeNumber } from "./lib/config";
import { leadEmail } from "./lib/fields";
import { fail, pass, plural, q } from "./lib/outcome";

// Convertr: "the email has been submitted more than once in a time period within the same
// category". leadflare has no campaign categories, so the scope is every campaign by default.
const configSchema = z.strictObject({
  /** The most leads one email may send within the period, this one included. */
  limit: wholeNumber(1, 1000).default(1),
  periodHours: wholeNumber(1, 24 * 366).default(24),
  scope: z.enum(["enterprise", "campaign"]).default("enterprise"),
});

export const userOveractivityCheck: QaJobDefinition<z.infer<typeof configSchema>> = {
  kind: "qa",
  type: "user_overactivity_check",
  catalogueId: null,
  name: "User Overactivity Check",
  configSchema,
  async run(lead, config, ctx) {
    const email = leadEmail(lead);
    if (email === undefined) return pass("No email captured, nothing to count");
    const earlier = await ctx.history.countOtherLeads({
      lead,
      email,
      campaignId: config.scope === "campaign" ? lead.campaignId : undefined,
      sinceTs: lead.createdTs - config.periodHours * 3_600_000,
    });
    const period = `the ${plural(config.periodHours, "hour")} before it`;
    // Like the duplicate checks: the counts (other leads of this email) are admin-only detail.
    if (earlier >= config.limit) {
      return {
        ...fail("Failed user overactivity check"),
        detail: `Email ${q(email)} sent ${plural(earlier, "other lead")} in ${period} (limit ${plural(config.limit, "lead")})`,
      };
    }
    return { ...pass("Passed user overactivity check"), detail: `Email ${q(email)} sent ${plural(earlier, "other lead")} in ${period}` };
  },
};
