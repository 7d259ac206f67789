import { describe, expect, it } from "vitest";
import { roundTripGroup } from "../../src/integrations/round-trip-group";

// A shared round trip whose combined batch fails sends each caller's statements again alone, and
// every caller is answered: with its results, or with its own failure.

describe("a shared D1 round trip that fails", () => {
  it("answers every caller with the failure, even when sending alone throws at once", async () => {
    const db = {
      batch<T>(): Promise<D1Result<T>[]> {
        throw new Error("D1 unavailable");
      },
    };
    const send = roundTripGroup(db);
    const statement = {} as D1PreparedStatement;
    const answers = await Promise.allSettled([send([statement]), send([statement, statement])]);
    expect(answers.map((a) => a.status === "rejected" && String(a.reason))).toEqual(["Error: D1 unavailable", "Error: D1 unavailable"]);
  });
});
