import type { Context, Hono } from "hono";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";
import { API_PREFIX, DOCS_PATH, HYDRA, ld, vocab } from "./jsonld";
import type { Range, ResourceDef } from "./resource";

// The Hydra API documentation, the entrypoint and the JSON-LD contexts, all generated from the
// resource declarations, in the form API Platform serves and @api-platform/api-doc-parser reads
// (API Platform's documentation): inline contexts, one shared @vocab, absolute Link header.

const lcFirst = (s: string) => s[0]!.toLowerCase() + s.slice(1);

const XMLS: Record<string, string> = {
  string: "xmls:string",
  integer: "xmls:integer",
  boolean: "xmls:boolean",
  dateTime: "xmls:dateTime",
  money: "xmls:string",
};

function refType(range: Range): { type: string; many: boolean; link: boolean } | null {
  if (typeof range === "string") return null;
  if ("link" in range) return { type: range.link, many: false, link: true };
  if ("links" in range) return { type: range.links, many: true, link: true };
  if ("embed" in range) return { type: range.embed, many: false, link: false };
  return { type: range.embedMany, many: true, link: false };
}

const baseContext = (c: Context) => ({ "@vocab": vocab(c), hydra: HYDRA });

function resourceContext(c: Context, def: ResourceDef) {
  const ctx: Record<string, unknown> = baseContext(c);
  for (const [name, f] of Object.entries(def.fields)) {
    const ref = refType(f.range);
    ctx[name] = ref?.link ? { "@id": `${def.type}/${name}`, "@type": "@id" } : `${def.type}/${name}`;
  }
  return ctx;
}

function entrypointContext(c: Context, defs: ResourceDef[]) {
  const ctx: Record<string, unknown> = baseContext(c);
  for (const d of defs) ctx[lcFirst(d.type)] = { "@id": `Entrypoint/${lcFirst(d.type)}`, "@type": "@id" };
  return ctx;
}

// A Map, never a plain object: the type comes from the URL, and a plain object would answer
// "constructor" with Object.prototype.constructor, which serialised the Hono context (and env).
const STATIC_CONTEXTS = new Map<string, (c: Context) => Record<string, unknown>>([
  ["Error", (c) => ({ ...baseContext(c), title: "hydra:title", description: "hydra:description" })],
  [
    "ConstraintViolationList",
    (c) => ({
      ...baseContext(c),
      violations: "ConstraintViolationList/violations",
      propertyPath: "ConstraintViolationList/propertyPath",
      message: "ConstraintViolationList/message",
    }),
  ],
]);

function op(method: string, title: string, returns: string, expects?: string) {
  return {
    "@type": ["hydra:Operation", ...(method === "POST" ? ["schema:CreateAction"] : [])],
    "hydra:method": method,
    "hydra:title": title,
    "rdfs:label": title,
    ...(expects ? { expects } : {}),
    returns,
  };
}

function supportedClass(def: ResourceDef) {
  const cls = `#${def.type}`;
  const properties = Object.entries(def.fields).map(([name, f]) => {
    const ref = refType(f.range);
    const range = ref ? `#${ref.type}` : XMLS[f.range as string];
    return {
      "@type": "hydra:SupportedProperty",
      "hydra:property": {
        "@id": `#${def.type}/${name}`,
        "@type": ref?.link ? "hydra:Link" : "rdf:Property",
        "rdfs:label": name,
        domain: cls,
        ...(range ? { range } : {}),
        ...(ref && !ref.many ? { "owl:maxCardinality": 1 } : {}),
      },
      "hydra:title": name,
      ...(f.description ? { "hydra:description": f.description } : {}),
      "hydra:required": f.required ?? false,
      "hydra:readable": true,
      "hydra:writeable": f.writable ?? false,
    };
  });
  const ops = [op("GET", `Retrieves a ${def.type} resource.`, cls)];
  if (def.update) ops.push(op("PUT", `Replaces the ${def.type} resource.`, cls, cls));
  if (def.patch) ops.push(op("PATCH", `Updates the ${def.type} resource.`, cls, cls));
  if (def.remove) ops.push(op("DELETE", `Deletes the ${def.type} resource.`, "owl:Nothing"));
  return {
    "@id": cls,
    "@type": "hydra:Class",
    "rdfs:label": def.type,
    "hydra:title": def.type,
    "hydra:description": def.description,
    "hydra:supportedProperty": properties,
    "hydra:supportedOperation": ops,
  };
}

