import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { bearer, call, DEMO, loginAs } from "../helpers";
import { count, formBody, leadsPath, postForm, SIMPLE } from "./support";

// The error table of Convertr's publisher API documentation, and every way a capture request can be refused.
let token: string;
beforeAll(async () => {
  token = await loginAs(DEMO.northwind);
});

const leadCount = () => count("SELECT count(*) AS n FROM leads");
const statsTotal = () => count("SELECT total_leads AS n FROM campaign_statistics WHERE campaign_id = 601");

/** Posts, expects the exact status and body, and checks that nothing was stored. */
async function refused(res: Promise<Response>, status: number, body: unknown) {
  const [leads, total] = [await leadCount(), await statsTotal()];
  const r = await res;
  expect({ status: r.status, body: await r.json() }).toEqual({ status, body });
  expect(await leadCount()).toBe(leads);
  expect(await statsTotal()).toBe(total);
}

async function withCampaign(changes: string, run: () => Promise<void>) {
  const before = await env.DB.prepare("SELECT end_ts, paused, contract_signed FROM campaigns WHERE id = 601").first<Record<string, number>>();
  await env.DB.prepare(`UPDATE campaigns SET ${changes} WHERE id = 601`).run();
  try {
    await run();
  } finally {
    await env.DB.prepare("UPDATE campaigns SET end_ts = ?, paused = ?, contract_signed = ? WHERE id = 601")
      .bind(before!.end_ts, before!.paused, before!.contract_signed).run();
  }
}

