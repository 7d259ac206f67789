import { describe, expect, it } from "vitest";
import fixture from "../../demo/enterprises.json";
import { integrationJobs } from "../../src/integrations";

// The demo's integration jobs are written into D1 by the seed without going through the v4 write,
// so their configs are held here to what that write accepts (a POST HTTP integration names an adaptor).
describe("demo/enterprises.json integration jobs", () => {
  it("each parse with their job's config schema", () => {
    const jobs = Object.values(fixture.enterprises).flatMap((e) =>
      e.campaigns.flatMap((c) => c.processrJobs as { id: number; type: string; config: unknown }[]),
    );
    const integrations = jobs.filter((j) => Object.hasOwn(integrationJobs, j.type));
    expect(integrations.length).toBeGreaterThanOrEqual(1);
    for (const j of integrations) {
      const parsed = integrationJobs[j.type]!.configSchema.safeParse(j.config);
      expect(parsed.error?.issues ?? [], `job ${j.id} (${j.type})`).toEqual([]);
    }
  });
});
