import { describe, expect, it } from "vitest";
import { iri, iriMemo } from "../../src/hydra/jsonld";

// iriMemo keeps IRIs per isolate (a lead's campaign and publisher on every item of a page): it must
// answer exactly what iri() answers, for every id, before and after it reaches its bound and
// starts anew.
describe("iriMemo", () => {
  it("answers iri(path, id) for each id, asked again and across its bound", () => {
    const campaign = iriMemo("campaigns", 3);
    const ids = [601, 602, 601, 603, 604, 605, 601, 602, 0, 9_007_199_254_740_991];
    for (const id of ids) expect(campaign(id)).toBe(iri("campaigns", id));
    expect(campaign(601)).toBe("/api/v4/campaigns/601");
  });

  it("keeps each path's IRIs apart", () => {
    const campaign = iriMemo("campaigns");
    const publisher = iriMemo("publishers");
    expect([campaign(12), publisher(12), campaign(12)]).toEqual(["/api/v4/campaigns/12", "/api/v4/publishers/12", "/api/v4/campaigns/12"]);
  });
});
