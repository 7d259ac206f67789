// A bulk flag of `count` bulk-loaded leads under measurement: their ids uploaded as a CSV to
// POST /api/v4/leads-bulk-flag (Invalid, with a reason), then the job read until it is done.
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** { leads, done, failed, acceptedMs, seconds, leadsPerSecond } or { pending }. */
export async function measureBulkFlag(base, headers, db, { count = 10_000, limitMs = 600_000 } = {}) {
  const { results } = await db.prepare("SELECT id FROM leads WHERE campaign_id = 601 AND flag = 'Valid' ORDER BY id LIMIT ?1").bind(count).all();
  const form = new FormData();
  form.set("file", new Blob([`id\r\n${results.map((r) => r.id).join("\r\n")}\r\n`], { type: "text/csv" }), "leads.csv");
  form.set("leadFlag", "2");
  form.set("reason", "Bench: bulk flag");
  const t0 = Date.now();
  const res = await fetch(`${base}/api/v4/leads-bulk-flag`, { method: "POST", headers, body: form });
  const acceptedMs = Date.now() - t0;
  if (res.status !== 202) return { pending: `leads-bulk-flag answered ${res.status}: ${(await res.text()).slice(0, 300)}` };
  const jobUrl = `${base}${(await res.json())["@id"]}`;
  let job;
  do {
    await sleep(250);
    job = await (await fetch(jobUrl, { headers })).json();
  } while (job.status !== "done" && Date.now() - t0 < limitMs);
  const seconds = (Date.now() - t0) / 1000;
  return { leads: job.total, done: job.done, failed: job.failed, complete: job.status === "done", acceptedMs, seconds, leadsPerSecond: (job.done + job.failed) / seconds };
}
