import { beforeAll, describe, expect, it } from "vitest";
import { get, tokens } from "../v4/fixtures";

// v4 collections page with OFFSET, whose cost grows with the depth: page × itemsPerPage is
// bounded at 10,000 rows, past which the answer is a Hydra 400 that says how to get further.

let t: Awaited<ReturnType<typeof tokens>>;
beforeAll(async () => {
  t = await tokens();
});

const tooDeep = (itemsPerPage: number) => ({
  "@context": "/api/v4/contexts/Error",
  "@type": "hydra:Error",
  "hydra:title": "An error occurred",
  "hydra:description": `Invalid value for the "page" filter: page × itemsPerPage may be at most 10000 (page ${Math.floor(10_000 / itemsPerPage)} at ${itemsPerPage} per page); narrow the collection with filters to reach older items.`,
});

describe("deep paging on v4 collections", () => {
  it("answers up to 10,000 rows deep and refuses a page past it with a Hydra 400", async () => {
    expect((await get("/api/v4/leads?page=333", t.admin)).status).toBe(200); // 9,990 rows at the default 30
    const deep = await get("/api/v4/leads?page=334", t.admin);
    expect(deep.status).toBe(400);
    expect(deep.res.headers.get("Content-Type")).toBe("application/ld+json; charset=utf-8");
    expect(deep.body).toEqual(tooDeep(30));

    expect((await get("/api/v4/campaigns?itemsPerPage=100&page=100", t.admin)).status).toBe(200);
    const wide = await get("/api/v4/campaigns?itemsPerPage=100&page=101", t.admin);
    expect(wide.status).toBe(400);
    expect(wide.body).toEqual(tooDeep(100));
  });

  it("applies to every user and counts itemsPerPage after its clamp to 100", async () => {
    // itemsPerPage=500 is served as 100 per page, so page 101 is 10,100 rows deep.
    expect((await get("/api/v4/leads?itemsPerPage=500&page=101", t.north)).body).toEqual(tooDeep(100));
    expect((await get("/api/v4/logs?page=999999999", t.admin)).status).toBe(400);
  });
});
