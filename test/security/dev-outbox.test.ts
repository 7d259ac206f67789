import { describe, expect, it } from "vitest";
import { DEMO, form } from "../helpers";
import { fetchWith, freshIp } from "../ratelimit/app-fetch";
import { PRODUCTION } from "./production-env";

// GET /__dev/outbox lists every MFA and password-reset code the outbox provider has kept: it
// must not exist on a deployment, even one left with SMS_PROVIDER = "outbox" by mistake.
describe("the development outbox", () => {
  const ip = () => ({ "CF-Connecting-IP": freshIp() });

  it("is served locally with the outbox provider", async () => {
    await fetchWith({}, "/api/password-reset", form({ username: DEMO.northwind.username }, ip()));
    const res = await fetchWith({}, "/__dev/outbox", { headers: ip() });
    expect(res.status).toBe(200);
    expect(((await res.json()) as unknown[]).length).toBeGreaterThan(0);
  });

  it("does not exist outside local mode, whatever the SMS provider", async () => {
    for (const SMS_PROVIDER of ["outbox", "twilio"] as const) {
      const res = await fetchWith({ ...PRODUCTION, SMS_PROVIDER }, "/__dev/outbox", { headers: ip() });
      expect(res.status, SMS_PROVIDER).toBe(404);
      expect(await res.json()).toEqual({ code: 404, message: "Not Found" });
    }
  });

  it("does not exist locally with another provider", async () => {
    const res = await fetchWith({ SMS_PROVIDER: "twilio" }, "/__dev/outbox", { headers: ip() });
    expect(res.status).toBe(404);
  });
});
