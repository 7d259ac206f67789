import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { beforeAll, describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { plainJson, plainJsonBodies, UnsafeResponseBody } from "../../src/http/plain-json";
import type { ProcessrMessage } from "../../src/processr/messages";
import { resources } from "../../src/routes/v4/resources";
import { DEMO } from "../helpers";
import { fakeQueue, formBody, KEYS, leadsPath, SIMPLE } from "../publisher/support";
import { fetchWith } from "../ratelimit/app-fetch";

// Names that a plain object answers from Object.prototype. Each goes into every path parameter of
// every mounted route (enumerated from the app, so new routes are covered without editing this
// file), into query keys and body keys, and into every filter, order and writable field of every
// v4 resource, as anonymous, as a publisher and as an admin. No answer may be a 5xx, and none may
// carry a secret of the deployment: /api/v4/contexts/constructor once answered with the Hono
// context, env and all.

const NAMES = ["constructor", "__proto__", "prototype", "toString", "valueOf", "hasOwnProperty"] as const;
type Who = "anon" | "publisher" | "admin";
/** Each sweep sends thousands of requests: more than the suite's 30 s default on a busy machine. */
const SWEEP_MS = 180_000;
const WHO: Who[] = ["anon", "publisher", "admin"];

const random = (label: string) => `${label}-${crypto.randomUUID()}${crypto.randomUUID()}`;
const SECRETS = {
  JWT_SECRET: random("jwt"),
  WEBHOOK_KEY: random("webhook"),
  TWILIO_ACCOUNT_SID: random("AC"),
  TWILIO_AUTH_TOKEN: random("twilio"),
};
const SYNC_SECRET = `whsec_${btoa(random("sync").slice(0, 48))}`;
const vars = {
  ...SECRETS,
  TWILIO_FROM: "+15005550006",
  PROCESSR_QUEUE: fakeQueue() as unknown as Queue<ProcessrMessage>,
  RATE_LIMIT_TOTAL: "1000000000",
  RATE_LIMIT_LOGIN: "1000000000",
  RATE_LIMIT_LEAD_RESULT: "1000000000",
};
const secretValues = () => [...Object.values(SECRETS), SYNC_SECRET];

const tokens: Record<Who, string> = { anon: "", publisher: "", admin: "" };
const headersOf = (who: Who): Record<string, string> => (who === "anon" ? {} : { Authorization: `Bearer ${tokens[who]}` });
/** Values for path parameters that are not under test, so that the one that is reaches its handler. */
const sample = new Map<string, string>([
  ["version", "v2.4"],
  ["publisherId", "12"],
  ["campaignId", "601"],
  ["formId", "35"],
  ["action", "validate"],
  ["type", "Lead"],
]);

interface Probe {
  who: Who;
  method: string;
  path: string;
  body?: { type: string; text: string };
  accept?: string;
}

/** Own keys of the built-ins a polluting write would change (the app runs in this isolate). */
const builtinKeys = () => [Object.prototype, Object, Array.prototype, Function.prototype].map((o) => Reflect.ownKeys(o).map(String).join()).join("|");

/** Sends probes in parallel chunks; returns every problem found (a 5xx, a secret in the answer, a polluted built-in). */
async function run(probes: Probe[]): Promise<string[]> {
  const problems: string[] = [];
  const secrets = secretValues();
  const builtins = builtinKeys();
  for (let i = 0; i < probes.length; i += 32) {
    await Promise.all(
      probes.slice(i, i + 32).map(async (p) => {
        const headers = { ...headersOf(p.who), ...(p.body ? { "Content-Type": p.body.type } : {}), ...(p.accept ? { Accept: p.accept } : {}) };
        const res = await fetchWith(vars, p.path, { method: p.method, headers, body: p.body?.text });
        const text = await res.text();
        const head = [...res.headers].map(([k, v]) => `${k}: ${v}`).join("\n");
        const label = `${p.who} ${p.method} ${p.path}${p.body ? ` ${p.body.text.slice(0, 80)}` : ""}`;
        if (res.status >= 500) problems.push(`${label} → ${res.status} ${text.slice(0, 120)}`);
        if (secrets.some((s) => text.includes(s) || head.includes(s))) problems.push(`${label} → a secret in the answer`);
      }),
    );
  }
  if (builtinKeys() !== builtins) problems.push("Object.prototype, Object, Array.prototype or Function.prototype gained a property");
  return problems;
}

const jsonText = (entries: [string, unknown][]) => JSON.stringify(Object.fromEntries(entries));

/** The request bodies a route is probed with: the name as a key of JSON, form and nested form data. */
function bodiesFor(method: string, path: string, name: string): (Probe["body"] | undefined)[] {
  if (method === "GET" || method === "DELETE") return [undefined];
  const json = { type: method === "PATCH" ? "application/merge-patch+json" : path.startsWith("/api/v4") ? "application/ld+json" : "application/json", text: jsonText([[name, "x"], ["form", Object.fromEntries([[name, { [name]: "x" }]])]]) };
  if (path.startsWith("/api/v4")) return [json];
  const form = new URLSearchParams([[name, "x"], [`form[${name}]`, "x"], [`form[${name}][${name}]`, "x"]]).toString();
  return [json, { type: "application/x-www-form-urlencoded", text: form }];
}

/**
 * Every mounted route with each name in all its parameters at once, then in each one alone (the
 * others given real values so that the request reaches the handler). A name the parameter's own
 * pattern refuses never reaches any handler of the route: the router's answer is probed once per
 * URL rather than once per method.
 */
function routeProbes(): Probe[] {
  const routes = new Map(app.routes.filter((r) => !r.path.includes("*")).map((r) => [`${r.method} ${r.path}`, r]));
  const probes: Probe[] = [];
  const seen = new Set<string>();
  for (const route of routes.values()) {
    const method = route.method === "ALL" ? "POST" : route.method;
    const params = [...route.path.matchAll(/:([A-Za-z0-9_]+)(?:\{((?:[^{}]|\{[^}]*\})*)\})?/g)].map((m) => ({
      token: m[0],
      param: m[1]!,
      accepts: (v: string) => m[2] === undefined || new RegExp(`^(?:${m[2]})$`).test(v),
    }));
    for (const name of NAMES) {
      const variants = [params.map(() => name), ...params.map((only) => params.map((p) => (p === only ? name : sample.get(p.param) ?? "1")))];
      const query = `?${new URLSearchParams([[name, "x"], [`${name}[]`, "x"], [`order[${name}]`, "asc"], ["itemsPerPage", "1"]])}`;
      for (const values of variants) {
        const path = params.reduce((p, param, i) => p.replace(param.token, values[i]!), route.path) + query;
        const miss = params.some((p, i) => !p.accepts(values[i]!));
        const key = miss ? path : `${method} ${path}`;
        if (seen.has(key)) continue;
        seen.add(key);
        if (miss) for (const who of WHO) probes.push({ who, method: "GET", path });
        else for (const body of bodiesFor(method, path, name)) for (const who of WHO) probes.push({ who, method, path, body });
      }
    }
  }
  return probes;
}

