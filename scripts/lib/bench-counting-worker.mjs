// Bench-only Worker entry: leadflare's own Worker (src/index.ts, unchanged) with every D1 call
// counted, so that the bench can print D1 round trips per lead without any counting code in the
// product. scripts/lib/bench-roundtrips.mjs bundles this file instead of src/index.ts
// (`wrangler deploy --dry-run <this file>`) and serves it only in its own measuring runs; the
// throughput figures always come from the product's own bundle.
//
// A round trip is one call that goes to D1 and waits for its answer: a statement's first/run/all/
// raw, a batch (however many statements), an exec. Each is counted under the invocation that made
// it: "fetch", "queue:<queue name>", "scheduled", or "<DurableObjectClass>.<method>" (the entry
// method of an RPC call or an alarm). GET /__dev/bench-d1-round-trips (a path wrangler.toml's assets
// hand to the Worker first) answers the counts so far, GET /__dev/bench-d1-statements the statements
// they carried (a batch's each)
// (module memory: on workerd a Worker and its Durable Objects share one isolate locally).
//
// Wall time, for the fan-out section (where a delivery's time goes): each request is timed by route
// ("POST /api/sync/subscriptions", ids as :n), each queue batch and Durable Object entry method by
// label, and within them the time spent waiting on D1, on Durable Object stubs (by binding and
// method) and on outbound fetches (by host and route). GET /__dev/bench-timings answers
// { label: { n, ms } } so far. Durations are Date.now() differences: workerd advances its clock on
// I/O, so they are waits (I/O and the CPU between them), which is what they are meant to show.
import { AsyncLocalStorage } from "node:async_hooks";
import product, * as exported from "../../src/index.ts";

const invocation = new AsyncLocalStorage();
const counts = new Map();
// Statements (a batch's each), by the same labels: what D1 itself executes per lead.
const statements = new Map();
const count = (n = 1) => {
  const label = invocation.getStore() ?? "other";
  counts.set(label, (counts.get(label) ?? 0) + 1);
  statements.set(label, (statements.get(label) ?? 0) + n);
};

// The timed unit a wait belongs to: a request's route, a queue, an object's entry method.
const unit = new AsyncLocalStorage();
const timings = new Map();
const addTime = (label, ms) => {
  const t = timings.get(label) ?? { n: 0, ms: 0 };
  t.n += 1;
  t.ms += ms;
  timings.set(label, t);
};
/** Runs fn; its wall time is added to `${unit} · what` (or to `what` alone when top). */
function timed(what, fn, top = false) {
  const label = top ? what : `${unit.getStore() ?? "other"} · ${what}`;
  const t0 = Date.now();
  let out;
  try {
    out = fn();
  } catch (e) {
    addTime(label, Date.now() - t0);
    throw e;
  }
  if (!(out instanceof Promise) && typeof out?.then !== "function") {
    addTime(label, Date.now() - t0);
    return out;
  }
  return Promise.resolve(out).finally(() => addTime(label, Date.now() - t0));
}
const route = (url) => new URL(url).pathname.replace(/\d+/g, ":n");
let inFlight = 0;

// Outbound fetches (integrations, sync callbacks), by host and route.
const realFetch = globalThis.fetch;
globalThis.fetch = function (input, init) {
  const req = input instanceof Request ? input : null;
  const url = req ? req.url : String(input);
  const method = init?.method ?? req?.method ?? "GET";
  return timed(`out ${method} ${new URL(url).host}${route(url)}`, () => realFetch(input, init));
};

