import { describe, expect, it } from "vitest";
import { lead, parseConfig, runJob } from "./helpers";

const T = "simple_conditional_validation";
const run = (operator: string, values: unknown, v: string | undefined, field = "country") =>
  runJob(T, { field, operator, values }, lead(v === undefined ? {} : { [field]: v }));

describe("simple_conditional_validation", () => {
  it.each([
    ["STARTSWITH", "Mr,Dr", "dr Who", "Ms X"],
    ["ENDSWITH", ".org, .gov", "ada@example.ORG", "ada@example.com"],
    ["CONTAINS", ["manager"], "Senior Manager, EMEA", "Director"],
    ["EXISTS", "United Kingdom,France,Germany", "france", "Fr"],
    ["EQUAL", ["10", "20"], "10.0", "15"],
    ["NOTEQUAL", "spam,junk", "Acme", "junk"],
    ["GREATERTHAN", "100", "100.5", "100"],
    ["LESSTHAN", "50", "50", "50.01"],
  ])("%s %j: passes %j, fails %j", async (operator, values, good, bad) => {
    expect((await run(operator, values, good)).passed).toBe(true);
    expect((await run(operator, values, bad)).passed).toBe(false);
  });

  it("explains a failure with the field, value, operator and values", async () => {
    expect(await run("EXISTS", "UK,FR", "DE")).toEqual({ passed: false, message: '"country" "DE" is not in the list "UK", "FR"' });
    expect(await run("GREATERTHAN", "18", "abc", "age")).toEqual({ passed: false, message: '"age" is not a number: "abc"' });
    const many = Array.from({ length: 7 }, (_, i) => `v${i}`);
    expect((await run("EQUAL", many, "x")).message).toBe('"country" "x" is not equal to "v0", "v1", "v2", "v3", "v4" … (7 values)');
  });

  it("treats EQUAL as exact for text and numeric for numbers", async () => {
    expect((await run("EQUAL", "UK", "uk")).passed).toBe(false);
    expect((await run("EQUAL", "007", "7")).passed).toBe(true);
  });

  it("fails an empty field except for NOTEQUAL", async () => {
    expect(await run("CONTAINS", "a", undefined)).toEqual({ passed: false, message: '"country" is empty' });
    expect((await run("EXISTS", "a", "  ")).passed).toBe(false);
    expect((await run("NOTEQUAL", "a", undefined)).passed).toBe(true);
  });

  it("finds nested fields by their inner name", async () => {
    const out = await runJob(T, { field: "postcode", operator: "STARTSWITH", values: "SW,EC" }, lead({ "lookup[postcode]": "SW1A 1AA" }));
    expect(out).toEqual({ passed: true, message: '"lookup[postcode]" "SW1A 1AA" meets STARTSWITH "SW", "EC"' });
  });

  it("validates the config: field, operator, 1 to 200 values, one number for comparisons", () => {
    expect(parseConfig(T, {}).success).toBe(false);
    expect(parseConfig(T, { field: "x", operator: "LIKE", values: "a" }).success).toBe(false);
    expect(parseConfig(T, { field: "x", operator: "equal", values: "a" }).data).toMatchObject({ operator: "EQUAL" });
    expect(parseConfig(T, { field: "x", operator: "EQUAL", values: "" }).success).toBe(false);
    const v200 = Array.from({ length: 200 }, (_, i) => `v${i}`);
    expect(parseConfig(T, { field: "x", operator: "EXISTS", values: v200.join(",") }).success).toBe(true);
    expect(parseConfig(T, { field: "x", operator: "EXISTS", values: [...v200, "v200"] }).success).toBe(false);
    expect(parseConfig(T, { field: "x", operator: "GREATERTHAN", values: "1,2" }).success).toBe(false);
    expect(parseConfig(T, { field: "x", operator: "LESSTHAN", values: "ten" }).success).toBe(false);
  });
});
