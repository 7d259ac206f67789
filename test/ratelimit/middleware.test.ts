import { describe, expect, it } from "vitest";
import { bearer, DEMO, form, json, loginAs } from "../helpers";
import { fetchWith, freshIp } from "./app-fetch";

const ip = (address: string) => ({ "CF-Connecting-IP": address });
const small = (vars: { total?: number; login?: number; leadResult?: number }) => ({
  RATE_LIMIT_TOTAL: String(vars.total ?? 3000),
  RATE_LIMIT_LOGIN: String(vars.login ?? 100),
  RATE_LIMIT_LEAD_RESULT: String(vars.leadResult ?? 1400),
});
const remaining = (res: Response, policy: string) =>
  Number(new RegExp(`"${policy}";r=(\\d+)`).exec(res.headers.get("RateLimit") ?? "")?.[1]);

describe("rate-limit headers", () => {
  it("lists every policy that applied on a successful login, with the tightest in the legacy headers", async () => {
    const res = await fetchWith(
      {},
      "/api/login",
      form({ username: DEMO.agencyPartners.username, password: DEMO.agencyPartners.password }, ip(freshIp())),
    );
    expect(res.status).toBe(200);
    // The login handler still read the body the limiter looked into.
    expect(((await res.json()) as { user_id: number }).user_id).toBe(DEMO.agencyPartners.id);
    expect(res.headers.get("RateLimit-Policy")).toBe(
      '"login-ip";q=100;w=300, "login-user";q=100;w=300, "total";q=3000;w=300',
    );
    expect(res.headers.get("RateLimit")).toBe('"login-ip";r=99;t=300, "login-user";r=99;t=300, "total";r=2999;t=300');
    expect(res.headers.get("RateLimit-Limit")).toBe("100");
    expect(res.headers.get("RateLimit-Remaining")).toBe("99");
    expect(res.headers.get("RateLimit-Reset")).toBe("300");
    expect(res.headers.get("Retry-After")).toBeNull();
  });

  it("are on error responses and unknown routes too, counting down", async () => {
    const addr = freshIp();
    const first = await fetchWith({}, "/no/such/route", { headers: ip(addr) });
    const second = await fetchWith({}, "/api/v4/no-such-resource", { headers: ip(addr) });
    expect(first.status).toBe(404);
    expect(first.headers.get("RateLimit-Policy")).toBe('"total";q=3000;w=300');
    expect(first.headers.get("RateLimit")).toBe('"total";r=2999;t=300');
    expect(second.headers.get("RateLimit")).toMatch(/^"total";r=2998;t=(299|300)$/);
    expect(second.headers.get("RateLimit-Remaining")).toBe("2998");
  });

  it("follow the configured limits, so a benchmark profile can raise them", async () => {
    const res = await fetchWith(
      { RATE_LIMIT_TOTAL: "1000000", RATE_LIMIT_WINDOW_SECONDS: "60" },
      "/no/such/route",
      { headers: ip(freshIp()) },
    );
    expect(res.headers.get("RateLimit-Policy")).toBe('"total";q=1000000;w=60');
    expect(res.headers.get("RateLimit")).toBe('"total";r=999999;t=60');
  });

  it("refuses to run with a malformed limit rather than guessing", async () => {
    const res = await fetchWith({ RATE_LIMIT_TOTAL: "lots" }, "/no/such/route", { headers: ip(freshIp()) });
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain("RATE_LIMIT");
  });
});