/**
 * Each v4 collection with each name as the value of each filter variable, as an ordering and as
 * its direction, for an admin. A publisher's filters differ only where they depend on the caller,
 * so it gets one variable of each filter and every ordering; anonymous callers are refused before
 * the query is read, so one request each suffices.
 */
function filterProbes(): Probe[] {
  const probes: Probe[] = [];
  for (const def of resources) {
    const path = `/api/v4/${def.path}`;
    const orderable = def.filters.flatMap((f) => Object.keys(f.order ?? {}));
    // One row per page: the filters are what is probed, not the serialisation of a full page.
    const url = (q: string[][]) => `${path}?${new URLSearchParams([...q, ["itemsPerPage", "1"]])}`;
    for (const name of NAMES) {
      const orderings = [...orderable.map((p) => [[`order[${p}]`, name]]), [[`order[${name}]`, "asc"], [`order[${name}]`, "desc"]], [[name, name]]];
      const each = (variables: string[]) => [...variables.map((v) => [[v, name]]), ...orderings];
      for (const q of each(def.filters.flatMap((f) => f.mappings.map((m) => m.variable)))) probes.push({ who: "admin", method: "GET", path: url(q) });
      for (const q of each(def.filters.flatMap((f) => f.mappings.slice(0, 1).map((m) => m.variable)))) probes.push({ who: "publisher", method: "GET", path: url(q) });
      probes.push({ who: "anon", method: "GET", path: url(each(def.filters.flatMap((f) => f.mappings.map((m) => m.variable))).flat()) });
      // The leads' CSV export reads the same filters on its own path.
      if (def.path === "leads") for (const q of each(def.filters.flatMap((f) => f.mappings.map((m) => m.variable)))) {
        for (const who of ["publisher", "admin"] as const) probes.push({ who, method: "GET", path: url(q), accept: "text/csv" });
      }
    }
  }
  return probes;
}

