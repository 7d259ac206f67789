import { describe, expect, it } from "vitest";
import { qaJobs } from "../../src/processr/jobs";
import { cleanData, insertLead, leadRow, processLeads, rows } from "../leads/fixtures";

// The scoring table of the fixture's campaign 601 (jobs 9001-9005, scores 40/30/15/10/5; 9001 is
// a hard fail), run through the queue consumer with the real QA job registry.

interface JobLeadRow { campaign_processr_job_id: number; status: string; score: number; message: string }

async function processed(data: Record<string, string>) {
  const id = await insertLead({ data });
  const result = await processLeads(id);
  expect(result.explicitAcks).toEqual([result.explicitAcks[0]]);
  expect(result.retryMessages).toEqual([]);
  const lead = (await leadRow(id))!;
  const jobs = await rows<JobLeadRow>(
    `SELECT campaign_processr_job_id, status, score, message FROM processr_job_leads WHERE lead_id = ?1 ORDER BY campaign_processr_job_id`,
    id,
  );
  const failed = jobs.filter((j) => j.status === "failed").map((j) => j.campaign_processr_job_id);
  return { id, lead, jobs, failed };
}

describe("Processr scoring of campaign 601", () => {
  it("uses the real registry for every job of the campaign", () => {
    for (const type of ["required_value_check", "duplicate_email_check", "test_data_check", "repeated_character_check", "first_last_name_check"]) {
      expect(qaJobs[type], type).toBeDefined();
    }
  });

  it("all jobs pass → Valid 100/100, complete, billable", async () => {
    const { lead, jobs, failed } = await processed(cleanData());
    expect(failed).toEqual([]);
    expect(jobs.map((j) => [j.campaign_processr_job_id, j.status, j.score])).toEqual([
      [9001, "passed", 40], [9002, "passed", 30], [9003, "passed", 15], [9004, "passed", 10], [9005, "passed", 5],
    ]);
    expect(lead).toMatchObject({
      flag: "Valid", qa_result: "Valid", score: 100, max_score: 100, hardfail: 0, processr_status: 1000,
      advertiser_billable: 1, publisher_billable: 1, advertiser_payout: "10.00", publisher_payout: "5.50",
    });
  });

  it("only Test Data fails → Caution 85", async () => {
    const { lead, failed } = await processed({ ...cleanData(), lastName: "Test" });
    expect(failed).toEqual([9003]);
    expect(lead).toMatchObject({ flag: "Caution", score: 85, max_score: 100, hardfail: 0, advertiser_billable: 0, advertiser_payout: "0.00" });
  });

  it("only Repeated Character fails → Caution 90", async () => {
    const { lead, failed } = await processed({ ...cleanData(), lastName: "Smiiith" });
    expect(failed).toEqual([9004]);
    expect(lead).toMatchObject({ flag: "Caution", score: 90, max_score: 100, hardfail: 0 });
  });

  it("only Duplicate Email fails → Invalid 70", async () => {
    const data = cleanData();
    const first = await processed(data);
    expect(first.lead.flag).toBe("Valid");
    const { lead, failed, jobs } = await processed({ ...data, firstName: "Grace", lastName: "Hopper" });
    expect(failed).toEqual([9002]);
    expect(jobs.find((j) => j.campaign_processr_job_id === 9002)!.message).toMatch(/duplicate/i);
    expect(lead).toMatchObject({ flag: "Invalid", score: 70, max_score: 100, hardfail: 0 });
  });

  it("Required Value fails → Invalid by hard fail, whatever the score", async () => {
    const { lastName: _omit, ...data } = cleanData();
    const { lead, failed } = await processed(data);
    expect(failed).toContain(9001);
    expect(lead).toMatchObject({ flag: "Invalid", qa_result: "Invalid", hardfail: 1, processr_status: 1000 });
    expect(lead.score).toBeLessThanOrEqual(60);
  });

  it("writes one Processr log line per step and one note for the outcome", async () => {
    const { id } = await processed({ ...cleanData(), lastName: "Test" });
    const logs = await rows<{ message: string; level: string; campaign_processr_job_id: number | null }>(
      `SELECT message, level, campaign_processr_job_id FROM logs WHERE lead_id = ?1 AND type = 'processr' ORDER BY id`,
      id,
    );
    expect(logs.map((l) => l.campaign_processr_job_id)).toEqual([null, 9001, 9002, 9003, 9004, 9005, null]);
    expect(logs[3]).toMatchObject({ level: "warning" });
    expect(logs[3]!.message).toMatch(/^Test Data Check: failed — /);
    expect(logs.at(-1)!.message).toBe("Processr outcome: Caution. Score 85/100; failed: Test Data Check.");
    const notes = await rows<{ author: string; from_flag: string | null; to_flag: string; reason: string }>(
      `SELECT author, from_flag, to_flag, reason FROM lead_notes WHERE lead_id = ?1`,
      id,
    );
    expect(notes).toEqual([{ author: "processr", from_flag: null, to_flag: "Caution", reason: "Score 85/100; failed: Test Data Check." }]);
  });
});