describe("the total limit", () => {
  it("is exact under parallel requests: limit 10, 30 at once, exactly 10 served", async () => {
    const addr = freshIp();
    const responses = await Promise.all(
      Array.from({ length: 30 }, () => fetchWith(small({ total: 10 }), "/no/such/route", { headers: ip(addr) })),
    );
    expect(responses.filter((r) => r.status === 404)).toHaveLength(10);
    const refused = responses.filter((r) => r.status === 429);
    expect(refused).toHaveLength(20);
    for (const r of refused) {
      expect(await r.json()).toEqual({ code: 429, message: "Too Many Requests" });
      expect(Number(r.headers.get("Retry-After"))).toBeGreaterThanOrEqual(299);
      expect(Number(r.headers.get("Retry-After"))).toBeLessThanOrEqual(300);
      expect(r.headers.get("RateLimit")).toBe(`"total";r=0;t=${r.headers.get("Retry-After")}`);
      expect(r.headers.get("RateLimit-Remaining")).toBe("0");
    }
  });

  it("keeps callers apart: another IP is not affected", async () => {
    const a = freshIp();
    const b = freshIp();
    await fetchWith(small({ total: 1 }), "/x", { headers: ip(a) });
    expect((await fetchWith(small({ total: 1 }), "/x", { headers: ip(a) })).status).toBe(429);
    expect((await fetchWith(small({ total: 1 }), "/x", { headers: ip(b) })).status).toBe(404);
  });

  it("follows an authenticated user across IPs, and counts an invalid token under the IP", async () => {
    const token = await loginAs(DEMO.northwind);
    const one = await fetchWith({}, "/x", { headers: { ...bearer(token), ...ip(freshIp()) } });
    const two = await fetchWith({}, "/x", { headers: { ...bearer(token), ...ip(freshIp()) } });
    expect(remaining(two, "total")).toBe(remaining(one, "total") - 1);

    const addr = freshIp();
    const forged = await fetchWith({}, "/x", { headers: { ...bearer(`${token}x`), ...ip(addr) } });
    const anonymous = await fetchWith({}, "/x", { headers: ip(addr) });
    expect(remaining(forged, "total")).toBe(2999);
    expect(remaining(anonymous, "total")).toBe(2998);
  });

  it("renders the 429 of the v4 API as a Hydra error", async () => {
    const addr = freshIp();
    await fetchWith(small({ total: 1 }), "/api/v4/leads", { headers: ip(addr) });
    const res = await fetchWith(small({ total: 1 }), "/api/v4/leads", { headers: ip(addr) });
    expect(res.status).toBe(429);
    expect(res.headers.get("Content-Type")).toContain("application/ld+json");
    expect(await res.json()).toEqual({
      "@context": "/api/v4/contexts/Error",
      "@type": "hydra:Error",
      "hydra:title": "An error occurred",
      "hydra:description": "Too Many Requests",
    });
    expect(res.headers.get("Retry-After")).toMatch(/^\d+$/);
    expect(res.headers.get("RateLimit-Policy")).toBe('"total";q=1;w=300');
  });
});