describe("the error table (Convertr's publisher API documentation), with exact bodies", () => {
  it("400: an extra field gives the documented body, byte for byte", async () => {
    const leads = await leadCount();
    const res = await postForm(leadsPath(12, 35, 601), formBody({ ...SIMPLE, promotion: "x" }), bearer(token));
    expect(res.status).toBe(400);
    expect(await res.text()).toBe(
      '{"code":400,"message":"Validation Failed","errors":{"errors":["This form should not contain extra fields."],"children":{"firstName":[],"email":[],"lastName":[]}}}',
    );
    expect(await leadCount()).toBe(leads);
  });

  it("400: a key outside form[…] is an extra field too", async () => {
    await refused(postForm(leadsPath(12, 35, 601), formBody(SIMPLE, [["campaign", "1"]]), bearer(token)), 400, {
      code: 400, message: "Validation Failed",
      errors: { errors: ["This form should not contain extra fields."], children: { firstName: [], email: [], lastName: [] } },
    });
  });

  it("400: a missing required field and a malformed email are listed under their fields", async () => {
    await refused(postForm(leadsPath(12, 35, 601), formBody({ lastName: "Hannah", email: "not-an-email" }), bearer(token)), 400, {
      code: 400, message: "Validation Failed",
      errors: {
        children: {
          firstName: { errors: ["This value should not be blank."] },
          email: { errors: ["This value is not a valid email address."] },
          lastName: [],
        },
      },
    });
    // Blank after trimming is missing.
    await refused(postForm(leadsPath(12, 35, 601), formBody({ ...SIMPLE, firstName: "   " }), bearer(token)), 400, {
      code: 400, message: "Validation Failed",
      errors: { children: { firstName: { errors: ["This value should not be blank."] }, email: [], lastName: [] } },
    });
  });

  it("400: nested fields are children of their group", async () => {
    await refused(postForm(leadsPath(12, 23, 601), formBody({ ...SIMPLE, "lookup[postcode]": "x".repeat(1001) }), bearer(token)), 400, {
      code: 400, message: "Validation Failed",
      errors: {
        children: {
          promotion: [], title: [], firstName: [], lastName: [], email: [],
          lookup: {
            children: {
              addressLine1: [], addressLine2: [], addressLine3: [], addressLine4: [],
              postcode: { errors: ["This value is too long. It should have 1000 characters or less."] },
            },
          },
          telephone: { children: { countryCode: [], telephone: [] } },
        },
      },
    });
  });

  it("401: invalid, expired and missing tokens get the OAuth bodies", async () => {
    await refused(postForm(leadsPath(12, 35, 601), formBody(SIMPLE), bearer("nope")), 401, {
      error: "invalid_grant", error_description: "The access token provided is invalid.",
    });
    const { SignJWT } = await import("jose");
    const { jwtKey } = await import("../../src/auth/tokens");
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ role: "publisher", usr: DEMO.northwind.username, pub: 12, ent: "acme" })
      .setProtectedHeader({ alg: "HS256" }).setSubject("201").setIssuer("leadflare:acme").setAudience("leadflare-api")
      .setIssuedAt(now - 7200).setExpirationTime(now - 3600).sign(jwtKey(env));
    await refused(postForm(leadsPath(12, 35, 601), formBody(SIMPLE), bearer(expired)), 401, {
      error: "invalid_grant", error_description: "The access token provided has expired.",
    });
    await refused(postForm(leadsPath(12, 35, 601), formBody(SIMPLE)), 401, {
      error: "access_denied", error_description: "OAuth2 authentication required",
    });
    await refused(postForm(leadsPath(12, 35, 601), formBody(SIMPLE), { "X-Api-Key": "0".repeat(32) }), 401, {
      error: "invalid_grant", error_description: "The access token provided is invalid.",
    });
  });

  it("401 comes before any complaint about the body", async () => {
    await refused(postForm(leadsPath(12, 35, 601), "form[firstName]=%ZZ", { "X-Api-Key": "bad" }), 401, {
      error: "invalid_grant", error_description: "The access token provided is invalid.",
    });
  });

  it("403: not started (602) and fulfilled (603)", async () => {
    const leads = await leadCount();
    const a = await postForm(leadsPath(12, 36, 602), formBody(SIMPLE), bearer(token));
    expect(a.status).toBe(403);
    expect(await a.text()).toBe('{"code":403,"message":"Campaign has not started yet"}');
    const b = await postForm(leadsPath(12, 37, 603), formBody(SIMPLE), bearer(token));
    expect(b.status).toBe(403);
    expect(await b.text()).toBe('{"code":403,"message":"Campaign is fulfilled"}');
    expect(await leadCount()).toBe(leads);
  });

  it("403: ended by its end date, paused, setup required", async () => {
    const post = () => postForm(leadsPath(12, 35, 601), formBody(SIMPLE), bearer(token));
    await withCampaign(`end_ts = ${Date.now() - 1000}`, () => refused(post(), 403, { code: 403, message: "Campaign has ended" }));
    await withCampaign("paused = 1", () => refused(post(), 403, { code: 403, message: "Campaign is paused" }));
    await withCampaign("contract_signed = 0", () =>
      refused(post(), 403, { code: 403, message: "Campaign setup is not complete" }));
  });

  it("403: an unsigned campaign publisher contract", async () => {
    await env.DB.prepare("UPDATE campaign_publishers SET signed = 0 WHERE campaign_id = 601 AND publisher_id = 12").run();
    try {
      await refused(postForm(leadsPath(12, 35, 601), formBody(SIMPLE), bearer(token)), 403, {
        code: 403, message: "Campaign publisher contract is not signed",
      });
    } finally {
      await env.DB.prepare("UPDATE campaign_publishers SET signed = 1 WHERE campaign_id = 601 AND publisher_id = 12").run();
    }
  });

  it("404: wrong campaign, form (also another campaign's form) and ids that are not ids", async () => {
    const notFound = { code: 404, message: "Not Found" };
    await refused(postForm(leadsPath(12, 35, 999), formBody(SIMPLE), bearer(token)), 404, notFound);
    await refused(postForm(leadsPath(12, 999, 601), formBody(SIMPLE), bearer(token)), 404, notFound);
    await refused(postForm(leadsPath(12, 36, 601), formBody(SIMPLE), bearer(token)), 404, notFound);
    await refused(postForm("/api/v2.4/publisher/12/forms/abc/campaign/601/leads", formBody(SIMPLE), bearer(token)), 404, notFound);
    const res = await call(leadsPath(12, 35, 601), { method: "GET", headers: bearer(token) });
    expect(res.status).toBe(404);
  });

  it("404: a publisher that is not on the campaign (admin acting for it)", async () => {
    const admin = await loginAs(DEMO.admin);
    await refused(postForm(leadsPath(13, 36, 602), formBody(SIMPLE), bearer(admin)), 404, { code: 404, message: "Not Found" });
    await refused(postForm(leadsPath(99, 35, 601), formBody(SIMPLE), bearer(admin)), 404, { code: 404, message: "Not Found" });
  });

  it("404: an unknown linkId, another campaign's link, a linkId that is not an id", async () => {
    const body = { code: 404, message: "Campaign Link not found" };
    await refused(postForm(leadsPath(12, 35, 601, "?linkId=99"), formBody(SIMPLE), bearer(token)), 404, body);
    await env.DB.prepare("INSERT INTO links (id, campaign_id, channel, name, destination) VALUES (77, 603, 'Email', 'x', 'https://x.test')").run();
    await refused(postForm(leadsPath(12, 35, 601, "?linkId=77"), formBody(SIMPLE), bearer(token)), 404, body);
    await refused(postForm(leadsPath(12, 35, 601, "?linkId=email"), formBody(SIMPLE), bearer(token)), 404, body);
  });
});

