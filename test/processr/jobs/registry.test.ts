import { describe, expect, it } from "vitest";
import fixture from "../../../demo/enterprises.json";
import { qaJobs } from "../../../src/processr/jobs";
import { integrationJobs } from "../../../src/integrations";

const KEYS = [
  "required_value_check",
  "duplicate_email_check",
  "duplicate_email_same_publisher_check",
  "test_data_check",
  "first_last_name_check",
  "first_last_name_length_check",
  "repeated_character_check",
  "non_standard_character_check",
  "vowel_check",
  "multiple_empty_fields_check",
  "multiple_short_values_check",
  "repeated_value_check",
  "telephone_format_check",
  "profanity_check",
  "rapid_post_check",
  "unique_ip_check",
  "user_overactivity_check",
  "simple_conditional_validation",
  "field_not_empty",
  "field_length_check",
  "lead_within_time_period",
  "validation_list_check",
  "value_transforms",
];

describe("qaJobs registry", () => {
  it("registers exactly the job types of issue 4, the Validation List Check and Value Transforms, each under its own key", () => {
    expect(Object.keys(qaJobs).sort()).toEqual([...KEYS].sort());
    for (const [key, job] of Object.entries(qaJobs)) {
      expect(job.type).toBe(key);
      expect(job.kind).toBe("qa");
      expect(job.name).not.toBe("");
    }
  });

  it("keeps Convertr's catalogue ids where it has them", () => {
    const ids = Object.fromEntries(Object.values(qaJobs).map((j) => [j.type, j.catalogueId]));
    expect(ids).toMatchObject({
      duplicate_email_check: 1001,
      test_data_check: 1003,
      first_last_name_check: 1004,
      non_standard_character_check: 1006,
      repeated_character_check: 1007,
      multiple_empty_fields_check: 1011,
      duplicate_email_same_publisher_check: 1091,
      field_not_empty: 1109,
      simple_conditional_validation: 1115,
      field_length_check: 1116,
      validation_list_check: 1118,
      value_transforms: 1090,
    });
  });

  it("parses the config of every QA job in demo/enterprises.json", () => {
    const jobs = Object.values(fixture.enterprises).flatMap((e) =>
      e.campaigns.flatMap((c) => c.processrJobs as { type: string; config: unknown }[]),
    );
    const qa = jobs.filter((j) => !(j.type in integrationJobs));
    expect(qa.length).toBeGreaterThanOrEqual(6);
    for (const j of qa) {
      const job = qaJobs[j.type];
      expect(job, `job type ${j.type}`).toBeDefined();
      expect(job!.configSchema.safeParse(j.config).success, `config of ${j.type}`).toBe(true);
    }
  });

  it("accepts a minimal config and rejects it with an unknown setting added (a typo never passes silently)", () => {
    const minimal: Record<string, Record<string, unknown>> = {
      simple_conditional_validation: { field: "country", operator: "EXISTS", values: "UK" },
      field_not_empty: { field: "company" },
      field_length_check: { field: "company", minLength: 2 },
      lead_within_time_period: { maxAgeDays: 7 },
      value_transforms: { transforms: ["/api/v4/advertiser-value-transforms/4"] },
    };
    for (const job of Object.values(qaJobs)) {
      const config = minimal[job.type] ?? {};
      expect(job.configSchema.safeParse(config).success, job.type).toBe(true);
      expect(job.configSchema.safeParse({ ...config, ignoreFeilds: ["x"] }).success, job.type).toBe(false);
    }
  });
});
