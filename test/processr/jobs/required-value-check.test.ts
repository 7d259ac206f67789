import { describe, expect, it } from "vitest";
import { lead, parseConfig, runJob } from "./helpers";

const T = "required_value_check";
const full = { firstName: "Ada", lastName: "Lovelace", email: "ada@example.org" };

describe("required_value_check", () => {
  it("passes when every default field (firstName, lastName, email) has a value", async () => {
    expect(parseConfig(T, {}).data).toEqual({ fields: ["firstName", "lastName", "email"] });
    expect(await runJob(T, {}, lead(full))).toMatchObject({ passed: true });
  });

  it("fails naming each field that is empty or was not captured", async () => {
    const out = await runJob(T, {}, lead({ firstName: "Ada", lastName: "   " }));
    expect(out.passed).toBe(false);
    expect(out.message).toBe('Required value missing: "lastName" is empty; "email" was not captured');
  });

  it("checks the configured fields, nested ones by their inner name", async () => {
    const config = { fields: "surname, postcode" };
    expect(await runJob(T, config, lead({ surname: "Hopper", "lookup[postcode]": "SW1A 1AA" }))).toMatchObject({ passed: true });
    const out = await runJob(T, config, lead({ surname: "Hopper", "lookup[postcode]": "" }));
    expect(out).toEqual({ passed: false, message: 'Required value missing: "lookup[postcode]" is empty' });
  });

  it("names the field when it checks only one, instead of \"All 1 required fields\"", async () => {
    expect(await runJob(T, { fields: ["firstName"] }, lead(full))).toEqual({ passed: true, message: '"firstName" has a value' });
    expect(await runJob(T, { fields: ["postcode"] }, lead({ "lookup[postcode]": "SW1A 1AA" }))).toEqual({ passed: true, message: '"lookup[postcode]" has a value' });
  });

  it("rejects an empty field list and non-string fields", () => {
    expect(parseConfig(T, { fields: [] }).success).toBe(false);
    expect(parseConfig(T, { fields: " , " }).success).toBe(false);
    expect(parseConfig(T, { fields: [1] }).success).toBe(false);
  });
});