describe("the login limits", () => {
  it("limit one IP whatever the usernames, in the OAuth error shape", async () => {
    const addr = freshIp();
    for (let i = 0; i < 5; i++) {
      const res = await fetchWith(small({ login: 5 }), "/api/login", form({ username: `ip-${i}@x.test`, password: "nope" }, ip(addr)));
      expect(res.status).toBe(400); // the handler saw the body: invalid_grant
    }
    const res = await fetchWith(small({ login: 5 }), "/api/login", form({ username: "ip-6@x.test", password: "nope" }, ip(addr)));
    expect(res.status).toBe(429);
    expect(await res.json()).toEqual({ error: "rate_limited", error_description: "Too Many Requests" });
    expect(Number(res.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(res.headers.get("RateLimit")).toContain('"login-ip";r=0');
  });

  it("limit one username whatever the IPs, from JSON, url-encoded and multipart bodies", async () => {
    const username = "target@acme.test";
    const bodies = [
      () => form({ username, password: "guess" }, ip(freshIp())),
      () => json({ username, password: "guess" }, "POST", ip(freshIp())),
      () => {
        const fd = new FormData();
        fd.set("username", username);
        fd.set("password", "guess");
        return { method: "POST", body: fd, headers: ip(freshIp()) };
      },
    ];
    for (let i = 0; i < 5; i++) {
      expect((await fetchWith(small({ login: 5 }), "/api/login", bodies[i % 3]!())).status).toBe(400);
    }
    for (const body of bodies) {
      const res = await fetchWith(small({ login: 5 }), "/api/login", body());
      expect(res.status).toBe(429);
      expect(res.headers.get("RateLimit")).toContain('"login-user";r=0');
    }
    // Another username from the same kind of request is not affected.
    const other = await fetchWith(small({ login: 5 }), "/api/login", form({ username: "other@acme.test", password: "guess" }, ip(freshIp())));
    expect(other.status).toBe(400);
  });

  it("also cover the password reset endpoints, which send codes and check them", async () => {
    const addr = freshIp();
    const reset = () => fetchWith(small({ login: 2 }), "/api/password-reset", form({ username: "nobody@acme.test" }, ip(addr)));
    expect((await reset()).status).toBe(202);
    expect((await reset()).status).toBe(202);
    const res = await reset();
    expect(res.status).toBe(429);
    expect(await res.json()).toMatchObject({ error: "rate_limited" });
  });

  it("do not apply to other routes", async () => {
    const res = await fetchWith(small({ login: 1 }), "/api/v4/leads", { headers: ip(freshIp()) });
    expect(res.headers.get("RateLimit-Policy")).toBe('"total";q=3000;w=300');
  });
});

describe("the lead-result limit", () => {
  it("applies to /api/v2.*/publisher/{id}/lead-result/{lead} per caller, in the publisher error shape", async () => {
    const addr = freshIp();
    const vars = small({ leadResult: 2 });
    for (const path of ["/api/v2.4/publisher/12/lead-result/1", "/api/v2.1/publisher/12/lead-result/2"]) {
      const res = await fetchWith(vars, path, { headers: ip(addr) });
      expect(res.status).not.toBe(429);
      expect(res.headers.get("RateLimit-Policy")).toBe('"lead-result";q=2;w=300, "total";q=3000;w=300');
    }
    const res = await fetchWith(vars, "/api/v2.4/publisher/12/lead-result/3", { headers: ip(addr) });
    expect(res.status).toBe(429);
    expect(await res.json()).toEqual({ code: 429, message: "Too Many Requests" });
    expect(res.headers.get("RateLimit-Limit")).toBe("2");
    expect(res.headers.get("RateLimit-Remaining")).toBe("0");
    // Other routes of the same caller still answer.
    expect((await fetchWith(vars, "/api/v2.4/publisher/links/601", { headers: ip(addr) })).status).not.toBe(429);
  });

  it("applies to /api/v2/publisher/… too, the version spelling without a minor that the route also serves", async () => {
    const res = await fetchWith(small({ leadResult: 2 }), "/api/v2/publisher/12/lead-result/1", { headers: ip(freshIp()) });
    // The lead-result handler ran (it asks for credentials), and the request counted under its limit.
    expect(res.status).toBe(401);
    expect(res.headers.get("RateLimit-Policy")).toBe('"lead-result";q=2;w=300, "total";q=3000;w=300');
  });
});

describe("robustness", () => {
  it("counts every path spelling that reaches the login handler under the login limits", async () => {
    const variants = ["/api/login", "/api/login/", "/api/login?x=1", "/api//login", "/API/login", "/api/login/.", "/api/./login", "/api/%6cogin", "/api/login%2F", "/api/login;x"];
    const reached: string[] = [];
    for (const path of variants) {
      const res = await fetchWith({}, path, form({ username: "variant@acme.test", password: "nope" }, ip(freshIp())));
      // 400 invalid_grant = the login handler ran; then the login policies must have applied.
      if (res.status === 400) {
        reached.push(path);
        expect(res.headers.get("RateLimit-Policy"), path).toContain('"login-ip"');
      } else expect(res.status, path).toBe(404);
    }
    expect(reached).toContain("/api/login");
  });

  it("lets other requests through, without limit headers, when the limiter cannot answer", async () => {
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(args.join(" "));
    try {
      const broken = { getByName: () => ({ hit: () => Promise.reject(new Error("object unreachable")) }) };
      const res = await fetchWith({ RATE_LIMITER: broken as never }, "/no/such/route", { headers: ip(freshIp()) });
      expect(res.status).toBe(404);
      expect(res.headers.get("RateLimit")).toBeNull();
      expect(errors.join("\n")).toContain("object unreachable");
    } finally {
      console.error = original;
    }
  });
});
