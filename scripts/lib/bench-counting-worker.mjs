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
// hand to the Worker first) answers the counts so far
// (module memory: on workerd a Worker and its Durable Objects share one isolate locally).
import { AsyncLocalStorage } from "node:async_hooks";
import product, * as exported from "../../src/index.ts";

const invocation = new AsyncLocalStorage();
const counts = new Map();
const count = () => {
  const label = invocation.getStore() ?? "other";
  counts.set(label, (counts.get(label) ?? 0) + 1);
};

// D1's batch() reads its statements' internals, so it is handed the real statements.
const realStatement = new WeakMap();
const ROUND_TRIPS = new Set(["first", "run", "all", "raw"]);

function countedStatement(stmt) {
  const proxy = new Proxy(stmt, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (prop === "bind") return (...args) => countedStatement(value.apply(target, args));
      if (ROUND_TRIPS.has(prop)) return (...args) => (count(), value.apply(target, args));
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
      if (prop === "batch") return (stmts) => (count(), value.call(target, stmts.map((s) => realStatement.get(s) ?? s)));
      if (prop === "exec") return (sql) => (count(), value.call(target, sql));
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
    wrapped = new Proxy(env, { get: (target, prop) => (prop === "DB" ? db : Reflect.get(target, prop, target)) });
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
        : invocation.run(label, () => method.apply(this, args));
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
    if (new URL(request.url).pathname === "/__dev/bench-d1-round-trips") return Response.json(Object.fromEntries(counts));
    return invocation.run("fetch", () => product.fetch(request, countedEnv(env), ctx));
  },
  queue: (batch, env, ctx) => invocation.run(`queue:${batch.queue}`, () => product.queue(batch, countedEnv(env), ctx)),
  scheduled: (controller, env, ctx) => invocation.run("scheduled", () => product.scheduled(controller, countedEnv(env), ctx)),
};
