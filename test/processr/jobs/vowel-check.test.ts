import { describe, expect, it } from "vitest";
import { lead, parseConfig, runJob } from "./helpers";

const T = "vowel_check";

describe("vowel_check", () => {
  it("passes names with vowels (y and accents count), short names and other scripts", async () => {
    expect(parseConfig(T, {}).data).toEqual({ fields: ["firstName", "lastName"], minLetters: 3 });
    for (const [firstName, lastName] of [
      ["Glyn", "Lynn"],
      ["Élodie", "Ørsted"],
      ["Li", "Ng"],
      ["李", "小龙"],
    ]) {
      expect((await runJob(T, {}, lead({ firstName, lastName }))).passed, `${firstName} ${lastName}`).toBe(true);
    }
  });

  it("fails a configured field without vowels", async () => {
    expect(await runJob(T, {}, lead({ firstName: "Ada", lastName: "Brdk" }))).toEqual({
      passed: false,
      message: '"lastName" has no vowels: "Brdk"',
    });
    expect((await runJob(T, { fields: "company" }, lead({ lastName: "Brdk", company: "XYZ" }))).passed).toBe(true);
    expect((await runJob(T, { fields: "company" }, lead({ company: "BCD" }))).passed).toBe(false);
  });

  it("honours minLetters and rejects an empty field list", async () => {
    expect((await runJob(T, { minLetters: 2 }, lead({ lastName: "Ng" }))).passed).toBe(false);
    expect(parseConfig(T, { fields: [] }).success).toBe(false);
    expect(parseConfig(T, { minLetters: 0 }).success).toBe(false);
  });
});