/** A visible item of a resource for the admin, other than the test's own users; undefined when there is none. */
async function someItem(path: string): Promise<Record<string, unknown> | undefined> {
  const res = await fetchWith(vars, `/api/v4/${path}?itemsPerPage=10`, { headers: headersOf("admin") });
  if (res.status !== 200) return undefined;
  const own = [DEMO.admin.id, DEMO.northwind.id].map((id) => `/api/v4/users/${id}`);
  const members = ((await res.json()) as { "hydra:member": Record<string, unknown>[] })["hydra:member"];
  return members.find((m) => !own.includes(m["@id"] as string));
}

/**
 * Each v4 write with each name as a body key, and each writable field in turn set to the name
 * (or, for JSON fields, to an object keyed by it) on top of an existing item's own values, so
 * that the rest of the body is valid and the name reaches the code behind the schema.
 */
async function writeProbes(): Promise<Probe[]> {
  const probes: Probe[] = [];
  for (const def of resources) {
    const item = await someItem(def.path);
    const writable = Object.entries(def.fields).filter(([, f]) => f.writable);
    const base = item ? writable.filter(([k]) => item[k] !== undefined).map(([k]): [string, unknown] => [k, item[k]]) : [];
    const writes: [string, string, string][] = [];
    if (def.create) writes.push(["POST", `/api/v4/${def.path}`, "application/ld+json"]);
    if (def.update && item) writes.push(["PUT", item["@id"] as string, "application/ld+json"]);
    if (def.patch && item) writes.push(["PATCH", item["@id"] as string, "application/merge-patch+json"]);
    for (const [method, path, type] of writes) {
      for (const name of NAMES) {
        for (const who of WHO) probes.push({ who, method, path, body: { type, text: jsonText([...base, [name, "x"]]) } });
        for (const [field, f] of writable) {
          const value = f.range === "json" ? Object.fromEntries([[name, name]]) : name;
          const body = jsonText([...base.filter(([k]) => k !== field), [field, value]]);
          probes.push({ who: "admin", method, path, body: { type, text: body } });
        }
      }
    }
  }
  return probes;
}

async function login(user: { username: string; password: string }): Promise<string> {
  const res = await fetchWith(vars, "/api/login", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ username: user.username, password: user.password }).toString(),
  });
  expect(res.status, "login").toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

beforeAll(async () => {
  tokens.publisher = await login(DEMO.northwind);
  tokens.admin = await login(DEMO.admin);
  // A lead, with a sync subscription whose secret is stored in D1 and must never be shown.
  const res = await fetchWith(vars, leadsPath(12, 35, 601), {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Api-Key": KEYS.northwind601 },
    body: formBody(SIMPLE),
  });
  expect(res.status).toBe(201);
  const leadId = ((await res.json()) as { data: number }).data;
  const cp = await env.DB.prepare("SELECT id FROM campaign_publishers WHERE campaign_id = 601 AND publisher_id = 12").first<{ id: number }>();
  await env.DB.prepare("INSERT INTO sync_subscriptions (lead_id, campaign_publisher_id, callback_url, secret) VALUES (?, ?, 'https://crm.example.com/sync', ?)")
    .bind(leadId, cp!.id, SYNC_SECRET)
    .run();
  const hash = await env.DB.prepare("SELECT lead_hash AS h FROM leads WHERE id = ?").bind(leadId).first<{ h: string }>();
  sample.set("leadId", String(leadId)).set("leadHash", hash!.h).set("id", String(leadId));
});

