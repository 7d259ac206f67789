import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { bearer, call, DEMO, json, loginAs } from "../helpers";
import { callWithKey, WEBHOOK_KEY } from "../webhooks/helpers";
import { formBody, KEYS, leadsPath, postForm } from "./support";

// A lead's core values (the v4 Lead's firstName, lastName, telephone, postcode) come from the
// fields of its form whatever the form calls them: the agency's form asks for `surname` and
// `phone`, another form's telephone-type field is `contactNumber`. Capture, Edit Data and lead
// append agree on which value fills which column.

const FORM = 660;
let admin: string;

interface Lead {
  firstName: string;
  lastName: string;
  email: string;
  telephone: string;
  postcode: string;
  leadData: { name: string; value: string }[];
}

async function lead(id: number): Promise<Lead> {
  const res = await call(`/api/v4/leads/${id}`, { headers: bearer(admin) });
  expect(res.status).toBe(200);
  return (await res.json()) as Lead;
}

async function capture(fields: Record<string, string>): Promise<number> {
  const res = await postForm(leadsPath(12, FORM, 601), formBody(fields), { "X-Api-Key": KEYS.northwind601 });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { data: number }).data;
}

beforeAll(async () => {
  admin = await loginAs(DEMO.admin);
  await env.DB.batch([
    env.DB.prepare(`INSERT INTO forms (id, campaign_id, name) VALUES (${FORM}, 601, 'Surname form')`),
    env.DB.prepare(`INSERT INTO form_fields (form_id, name, type, required, position) VALUES
      (${FORM}, 'forename', 'text', 1, 0), (${FORM}, 'surname', 'text', 1, 1), (${FORM}, 'emailAddress', 'email', 1, 2),
      (${FORM}, 'phone', 'text', 0, 3), (${FORM}, 'contactNumber', 'telephone', 0, 4), (${FORM}, 'zip', 'text', 0, 5)`),
  ]);
});

describe("core values under other field names", () => {
  it("capture fills firstName, lastName and postcode from forename, surname and zip", async () => {
    const id = await capture({ forename: "Grace", surname: "Hopper", emailAddress: "grace@example.org", phone: "020 7946 0000", zip: "SW1A 1AA" });
    expect(await lead(id)).toMatchObject({
      firstName: "Grace", lastName: "Hopper", email: "grace@example.org", telephone: "020 7946 0000", postcode: "SW1A 1AA",
    });
  });

  it("the form's telephone-type field comes before a field named phone", async () => {
    const id = await capture({ forename: "Alan", surname: "Turing", emailAddress: "alan@example.org", phone: "1", contactNumber: "07700 900123" });
    expect((await lead(id)).telephone).toBe("07700 900123");
  });

  it("Edit Data of surname changes lastName, and clearing it leaves lastName empty", async () => {
    const id = await capture({ forename: "Joan", surname: "Clark", emailAddress: "joan@example.org" });
    const edit = (value: string) =>
      call("/api/v4/lead-datas", json({ lead: `/api/v4/leads/${id}`, name: "surname", value }, "POST", bearer(admin)));
    expect((await edit("Clarke")).status).toBe(201);
    expect((await lead(id)).lastName).toBe("Clarke");
    expect((await edit("")).status).toBe(201);
    expect((await lead(id)).lastName).toBe("");
  });

  it("lead append of surname, zip and phone changes lastName, postcode and telephone", async () => {
    const id = await capture({ forename: "Mary", surname: "Somerville", emailAddress: "mary@example.org" });
    const { results } = await env.DB.prepare("SELECT lead_hash FROM leads WHERE id = ?").bind(id).all<{ lead_hash: string }>();
    const append = (fields: Record<string, string>) =>
      callWithKey(WEBHOOK_KEY, `/ajax/lead-append/${results[0]!.lead_hash}`, json(fields, "POST", { "X-Webhook-Key": WEBHOOK_KEY }));
    expect((await append({ surname: "Fairfax", zip: "EH1 1AA" })).status).toBe(200);
    expect(await lead(id)).toMatchObject({ firstName: "Mary", lastName: "Fairfax", postcode: "EH1 1AA" });
    expect((await append({ jobTitle: "Astronomer", phone: "0131 496 0000" })).status).toBe(200);
    expect(await lead(id)).toMatchObject({ firstName: "Mary", lastName: "Fairfax", postcode: "EH1 1AA", telephone: "0131 496 0000" });
    // The form's telephone-type field comes first here too.
    expect((await append({ contactNumber: "07700 900456" })).status).toBe(200);
    expect((await lead(id)).telephone).toBe("07700 900456");
  });
});