/** A Durable Object namespace whose stubs' calls are timed by binding and method. */
function timedNamespace(ns, binding) {
  const stub = (s) =>
    new Proxy(s, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== "function" || typeof prop !== "string" || prop === "fetch") return value;
        return (...args) => timed(`${binding}.${prop}`, () => Reflect.apply(value, target, args));
      },
    });
  return new Proxy(ns, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (prop === "get") return (...args) => stub(Reflect.apply(value, target, args));
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

// D1's batch() reads its statements' internals, so it is handed the real statements.
const realStatement = new WeakMap();
const ROUND_TRIPS = new Set(["first", "run", "all", "raw"]);

function countedStatement(stmt) {
  const proxy = new Proxy(stmt, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (prop === "bind") return (...args) => countedStatement(value.apply(target, args));
      if (ROUND_TRIPS.has(prop)) return (...args) => (count(), timed("D1", () => value.apply(target, args)));
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  realStatement.set(proxy, stmt);
  return proxy;
}

function countedD1(db) {
  return new Proxy(db, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (prop === "prepare") return (sql) => countedStatement(value.call(target, sql));
      if (prop === "batch") return (stmts) => (count(stmts.length), timed("D1", () => value.call(target, stmts.map((s) => realStatement.get(s) ?? s))));
      if (prop === "exec") return (sql) => (count(), timed("D1", () => value.call(target, sql)));
      if (prop === "withSession") return (...args) => countedD1(value.apply(target, args));
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

// One wrapped env per real env, so code that keys caches on the env object behaves as in production.
const wrappedEnvs = new WeakMap();
function countedEnv(env) {
  let wrapped = wrappedEnvs.get(env);
  if (!wrapped) {
    const db = countedD1(env.DB);
    const namespaces = new Map(
      ["LEAD_OBJECT", "RATE_LIMITER", "OUTBOUND_LIMITER"].filter((b) => env[b]).map((b) => [b, timedNamespace(env[b], b)]),
    );
    wrapped = new Proxy(env, {
      get: (target, prop) => (prop === "DB" ? db : (namespaces.get(prop) ?? Reflect.get(target, prop, target))),
    });
    wrappedEnvs.set(env, wrapped);
  }
  return wrapped;
}

/** A subclass of a Durable Object class whose env counts, each entry method labelled. */
function countedObject(Base) {
  const Counted = class extends Base {
    constructor(ctx, env) {
      super(ctx, countedEnv(env));
    }
  };
  for (const name of Object.getOwnPropertyNames(Base.prototype)) {
    const method = Base.prototype[name];
    if (name === "constructor" || typeof method !== "function") continue;
    const label = `${Base.name}.${name}`;
    // Calls the object makes to its own methods keep the label of the call that entered it.
    Counted.prototype[name] = function (...args) {
      return invocation.getStore()?.startsWith(`${Base.name}.`)
        ? method.apply(this, args)
        : invocation.run(label, () => unit.run(`DO ${label}`, () => timed(`DO ${label}`, () => method.apply(this, args), true)));
    };
  }
  return Counted;
}

// Every export of the product, so that wrangler.toml's class names resolve; the Durable Object
// classes below replace theirs (a local export wins over `export *`). A new Durable Object class
// that reads D1 must be added here to be counted.
export * from "../../src/index.ts";
export const LeadObject = countedObject(exported.LeadObject);
export const RateLimiter = countedObject(exported.RateLimiter);
export const OutboundHostLimiter = countedObject(exported.OutboundHostLimiter);

export default {
  fetch(request, env, ctx) {
    const path = new URL(request.url).pathname;
    if (path === "/__dev/bench-d1-round-trips") return Response.json(Object.fromEntries(counts));
    if (path === "/__dev/bench-d1-statements") return Response.json(Object.fromEntries(statements));
    if (path === "/__dev/bench-timings") return Response.json({ ...Object.fromEntries(timings), inFlight });
    const label = `${request.method} ${route(request.url)}`;
    // How many requests were already being served when this one arrived (their mean, as ms/n).
    addTime(`${label} · already in flight`, inFlight);
    inFlight += 1;
    return invocation.run("fetch", () =>
      unit.run(label, () => timed(label, () => product.fetch(request, countedEnv(env), ctx), true)).finally(() => (inFlight -= 1)),
    );
  },
  queue: (batch, env, ctx) =>
    invocation.run(`queue:${batch.queue}`, () =>
      // Messages per batch as its mean (ms/n), next to the batches' wall time.
      unit.run(`queue:${batch.queue}`, () => (addTime(`queue:${batch.queue} · messages`, batch.messages.length), timed(`queue:${batch.queue}`, () => product.queue(batch, countedEnv(env), ctx), true))),
    ),
  scheduled: (controller, env, ctx) => invocation.run("scheduled", () => product.scheduled(controller, countedEnv(env), ctx)),
};