describe("names of Object.prototype in requests", () => {
  it("/api/v4/contexts/<name> is a Hydra 404 for each of them", async () => {
    for (const name of NAMES) {
      for (const who of WHO) {
        const res = await fetchWith(vars, `/api/v4/contexts/${name}`, { headers: headersOf(who) });
        const text = await res.text();
        expect(res.status, `${who} ${name}: ${text.slice(0, 200)}`).toBe(404);
        expect(res.headers.get("Content-Type")).toContain("application/ld+json");
        expect(JSON.parse(text)).toMatchObject({ "@type": "hydra:Error", "hydra:title": "An error occurred" });
      }
    }
  });

  it("in every path parameter, query key and body key of every mounted route: no 5xx, no secret", async () => {
    const probes = routeProbes();
    // The enumeration found the app's routes, parameters included.
    expect(probes.some((p) => p.path.startsWith("/api/v2.4/publisher/12/lead-result/constructor"))).toBe(true);
    expect(probes.some((p) => p.path.startsWith("/ajax/lead-append/__proto__"))).toBe(true);
    const problems = await run(probes);
    expect(problems, problems.join("\n")).toEqual([]);
  }, SWEEP_MS);

  it("in every filter and ordering of every v4 collection: no 5xx, no secret", async () => {
    const problems = await run(filterProbes());
    expect(problems, problems.join("\n")).toEqual([]);
  }, SWEEP_MS);

  it("as body keys and field values of every v4 write: no 5xx, no secret", async () => {
    const probes = await writeProbes();
    expect(probes.some((p) => p.method === "PUT" && p.path.includes("campaign-processr-jobs") && p.body?.text.includes('"type":"constructor"'))).toBe(true);
    const problems = await run(probes);
    expect(problems, problems.join("\n")).toEqual([]);
  }, SWEEP_MS);
});

describe("response bodies are plain data", () => {
  it("refuses the context, env, bindings and functions; accepts null-prototype objects", () => {
    class Binding {}
    const someEnv = { DB: new Binding(), JWT_SECRET: SECRETS.JWT_SECRET };
    expect(() => plainJson({ a: new Binding() })).toThrow(UnsafeResponseBody);
    expect(() => plainJson({ "@context": { env: someEnv } })).toThrow(UnsafeResponseBody);
    expect(() => plainJson([{ f: () => 1 }])).toThrow(UnsafeResponseBody);
    const strings = { JWT_SECRET: "x" };
    expect(() => plainJson({ e: strings }, strings)).toThrow(UnsafeResponseBody);
    const bag: Record<string, unknown> = Object.create(null);
    bag.__proto__ = "kept";
    expect(plainJson({ bag, list: [1, "a", null, true] })).toBe('{"bag":{"__proto__":"kept"},"list":[1,"a",null,true]}');
  });

  it("a route that returns its context through c.json answers a bare 500", async () => {
    const leaky = new Hono<{ Bindings: typeof vars }>();
    leaky.use("*", plainJsonBodies);
    leaky.get("/ctx", (c) => c.json({ ctx: c }));
    leaky.get("/env", (c) => c.json({ env: c.env }));
    leaky.get("/ok", (c) => c.json({ ok: true }));
    for (const path of ["/ctx", "/env"]) {
      const res = await leaky.request(path, {}, vars);
      const text = await res.text();
      expect(res.status, path).toBe(500);
      for (const s of secretValues()) expect(text.includes(s), path).toBe(false);
    }
    expect(await (await leaky.request("/ok", {}, vars)).json()).toEqual({ ok: true });
  });
});

describe("publisher form errors for fields named after Object.prototype", () => {
  it("are children of the answer, and Object.prototype and Object stay untouched", async () => {
    const admin = { ...headersOf("admin"), "Content-Type": "application/ld+json" };
    const post = async (path: string, body: unknown) => {
      const res = await fetchWith(vars, path, { method: "POST", headers: admin, body: JSON.stringify(body) });
      expect(res.status, `${path}: ${await res.clone().text()}`).toBe(201);
      return (await res.json()) as { id: number };
    };
    const form = await post("/api/v4/forms", { campaign: "/api/v4/campaigns/601", name: "Prototype names" });
    for (const name of ["email", "__proto__[x]", "constructor[x]"]) {
      await post("/api/v4/form-fields", { form: `/api/v4/forms/${form.id}`, name, type: "text", required: true });
    }
    const res = await fetchWith(vars, leadsPath(12, form.id, 601), {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Api-Key": KEYS.northwind601 },
      body: formBody({ email: "a@b.test" }),
    });
    expect(res.status).toBe(400);
    const blank = { children: { x: { errors: ["This value should not be blank."] } } };
    const { errors } = (await res.json()) as { errors: { children: Record<string, unknown> } };
    expect(Object.hasOwn(errors.children, "__proto__")).toBe(true);
    expect(errors.children.__proto__).toEqual(blank);
    expect(errors.children.constructor).toEqual(blank);
    expect(Object.hasOwn(Object.prototype, "children")).toBe(false);
    expect(Object.hasOwn(Object, "children")).toBe(false);
  });
});
