import type { Hono } from "hono";
import { authenticate } from "../auth/authenticate";
import type { AppEnv } from "../env";
import { csvLine } from "../http/csv";
import { QueryParams } from "./query";
import { type Ctx, context } from "./resource";

// v4 collections as CSV: the collection's own URL with `Accept: text/csv` (another format of the
// same resource, as API Platform serves formats). The CSV route is registered before the resource,
// and a request that does not ask for CSV goes on to it. Files are streamed page by page, so memory
// stays one page whatever the size of the export.

/** Whether the client asked for CSV: `text/csv` among the Accept media ranges, not with q=0. */
export function wantsCsv(accept: string | undefined): boolean {
  return (accept ?? "").split(",").some((range) => {
    const [type, ...params] = range.split(";").map((s) => s.trim().toLowerCase());
    return type === "text/csv" && !params.some((p) => /^q=0(\.0*)?$/.test(p));
  });
}

/** Registers GET `path` for the requests that ask for CSV (authenticated as every v4 read). */
export function csvExportRoute(app: Hono<AppEnv>, path: string, run: (ctx: Ctx, q: QueryParams) => Response | Promise<Response>) {
  app.get(path, async (c, next) => {
    if (!wantsCsv(c.req.header("Accept"))) return next();
    await authenticate()(c, async () => {});
    return run(context(c), new QueryParams(c.req.url));
  });
}

/**
 * A CSV file streamed as it is read: the header row, then the records of each page that
 * `nextPage` returns; a page shorter than `pageSize` is the last.
 */
export function csvDownload(filename: string, header: unknown[], pageSize: number, nextPage: () => Promise<unknown[][]>): Response {
  const encoder = new TextEncoder();
  let headerSent = false;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!headerSent) {
        headerSent = true;
        controller.enqueue(encoder.encode(csvLine(header)));
        return;
      }
      const records = await nextPage();
      if (records.length > 0) controller.enqueue(encoder.encode(records.map(csvLine).join("")));
      if (records.length < pageSize) controller.close();
    },
  });
  return new Response(stream, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${filename}"`,
      "Cache-Control": "no-store",
    },
  });
}
