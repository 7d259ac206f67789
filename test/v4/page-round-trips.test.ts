import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { bearer, DEMO, loginAs } from "../helpers";
import { fetchWith } from "../ratelimit/app-fetch";
import { addLeads } from "./fixtures";

// A v4 page is one D1 round trip beside authentication: the count, the rows and the relations the
// items embed (a lead's data, notes, Processr results, currency rate) go in one batch, the
// relations read from the page's own query as a subquery.

/** D1 with every round trip counted: a batch, or one statement run (first/all/run/raw), or exec. */
function roundTrips() {
  const count = { n: 0 };
  const statement = (s: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(s, {
      get(target, prop) {
        const value = Reflect.get(target, prop);
        if (typeof value !== "function") return value;
        if (prop === "bind") return (...args: unknown[]) => statement(value.apply(target, args));
        return (...args: unknown[]) => {
          if (prop === "first" || prop === "all" || prop === "run" || prop === "raw") count.n += 1;
          return value.apply(target, args);
        };
      },
    });
  const db = new Proxy(env.DB, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof value !== "function") return value;
      if (prop === "prepare") return (q: string) => statement(value.call(target, q));
      return (...args: unknown[]) => {
        if (prop === "batch" || prop === "exec") count.n += 1;
        return value.apply(target, args);
      };
    },
  });
  return { count, db };
}

let admin: Record<string, string>;
beforeAll(async () => {
  await addLeads();
  admin = bearer(await loginAs(DEMO.admin));
});

async function tripsOf(path: string): Promise<number> {
  const { count, db } = roundTrips();
  const res = await fetchWith({ DB: db }, path, { headers: admin });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { "hydra:member": unknown[] };
  expect(body["hydra:member"].length).toBeGreaterThan(0);
  return count.n;
}

describe("v4 page round trips", () => {
  it("a page of leads with their embedded data costs what a page of a table without relations does", async () => {
    const page = "/api/v4/leads?campaign.id=601&order[id]=desc&itemsPerPage=100";
    // Warm: what authentication reads once per isolate is not the page's cost.
    await tripsOf("/api/v4/currencies");
    await tripsOf(page);
    const plain = await tripsOf("/api/v4/currencies");
    expect(await tripsOf(page)).toBe(plain);
    // The embedded relations are there, from that same batch.
    const res = await fetchWith({}, "/api/v4/leads?campaign.id=601&order[id]=desc&itemsPerPage=100", { headers: admin });
    const members = ((await res.json()) as { "hydra:member": { id: number; leadData: { name: string; value: string }[] }[] })["hydra:member"];
    const ada = members.find((m) => m.id === 53101)!;
    expect(ada.leadData).toEqual(expect.arrayContaining([expect.objectContaining({ name: "email", value: "ada@example.org" })]));
  });
});