function entrypointClass(defs: ResourceDef[]) {
  return {
    "@id": "#Entrypoint",
    "@type": "hydra:Class",
    "hydra:title": "The API entrypoint",
    "hydra:supportedProperty": defs.map((d) => ({
      "@type": "hydra:SupportedProperty",
      "hydra:property": {
        "@id": `#Entrypoint/${lcFirst(d.type)}`,
        "@type": "hydra:Link",
        domain: "#Entrypoint",
        "rdfs:label": `The collection of ${d.type} resources`,
        "rdfs:range": [
          { "@id": "hydra:Collection" },
          { "owl:equivalentClass": { "owl:onProperty": { "@id": "hydra:member" }, "owl:allValuesFrom": { "@id": `#${d.type}` } } },
        ],
        "hydra:supportedOperation": [
          op("GET", `Retrieves the collection of ${d.type} resources.`, "hydra:Collection"),
          ...(d.create ? [op("POST", `Creates a ${d.type} resource.`, `#${d.type}`, `#${d.type}`)] : []),
        ],
      },
      "hydra:title": d.path,
      "hydra:description": `The collection of ${d.type} resources`,
      "hydra:readable": true,
      "hydra:writeable": false,
    })),
    "hydra:supportedOperation": op("GET", "The API entrypoint.", "#Entrypoint"),
  };
}

const violationClass = {
  "@id": "#ConstraintViolationList",
  "@type": "hydra:Class",
  "hydra:title": "A constraint violation list",
  "hydra:supportedProperty": ["propertyPath", "message"].map((p) => ({
    "@type": "hydra:SupportedProperty",
    "hydra:property": { "@id": `#ConstraintViolationList/${p}`, "@type": "rdf:Property", "rdfs:label": p, domain: "#ConstraintViolationList", range: "xmls:string" },
    "hydra:title": p,
    "hydra:required": false,
    "hydra:readable": true,
    "hydra:writeable": false,
  })),
};

function docs(c: Context, defs: ResourceDef[], title: string, description: string) {
  return {
    "@context": {
      "@vocab": vocab(c),
      hydra: HYDRA,
      rdf: "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
      rdfs: "http://www.w3.org/2000/01/rdf-schema#",
      xmls: "http://www.w3.org/2001/XMLSchema#",
      owl: "http://www.w3.org/2002/07/owl#",
      schema: "https://schema.org/",
      domain: { "@id": "rdfs:domain", "@type": "@id" },
      range: { "@id": "rdfs:range", "@type": "@id" },
      subClassOf: { "@id": "rdfs:subClassOf", "@type": "@id" },
      expects: { "@id": "hydra:expects", "@type": "@id" },
      returns: { "@id": "hydra:returns", "@type": "@id" },
    },
    "@id": DOCS_PATH,
    "@type": "hydra:ApiDocumentation",
    "hydra:title": title,
    "hydra:description": description,
    "hydra:entrypoint": API_PREFIX,
    "hydra:supportedClass": [...defs.map(supportedClass), entrypointClass(defs), violationClass],
  };
}

/** Public routes: `/api/v4` (entrypoint), `/api/v4/docs.jsonld`, `/api/v4/contexts/{Type}`. */
export function mountHydraDocs(app: Hono<AppEnv>, defs: ResourceDef[], info: { title: string; description: string }) {
  app.get("/", (c) =>
    ld(c, {
      "@context": `${API_PREFIX}/contexts/Entrypoint`,
      "@id": API_PREFIX,
      "@type": "Entrypoint",
      ...Object.fromEntries(defs.map((d) => [lcFirst(d.type), `${API_PREFIX}/${d.path}`])),
    }),
  );
  app.get("/docs.jsonld", (c) => ld(c, docs(c, defs, info.title, info.description)));
  app.get("/contexts/:type{[A-Za-z]+}", (c) => {
    const type = c.req.param("type");
    const def = defs.find((d) => d.type === type);
    const body =
      type === "Entrypoint"
        ? entrypointContext(c, defs)
        : def
          ? resourceContext(c, def)
          : STATIC_CONTEXTS.get(type)?.(c);
    if (!body) throw new ApiError("NOT_FOUND", `No context for "${type}".`);
    return ld(c, { "@context": body });
  });
}
