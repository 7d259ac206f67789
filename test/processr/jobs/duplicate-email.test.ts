import { describe, expect, it } from "vitest";
import { NOW, parseConfig, runWithHistory, storeLead, unique } from "./helpers";

const CAMPAIGN = "duplicate_email_check";
const PUBLISHER = "duplicate_email_same_publisher_check";

describe("duplicate_email_check (same campaign)", () => {
  it("defaults duplicate_status to Valid and rejects unknown statuses", () => {
    expect(parseConfig(CAMPAIGN, {}).data).toEqual({ duplicate_status: "Valid" });
    expect(parseConfig(CAMPAIGN, { duplicate_status: "valid" }).success).toBe(false);
    expect(parseConfig(CAMPAIGN, { duplicate_status: "Caution" }).success).toBe(false);
  });

  it("passes the first lead with an email and fails a later one matching a Valid lead", async () => {
    const email = `${unique("dup")}@example.org`;
    const first = await storeLead({ email, flag: "Valid", createdTs: NOW - 60_000 });
    expect(await runWithHistory(CAMPAIGN, {}, first)).toMatchObject({ passed: true });
    const second = await storeLead({ email: email.toUpperCase() });
    const out = await runWithHistory(CAMPAIGN, {}, second);
    // The publisher-visible message says no more than that; the match is admin-only detail.
    expect(out).toEqual({
      passed: false,
      message: "Failed duplicate check",
      detail: `Email "${email}" is a duplicate of 1 earlier Valid or unflagged lead in this campaign`,
    });
  });

  it("applies Valid, Billable and All to the earlier leads' status", async () => {
    const caution = `${unique("caution")}@example.org`;
    await storeLead({ email: caution, flag: "Caution", createdTs: NOW - 1000 });
    const l1 = await storeLead({ email: caution });
    expect((await runWithHistory(CAMPAIGN, { duplicate_status: "Valid" }, l1)).passed).toBe(true);
    expect((await runWithHistory(CAMPAIGN, { duplicate_status: "All" }, l1)).passed).toBe(false);

    const validOnly = `${unique("valid")}@example.org`;
    await storeLead({ email: validOnly, flag: "Valid", advertiserBillable: false, createdTs: NOW - 1000 });
    const l2 = await storeLead({ email: validOnly });
    expect((await runWithHistory(CAMPAIGN, { duplicate_status: "Valid" }, l2)).passed).toBe(false);
    expect((await runWithHistory(CAMPAIGN, { duplicate_status: "Billable" }, l2)).passed).toBe(true);

    const billable = `${unique("billable")}@example.org`;
    await storeLead({ email: billable, flag: "Valid", advertiserBillable: true, createdTs: NOW - 1000 });
    const l3 = await storeLead({ email: billable });
    const out = await runWithHistory(CAMPAIGN, { duplicate_status: "Billable" }, l3);
    expect(out).toEqual({
      passed: false,
      message: "Failed duplicate check",
      detail: `Email "${billable}" is a duplicate of 1 earlier Billable or unflagged lead in this campaign`,
    });
  });

  it("counts an earlier lead not flagged yet under every duplicate_status (a double submit)", async () => {
    const email = `${unique("pending")}@example.org`;
    // Captured in the same millisecond: the later id is the duplicate, the earlier one is not.
    const first = await storeLead({ email, flag: null, createdTs: NOW });
    const l = await storeLead({ email, createdTs: NOW });
    for (const duplicate_status of ["Valid", "Billable", "All"]) {
      expect((await runWithHistory(CAMPAIGN, { duplicate_status }, l)).passed, duplicate_status).toBe(false);
      expect((await runWithHistory(CAMPAIGN, { duplicate_status }, first)).passed, duplicate_status).toBe(true);
    }
  });

  it("orders leads by id, not by capture time", async () => {
    const email = `${unique("clock")}@example.org`;
    // Two isolates' clocks disagree: the later id carries the earlier timestamp.
    const first = await storeLead({ email, createdTs: NOW });
    const second = await storeLead({ email, createdTs: NOW - 5 });
    expect((await runWithHistory(CAMPAIGN, {}, second)).passed).toBe(false);
    expect((await runWithHistory(CAMPAIGN, {}, first)).passed).toBe(true);
  });

  it("ignores other campaigns, deleted leads and later leads", async () => {
    const email = `${unique("scope")}@example.org`;
    await storeLead({ email, flag: "Valid", campaignId: 603, formId: 37, createdTs: NOW - 3000 });
    await storeLead({ email, flag: "Valid", deletedTs: NOW - 10, createdTs: NOW - 2000 });
    const l = await storeLead({ email });
    await storeLead({ email, flag: "Valid", createdTs: NOW + 1000 });
    expect(await runWithHistory(CAMPAIGN, { duplicate_status: "All" }, l)).toMatchObject({ passed: true });
  });

  it("passes a lead without an email", async () => {
    const l = await storeLead({ email: null, values: { firstName: "Ada" } });
    expect(await runWithHistory(CAMPAIGN, {}, l)).toEqual({ passed: true, message: "No email captured, nothing to compare" });
  });
});

describe("duplicate_email_same_publisher_check", () => {
  it("fails only when the earlier lead came from the same publisher", async () => {
    const email = `${unique("pub")}@example.org`;
    await storeLead({ email, flag: "Valid", publisherId: 13, createdTs: NOW - 2000 });
    const fromOther = await storeLead({ email, publisherId: 12, createdTs: NOW - 1000 });
    expect(await runWithHistory(PUBLISHER, {}, fromOther)).toMatchObject({ passed: true });
    // The campaign-wide job does see the other publisher's lead.
    expect(await runWithHistory(CAMPAIGN, {}, fromOther)).toMatchObject({ passed: false });

    const again = await storeLead({ email, publisherId: 13 });
    const out = await runWithHistory(PUBLISHER, {}, again);
    expect(out).toEqual({
      passed: false,
      message: "Failed duplicate check",
      detail: `Email "${email}" is a duplicate of 1 earlier Valid or unflagged lead from this publisher in this campaign`,
    });
  });

  it("shares the duplicate_status setting", () => {
    expect(parseConfig(PUBLISHER, { duplicate_status: "All" }).success).toBe(true);
    expect(parseConfig(PUBLISHER, { duplicate_status: "Invalid" }).success).toBe(false);
  });
});
