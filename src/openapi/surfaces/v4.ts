import { z } from "zod";
import { DOCS_PATH } from "../../hydra/jsonld";
import type { ResourceDef } from "../../hydra/resource";
import { resources } from "../../routes/v4/resources";
import type { OperationSpec } from "../operation";
import type { Surface } from "./surface";

// The v4 API describes itself in Hydra (JSON-LD), the way API Platform does, and that description
// is what its clients read (API Platform's admin and api-doc-parser). Here it gets a section of its
// own: how to use it, its resources (from the same declarations the Hydra documentation is
// generated from) and the two public documents as operations.

const TAG = "v4 API (Hydra)";

const methods = (d: ResourceDef) =>
  ["GET", d.create && "POST", d.update && "PUT", d.patch && "PATCH", d.remove && "DELETE"].filter(Boolean).join(", ");

function description(base: string): string {
  const rows = resources.map((d) => `| \`/api/v4/${d.path}\` | ${d.type} | ${methods(d)} | ${d.description.replace(/\|/g, "\\|").replace(/\n/g, " ")} |`);
  return [
    "Convertr's v4 API: leads, campaigns and the configuration of an enterprise, in JSON-LD with Hydra collections, as API Platform serves it. " +
      `Its machine-readable description is the Hydra documentation at [\`${DOCS_PATH}\`](${base}${DOCS_PATH}); every answer links to it (\`Link: <…/docs.jsonld>; rel="http://www.w3.org/ns/hydra/core#apiDocumentation"\`).`,
    "",
    "Use it with a bearer token from `POST /api/login` (admins see everything; a publisher user sees its own leads and campaigns). Collections are paged " +
      "(`page`, `itemsPerPage`), filtered (`campaign.id=601`, `createdTs[after]=2026-01-01`) and ordered (`order[id]=desc`); with curl, pass `-g` so that the brackets are sent as they are:",
    "",
    "```sh",
    `TOKEN=$(curl -s ${base}/api/login --data-urlencode 'username=admin@acme.test' --data-urlencode 'password=acme-admin-2026!' | sed -E 's/.*"access_token":"([^"]+)".*/\\1/')`,
    `curl -s -g '${base}/api/v4/leads?campaign.id=603&order[id]=desc' -H "Authorization: Bearer $TOKEN"`,
    "```",
    "",
    "Writes take `application/ld+json` (POST, PUT) or `application/merge-patch+json` (PATCH); errors are `hydra:Error` or, for invalid fields, a `ConstraintViolationList`.",
    "",
    "A campaign's purchase order document is a file sub-resource, as API Platform takes uploads: `POST /api/v4/campaigns/{id}/purchase-order-file` with " +
      "`multipart/form-data` and one `file` part (PDF, PNG, JPEG, Word or Excel, at most 10 MiB; answers 201 with the Campaign), `GET` streams it back with its " +
      "type and file name, `DELETE` removes it (admins only; stored in R2):",
    "",
    "```sh",
    `curl -s -F 'file=@PO-4711.pdf;type=application/pdf' ${base}/api/v4/campaigns/601/purchase-order-file -H "Authorization: Bearer $TOKEN"`,
    `curl -s -OJ ${base}/api/v4/campaigns/601/purchase-order-file -H "Authorization: Bearer $TOKEN"`,
    "```",
    "",
    "| Collection | Type | Methods | What |",
    "| --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}

/** The Hydra documentation (its classes are generated from the resource declarations). */
const apiDocumentationSchema = z.looseObject({
  "@context": z.record(z.string(), z.unknown()),
  "@id": z.literal(DOCS_PATH),
  "@type": z.literal("hydra:ApiDocumentation"),
  "hydra:title": z.string(),
  "hydra:entrypoint": z.string(),
  "hydra:supportedClass": z.array(z.looseObject({ "@id": z.string(), "hydra:title": z.string() })),
});

const entrypointSchema = z.looseObject({ "@context": z.string(), "@id": z.string(), "@type": z.literal("Entrypoint") });

export function v4Surface(base: string): Surface {
  const docs: OperationSpec = {
    method: "get",
    path: DOCS_PATH,
    operationId: "v4Documentation",
    tags: [TAG],
    summary: "The Hydra documentation",
    description: "Every v4 class with its properties (range, required, writable) and operations. Public.",
    security: [],
    responses: { "200": { description: "The API documentation.", schema: "HydraApiDocumentation", contentType: "application/ld+json" } },
  };
  const entrypoint: OperationSpec = {
    method: "get",
    path: "/api/v4",
    operationId: "v4Entrypoint",
    tags: [TAG],
    summary: "The entrypoint",
    description: "The IRI of every collection. Public.",
    security: [],
    responses: { "200": { description: "The entrypoint.", schema: "HydraEntrypoint", contentType: "application/ld+json" } },
  };
  return {
    tag: { name: TAG, description: description(base) },
    operations: [entrypoint, docs],
    requests: {},
    responses: { HydraApiDocumentation: apiDocumentationSchema, HydraEntrypoint: entrypointSchema },
  };
}
