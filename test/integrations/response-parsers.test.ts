import { describe, expect, it } from "vitest";
import { extractResponseValue, isTruthyValue, parseXml, ResponseParseError } from "../../src/integrations/response-parsers";

describe("JSON responses", () => {
  it("reads a top-level key, a nested path and an array index", () => {
    const body = JSON.stringify({ success: true, data: { list_id: 42, ids: ["a", "b"] } });
    expect(extractResponseValue("JSON", body, "success")).toBe("true");
    expect(extractResponseValue("JSON", body, "data.list_id")).toBe("42");
    expect(extractResponseValue("JSON", body, "data.ids.1")).toBe("b");
    expect(extractResponseValue("JSON", body, "data.ids")).toBe('["a","b"]');
  });

  it("returns null for a missing key and refuses a body that is not JSON", () => {
    expect(extractResponseValue("JSON", '{"result":false}', "lead_id")).toBeNull();
    expect(extractResponseValue("JSON", '{"a":null}', "a")).toBeNull();
    expect(() => extractResponseValue("JSON", "<ok/>", "a")).toThrow(ResponseParseError);
  });

  it("does not walk into the prototype", () => {
    expect(extractResponseValue("JSON", "{}", "constructor")).toBeNull();
  });
});

describe("XML responses", () => {
  const doc = `<?xml version="1.0"?>
    <!-- vendor answer -->
    <Response status="ok">
      <Values><value>value1</value><value>value2</value><value>v&amp;3</value></Values>
      <lead id="77"><leadId>12345</leadId></lead>
      <note><![CDATA[a <b> c]]></note>
    </Response>`;

  it("finds a bare name at any depth, walks a path, indexes siblings and reads attributes", () => {
    expect(extractResponseValue("XML", doc, "leadId")).toBe("12345");
    expect(extractResponseValue("XML", doc, "Response.lead.leadId")).toBe("12345");
    expect(extractResponseValue("XML", doc, "Response.Values.value.1")).toBe("value2");
    expect(extractResponseValue("XML", doc, "Response.Values.value.2")).toBe("v&3");
    expect(extractResponseValue("XML", doc, "Response.@status")).toBe("ok");
    expect(extractResponseValue("XML", doc, "Response.lead.@id")).toBe("77");
    expect(extractResponseValue("XML", doc, "note")).toBe("a <b> c");
    expect(extractResponseValue("XML", doc, "missing")).toBeNull();
  });

  it("reads namespaced elements by local name", () => {
    expect(extractResponseValue("XML", '<s:Envelope xmlns:s="x"><s:Body><r:id xmlns:r="y">9</r:id></s:Body></s:Envelope>', "id")).toBe("9");
  });

  it("refuses malformed documents", () => {
    expect(() => parseXml("<a><b></a>")).toThrow(ResponseParseError);
    expect(() => parseXml("<a>")).toThrow(/Unclosed/);
    expect(() => parseXml("just text")).toThrow(ResponseParseError);
    expect(() => parseXml("<a/><b/>")).toThrow(ResponseParseError);
  });
});

describe("TEXT responses", () => {
  it("reads key=value and key: value entries split by the delimiter or line breaks", () => {
    expect(extractResponseValue("TEXT", "status=ok|lead_id=991", "lead_id", "|")).toBe("991");
    expect(extractResponseValue("TEXT", "success: true\nid: 5", "id")).toBe("5");
    expect(extractResponseValue("TEXT", "a=1,b=2", "b")).toBe("2");
  });

  it("reads an entry by 0-based index when the key is a number", () => {
    expect(extractResponseValue("TEXT", "value1,value2,value3", "1")).toBe("value2");
    expect(extractResponseValue("TEXT", "value1;value2", "1", ";")).toBe("value2");
    expect(extractResponseValue("TEXT", "value1", "3")).toBeNull();
    expect(extractResponseValue("TEXT", "a=1", "b")).toBeNull();
  });
});

describe("success-rule truthiness", () => {
  it("treats empty and false-like values as absent", () => {
    for (const v of [null, "", "false", "0", "NULL", " no "]) expect(isTruthyValue(v)).toBe(false);
    for (const v of ["true", "1", "12345", "ok"]) expect(isTruthyValue(v)).toBe(true);
  });
});