describe("bodies that are refused before validation", () => {
  const post = (body: BodyInit, type = "application/x-www-form-urlencoded") =>
    call(leadsPath(12, 35, 601), { method: "POST", headers: { "Content-Type": type, ...bearer(token) }, body });

  it("413 past 32 KiB, whatever Content-Length says", async () => {
    await refused(post(formBody({ ...SIMPLE, firstName: "x".repeat(33 * 1024) })), 413, {
      code: 413, message: "Request body exceeds 32768 bytes.",
    });
  });

  it("400 for too many fields and for an over-long value (never truncated)", async () => {
    const many = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`f${i}`, "v"]));
    await refused(post(formBody(many)), 400, { code: 400, message: "Too many fields: at most 100 are accepted." });
    await refused(post(formBody({ ...SIMPLE, firstName: "é".repeat(1001) })), 400, {
      code: 400, message: "Validation Failed",
      errors: { children: { firstName: { errors: ["This value is too long. It should have 1000 characters or less."] }, email: [], lastName: [] } },
    });
  });

  it("400 for malformed percent-encoding and invalid UTF-8 (raw or percent-encoded)", async () => {
    await refused(post("form%5BfirstName%5D=%E0%A4%A&form%5BlastName%5D=x"), 400, {
      code: 400, message: "Malformed percent-encoding in request body.",
    });
    await refused(post("form%5BfirstName%5D=%FF"), 400, { code: 400, message: "Malformed percent-encoding in request body." });
    await refused(post(new Uint8Array([0x66, 0x6f, 0x72, 0x6d, 0x3d, 0xff, 0xfe])), 400, {
      code: 400, message: "Request body is not valid UTF-8.",
    });
  });

  it("400 for duplicate keys, arrays, values given as groups and malformed names", async () => {
    const cases: [BodyInit, string, string][] = [
      [`${formBody(SIMPLE)}&form%5BfirstName%5D=Again`, "application/x-www-form-urlencoded", 'Field "form[firstName]" is given more than once.'],
      ["form[firstName][]=a&form[firstName][]=b", "application/x-www-form-urlencoded", 'Field "form[firstName][]" is an array; a single value is expected.'],
      ["form=abc", "application/x-www-form-urlencoded", 'Field "form" must be a group of fields, not a value.'],
      ["form[lookup]=a&form[lookup][postcode]=b", "application/x-www-form-urlencoded", 'Field "form[lookup][postcode]" is given both as a value and as a group.'],
      ["form[a]b=1", "application/x-www-form-urlencoded", 'Malformed field name "form[a]b".'],
      ['{"form":{"firstName":"a","firstName":"b"}}', "application/json", 'Key "firstName" is given more than once.'],
      ['{"form":{"firstName":["a"]}}', "application/json", 'Field "form[firstName]" must be a string.'],
      ['{"form":{"firstName":null}}', "application/json", 'Field "form[firstName]" must be a string.'],
      ['{"form":["a"]}', "application/json", '"form" must be an object of fields.'],
      ["[1]", "application/json", 'Request body must be a JSON object {"form":{…}}.'],
      ['{"form":', "application/json", "Request body is not valid JSON."],
    ];
    for (const [body, type, message] of cases) await refused(post(body, type), 400, { code: 400, message });
  });

  it("400 for a file in a multipart body, 415 for other content types", async () => {
    const fd = new FormData();
    fd.set("form[firstName]", new File(["x"], "x.txt"));
    await refused(call(leadsPath(12, 35, 601), { method: "POST", headers: bearer(token), body: fd }), 400, {
      code: 400, message: 'Field "form[firstName]" must be a string, not a file.',
    });
    await refused(post("hello", "text/plain"), 415, {
      code: 415, message: "Content-Type must be application/x-www-form-urlencoded, multipart/form-data or application/json.",
    });
  });

  it("400 for a malformed Idempotency-Key", async () => {
    await refused(
      call(leadsPath(12, 35, 601), {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", "Idempotency-Key": "has space", ...bearer(token) },
        body: formBody(SIMPLE),
      }),
      400,
      { code: 400, message: "Idempotency-Key must be 1 to 255 visible ASCII characters." },
    );
  });
});

describe("typed fields", () => {
  it("number, date and telephone fields are checked; empty optional ones are not", async () => {
    await env.DB.batch([
      env.DB.prepare(`INSERT INTO forms (id, campaign_id, name) VALUES (640, 601, 'Typed form')`),
      env.DB.prepare(`INSERT INTO form_fields (form_id, name, type, required, position) VALUES
        (640, 'employees', 'number', 0, 0), (640, 'dob', 'date', 0, 1), (640, 'phone', 'telephone', 0, 2)`),
    ]);
    await refused(postForm(leadsPath(12, 640, 601), formBody({ employees: "12a", dob: "2026-02-30", phone: "call me" }), bearer(token)), 400, {
      code: 400, message: "Validation Failed",
      errors: {
        children: {
          employees: { errors: ["This value should be a valid number."] },
          dob: { errors: ["This value is not a valid date."] },
          phone: { errors: ["This value is not a valid phone number."] },
        },
      },
    });
    const ok = await postForm(leadsPath(12, 640, 601), formBody({ employees: "250", dob: "1990-04-01", phone: "+44 (0)20 7946 0000" }), bearer(token));
    expect(ok.status).toBe(201);
    const empty = await postForm(leadsPath(12, 640, 601), formBody({ employees: "", dob: "" }), bearer(token));
    expect(empty.status).toBe(201);
  });
});
