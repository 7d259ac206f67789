// `npm run bench -- --only=transforms` (and every full run): the processing figure again with
// advertiser value transforms on for campaign 601, next to the same run's figure with them off.
// The rules are the kinds a client sets up: a Transform with a 1,000-row value table (the bench
// leads' first name is in it), a concatenation, a regex replace, an upper-casing and a SHA-256
// hash of the email; each writes one lead data row and one note per lead.

const RULES = [
  ["Salutation", "Transform", "firstName", "salutation", null],
  ["Full name", "Manipulation", "firstName", "fullName", { operation: "concatenate", fields: ["lastName"], separator: " " }],
  ["Mailbox", "Manipulation", "email", "mailbox", { operation: "replace", pattern: "@.*$", replacement: "", flags: "g" }],
  ["Surname", "Manipulation", "lastName", "surnameUpper", { operation: "case", case: "upper" }],
  ["Hashed email", "Manipulation", "email", "emailSha256", { operation: "hash", algorithm: "sha256", normalise: true }],
];
const TABLE_ROWS = 1000;

/** Adds the rules to advertiser 319 (campaign 601's) and turns useValueTransforms on for 601. */
export async function configureValueTransforms(db) {
  const ids = [];
  for (const [position, [label, type, from, to, manipulation]] of RULES.entries()) {
    const row = await db
      .prepare(
        `INSERT INTO advertiser_value_transforms (advertiser_id, label, type, original_field_name, new_field_name, manipulation, position)
         VALUES (319, ?, ?, ?, ?, ?, ?) RETURNING id`,
      )
      .bind(label, type, from, to, manipulation === null ? null : JSON.stringify(manipulation), position)
      .first();
    ids.push(row.id);
  }
  const names = Array.from({ length: TABLE_ROWS - 1 }, (_, i) => `Name${i}`).concat("Grace");
  const inserts = [];
  for (let i = 0; i < names.length; i += 50) {
    const chunk = names.slice(i, i + 50);
    inserts.push(
      db
        .prepare(
          `INSERT INTO advertiser_value_transform_values (advertiser_value_transform_id, original_value, new_value)
           VALUES ${chunk.map(() => `(${ids[0]}, ?, ?)`).join(", ")}`,
        )
        .bind(...chunk.flatMap((n) => [n, `Dear ${n}`])),
    );
  }
  await db.batch([...inserts, db.prepare("UPDATE campaigns SET use_value_transforms = 1 WHERE id = 601")]);
  return { rules: RULES.length, tableRows: TABLE_ROWS };
}

/** How many of the leads got every rule's result (lead data of type value.transform). */
export async function transformedLeads(db, sinceLeadId) {
  const row = await db
    .prepare(
      `SELECT COUNT(*) AS n FROM (SELECT lead_id FROM lead_datas WHERE type = 'value.transform' AND lead_id > ?
        GROUP BY lead_id HAVING COUNT(*) = ?)`,
    )
    .bind(sinceLeadId, RULES.length)
    .first();
  return row.n;
}
