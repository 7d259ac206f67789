import { beforeAll, describe, expect, it } from "vitest";
import { call } from "../helpers";
import { addLeads, get, tokens } from "./fixtures";

let t: Awaited<ReturnType<typeof tokens>>;
beforeAll(async () => {
  await addLeads();
  t = await tokens();
});

const json = async (path: string) => (await (await call(path)).json()) as Record<string, any>;

describe("entrypoint, contexts and docs.jsonld", () => {
  it("serves them without a token, as JSON-LD, with the documentation link", async () => {
    for (const path of ["/api/v4", "/api/v4/docs.jsonld", "/api/v4/contexts/Entrypoint", "/api/v4/contexts/Lead", "/api/v4/contexts/Error"]) {
      const res = await call(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("Content-Type")).toBe("application/ld+json; charset=utf-8");
      expect(res.headers.get("Link")).toBe('<http://127.0.0.1:8787/api/v4/docs.jsonld>; rel="http://www.w3.org/ns/hydra/core#apiDocumentation"');
    }
    expect((await call("/api/v4/contexts/Nothing")).status).toBe(404);
  });

  it("documents every property each collection renders, and every entrypoint collection answers", async () => {
    const entrypoint = await json("/api/v4");
    const docs = await json("/api/v4/docs.jsonld");
    expect(docs["@context"]["@vocab"]).toBe("http://127.0.0.1:8787/api/v4/docs.jsonld#");
    const classes = Object.fromEntries(docs["hydra:supportedClass"].map((c: any) => [c["@id"], c]));
    const entry = classes["#Entrypoint"]["hydra:supportedProperty"].map((p: any) => p["hydra:property"]["@id"]);
    const collections = Object.entries(entrypoint).filter(([k]) => !k.startsWith("@"));
    expect(collections.length).toBeGreaterThanOrEqual(20);
    for (const [key, path] of collections) {
      expect(entry).toContain(`#Entrypoint/${key}`);
      const { status, body } = await get(`${path}?itemsPerPage=100`, t.admin);
      expect(status, String(path)).toBe(200);
      const type = body["@context"].split("/").pop();
      const documented = classes[`#${type}`]["hydra:supportedProperty"].map((p: any) => p["hydra:title"]);
      const context = (await json(body["@context"]))["@context"];
      for (const member of body["hydra:member"]) {
        for (const k of Object.keys(member).filter((k) => !k.startsWith("@"))) {
          expect(documented, `${type}.${k}`).toContain(k);
          expect(context[k], `context ${type}.${k}`).toBeDefined();
        }
      }
    }
  });
});
