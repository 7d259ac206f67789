import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { setResponseHeaders } from "../../src/http/response-headers";

// setResponseHeaders: what c.header gave for each header, with one copy of the response.
describe("setResponseHeaders", () => {
  const app = new Hono();
  app.use("*", async (c, next) => {
    await next();
    setResponseHeaders(c, [["X-One", "1"], ["X-Two", "2"], ["Cache-Control", "no-store"]]);
  });
  app.get("/made", (c) => {
    c.header("Set-Cookie", "a=1");
    c.header("Set-Cookie", "b=2", { append: true });
    return c.text("body", 201, { "Cache-Control": "max-age=60", "X-Kept": "yes" });
  });
  app.get("/read", async (c, next) => {
    await next();
    await c.res.text(); // a middleware that read the body and left the response as it was
  });
  app.get("/read", (c) => c.text("gone", 202));

  it("adds the headers and keeps the response's status, body and other headers (cookies included)", async () => {
    const res = await app.request("/made");
    expect(res.status).toBe(201);
    expect(await res.text()).toBe("body");
    expect(res.headers.get("X-One")).toBe("1");
    expect(res.headers.get("X-Two")).toBe("2");
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(res.headers.get("X-Kept")).toBe("yes");
    expect(res.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
  });

  it("sets them in place on a response whose body was read", async () => {
    const res = await app.request("/read");
    expect(res.status).toBe(202);
    expect(res.headers.get("X-One")).toBe("1");
    expect(res.headers.get("Cache-Control")).toBe("no-store");
  });
});

// The response the app built takes the headers in place; one with immutable headers is copied once.
describe("setResponseHeaders without copies", () => {
  const seen: { same: boolean }[] = [];
  const app = new Hono();
  app.use("*", async (c, next) => {
    await next();
    const before = c.res;
    setResponseHeaders(c, [["X-One", "1"], ["Cache-Control", "no-store"]]);
    seen.push({ same: c.res === before });
  });
  app.get("/made", (c) => c.body("body", 201, { "X-Kept": "yes" }));
  // Response.redirect's headers are immutable: setting one throws a TypeError.
  app.get("/redirect", () => Response.redirect("https://example.com/next", 302));

  it("sets them on the response the route made, without copying it", async () => {
    const res = await app.request("/made");
    expect(seen.pop()).toEqual({ same: true });
    expect(res.status).toBe(201);
    expect(await res.text()).toBe("body");
    expect([res.headers.get("X-One"), res.headers.get("Cache-Control"), res.headers.get("X-Kept")]).toEqual(["1", "no-store", "yes"]);
  });

  it("copies a response whose headers are immutable once, keeping its status and headers", async () => {
    const res = await app.request("/redirect");
    expect(seen.pop()).toEqual({ same: false });
    expect(res.status).toBe(302);
    expect(res.headers.get("Location")).toBe("https://example.com/next");
    expect([res.headers.get("X-One"), res.headers.get("Cache-Control")]).toEqual(["1", "no-store"]);
  });
});
