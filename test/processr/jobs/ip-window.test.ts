import { describe, expect, it } from "vitest";
import { NOW, parseConfig, runWithHistory, storeLead } from "./helpers";

let octet = 1;
const freshIp = () => `203.0.113.${octet++}`;

describe("rapid_post_check (same IP within 30 s)", () => {
  const T = "rapid_post_check";

  it("defaults to 30 seconds within the campaign", () => {
    expect(parseConfig(T, {}).data).toEqual({ seconds: 30, scope: "campaign" });
  });

  it("fails a lead 29 s after another from the same IP and passes one 31 s after", async () => {
    const ip = freshIp();
    await storeLead({ ip, createdTs: NOW - 29_000 });
    const rapid = await storeLead({ ip });
    expect(await runWithHistory(T, {}, rapid)).toEqual({
      passed: false,
      message: `IP address "${ip}" sent 1 other lead in this campaign in the 30 seconds before it`,
    });

    const ip2 = freshIp();
    await storeLead({ ip: ip2, createdTs: NOW - 31_000 });
    expect(await runWithHistory(T, {}, await storeLead({ ip: ip2 }))).toMatchObject({ passed: true });
  });

  it("sees other campaigns only with scope=enterprise, and ignores other IPs and deleted leads", async () => {
    const ip = freshIp();
    await storeLead({ ip, campaignId: 603, formId: 37, createdTs: NOW - 5_000 });
    await storeLead({ ip, deletedTs: NOW - 1, createdTs: NOW - 4_000 });
    await storeLead({ ip: freshIp(), createdTs: NOW - 3_000 });
    const l = await storeLead({ ip });
    expect((await runWithHistory(T, {}, l)).passed).toBe(true);
    const out = await runWithHistory(T, { scope: "enterprise" }, l);
    expect(out).toEqual({ passed: false, message: `IP address "${ip}" sent 1 other lead in the 30 seconds before it` });
  });

  it("passes a lead without an IP and rejects bad windows", async () => {
    expect(await runWithHistory(T, {}, await storeLead({ ip: null }))).toMatchObject({ passed: true });
    expect(parseConfig(T, { seconds: 0 }).success).toBe(false);
    expect(parseConfig(T, { scope: "publisher" }).success).toBe(false);
  });
});

describe("unique_ip_check (same IP within 1 h)", () => {
  const T = "unique_ip_check";

  it("defaults to one hour", () => {
    expect(parseConfig(T, {}).data).toEqual({ seconds: 3600, scope: "campaign" });
  });

  it("fails within the hour and passes after it", async () => {
    const ip = freshIp();
    await storeLead({ ip, createdTs: NOW - 59 * 60_000 });
    await storeLead({ ip, createdTs: NOW - 30 * 60_000 });
    const out = await runWithHistory(T, {}, await storeLead({ ip }));
    expect(out).toEqual({
      passed: false,
      message: `IP address "${ip}" sent 2 other leads in this campaign in the 3600 seconds before it`,
    });

    const ip2 = freshIp();
    await storeLead({ ip: ip2, createdTs: NOW - 61 * 60_000 });
    expect((await runWithHistory(T, {}, await storeLead({ ip: ip2 }))).passed).toBe(true);
    expect((await runWithHistory(T, { seconds: "7200" }, await storeLead({ ip: ip2, createdTs: NOW + 1 }))).passed).toBe(false);
  });
});
