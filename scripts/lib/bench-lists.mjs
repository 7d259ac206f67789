// `npm run bench -- --only=lists` (and every full run): validation lists at the size a client's
// suppression list reaches. Through v4 as an admin: the CSV import of LIST_ENTRIES emails into a
// new list and their CSV export; then a validation_list_check job on campaign 601 (score 0, so the
// leads' flags do not change) checking every list, and the processing figure again, next to the
// same run's figure without it. Value transforms are turned off first, so that only the check differs.

export const LIST_ENTRIES = 100_000;

/** Imports LIST_ENTRIES emails into a new email list and exports them; the seconds each took. */
export async function importAndExportList(base, token) {
  const auth = { Authorization: `Bearer ${token}` };
  const created = await fetch(`${base}/api/v4/validation-lists`, {
    method: "POST",
    headers: { ...auth, "Content-Type": "application/ld+json" },
    body: JSON.stringify({ name: "Bench suppression list", kind: "email" }),
  });
  if (created.status !== 201) throw new Error(`creating the list: ${created.status} ${await created.text()}`);
  const { id } = await created.json();
  const csv = `email\n${Array.from({ length: LIST_ENTRIES }, (_, i) => `suppressed.${i}@bench-list.example`).join("\n")}\n`;
  let t0 = Date.now();
  const imported = await fetch(`${base}/api/v4/validation-lists/${id}/import`, { method: "POST", headers: { ...auth, "Content-Type": "text/csv" }, body: csv });
  const answer = await imported.json();
  const importSeconds = (Date.now() - t0) / 1000;
  if (imported.status !== 200 || answer.added !== LIST_ENTRIES) throw new Error(`import: ${imported.status} ${JSON.stringify(answer)}`);
  t0 = Date.now();
  const exported = await fetch(`${base}/api/v4/validation-list-entries?validationList.id=${id}`, { headers: { ...auth, Accept: "text/csv" } });
  const rows = (await exported.text()).trimEnd().split("\r\n").length - 1;
  const exportSeconds = (Date.now() - t0) / 1000;
  if (rows !== LIST_ENTRIES) throw new Error(`export: ${exported.status}, ${rows} rows`);
  return { entries: LIST_ENTRIES, importSeconds, exportSeconds, csvBytes: csv.length };
}

/** Adds a validation_list_check job (every list, score 0) to campaign 601, with value transforms off. */
export async function configureListCheck(db) {
  await db.batch([
    db.prepare("UPDATE campaigns SET use_value_transforms = 0 WHERE id = 601"),
    db.prepare(
      `INSERT INTO campaign_processr_jobs (campaign_id, type, label, score, hardfail, position, config)
       VALUES (601, 'validation_list_check', 'Bench validation lists', 0, 0, 99, '{}')`,
    ),
  ]);
}
