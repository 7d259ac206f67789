import { ref } from "./json-schema";

// One builder for every operation of the document: parameters with their demo values, the
// request body's examples per media type, the responses with named examples, and curl samples
// (x-codeSamples, which the reference shows) made from those same examples, so the sample a reader
// copies is the documented example request.

export type MediaType = "application/json" | "application/x-www-form-urlencoded" | "multipart/form-data";

/** How the demo authenticates an operation's example (and its curl sample). */
export type DemoCredentials =
  | { kind: "bearer"; username: string; password: string }
  | { kind: "header"; name: string; value: string }
  | { kind: "query"; name: string; value: string };

/** Security requirement alternatives, as OpenAPI lists them. */
export type Security = Record<string, string[]>[];

export interface Param {
  name: string;
  in: "path" | "query" | "header";
  description: string;
  required?: boolean;
  schema?: Record<string, unknown>;
  /** The demo value; parameters without one are left out of the example request. */
  example?: string | number;
}

export interface Example {
  summary: string;
  value: unknown;
}

export interface ResponseSpec {
  description: string;
  /** Component name of the JSON body; none for an empty body. */
  schema?: string;
  contentType?: string;
  examples?: Record<string, Example>;
  headers?: Record<string, { description: string; schema: Record<string, unknown> }>;
}

export interface OperationSpec {
  method: "get" | "post";
  path: string;
  operationId: string;
  tags: string[];
  summary: string;
  description: string;
  params?: Param[];
  /** Alternatives, as OpenAPI lists them; [] for a public operation. */
  security: Security;
  demo?: DemoCredentials;
  body?: {
    description: string;
    /** Component name per media type, and the example (a flat object for the form encodings). */
    content: Partial<Record<MediaType, { schema: string; example: unknown }>>;
  };
  responses: Record<string, ResponseSpec>;
}

/** The same fields url-encoded or as JSON (src/http/body.ts reads either): one schema, one example. */
export function formOrJson(schema: string, example: unknown): Partial<Record<MediaType, { schema: string; example: unknown }>> {
  return {
    "application/x-www-form-urlencoded": { schema, example },
    "application/json": { schema, example },
  };
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function flatPairs(example: unknown): [string, string][] {
  return Object.entries(example as Record<string, unknown>).map(([k, v]) => [k, String(v)]);
}

/** The curl command (after a token line for bearer credentials) that sends the example. */
export function curlSample(base: string, op: OperationSpec, mediaType?: MediaType): string {
  const lines: string[] = [];
  const args: string[] = [];
  let path = op.path;
  const query = new URLSearchParams();
  for (const p of op.params ?? []) {
    if (p.example === undefined) continue;
    if (p.in === "path") path = path.replace(`{${p.name}}`, encodeURIComponent(String(p.example)));
    else if (p.in === "query") query.set(p.name, String(p.example));
    else args.push("-H", shellQuote(`${p.name}: ${p.example}`));
  }
  const cred = op.demo;
  if (cred?.kind === "bearer") {
    lines.push(
      `TOKEN=$(curl -s ${shellQuote(`${base}/api/login`)} --data-urlencode ${shellQuote(`username=${cred.username}`)} --data-urlencode ${shellQuote(`password=${cred.password}`)} | sed -E 's/.*"access_token":"([^"]+)".*/\\1/')`,
    );
    args.push("-H", '"Authorization: Bearer $TOKEN"');
  } else if (cred?.kind === "header") {
    args.push("-H", shellQuote(`${cred.name}: ${cred.value}`));
  } else if (cred?.kind === "query") {
    query.set(cred.name, cred.value);
  }
  const body = mediaType ? op.body?.content[mediaType] : undefined;
  if (body && mediaType === "application/json") {
    args.push("-H", shellQuote("Content-Type: application/json"), "--data-binary", shellQuote(JSON.stringify(body.example)));
  } else if (body && mediaType === "application/x-www-form-urlencoded") {
    for (const [k, v] of flatPairs(body.example)) args.push("--data-urlencode", shellQuote(`${k}=${v}`));
  } else if (body && mediaType === "multipart/form-data") {
    for (const [k, v] of flatPairs(body.example)) args.push("--form-string", shellQuote(`${k}=${v}`));
  }
  const qs = query.size > 0 ? `?${query}` : "";
  // -g: brackets in a URL are literal, never curl's globbing.
  lines.push(["curl -s -g", ...(op.method === "post" ? ["-X POST"] : []), shellQuote(`${base}${path}${qs}`), ...args].join(" "));
  return lines.join("\n");
}

const SAMPLE_LABEL: Record<MediaType, string> = {
  "application/x-www-form-urlencoded": "curl (form)",
  "multipart/form-data": "curl (multipart)",
  "application/json": "curl (JSON)",
};

function response(r: ResponseSpec) {
  return {
    description: r.description,
    ...(r.headers ? { headers: r.headers } : {}),
    ...(r.schema
      ? {
          content: {
            [r.contentType ?? "application/json"]: {
              schema: ref(r.schema),
              ...(r.examples ? { examples: r.examples } : {}),
            },
          },
        }
      : {}),
  };
}

/** The OpenAPI Operation Object. */
export function operation(base: string, op: OperationSpec): Record<string, unknown> {
  const mediaTypes = Object.keys(op.body?.content ?? {}) as MediaType[];
  return {
    operationId: op.operationId,
    tags: op.tags,
    summary: op.summary,
    description: op.description,
    security: op.security,
    parameters: (op.params ?? []).map((p) => ({
      name: p.name,
      in: p.in,
      description: p.description,
      required: p.in === "path" ? true : p.required ?? false,
      schema: p.schema ?? { type: typeof p.example === "number" ? "integer" : "string" },
      ...(p.example !== undefined ? { example: p.example } : {}),
    })),
    ...(op.body
      ? {
          requestBody: {
            description: op.body.description,
            required: true,
            content: Object.fromEntries(
              mediaTypes.map((m) => [m, { schema: ref(op.body!.content[m]!.schema), example: op.body!.content[m]!.example }]),
            ),
          },
        }
      : {}),
    responses: Object.fromEntries(Object.entries(op.responses).map(([status, r]) => [status, response(r)])),
    "x-codeSamples": (mediaTypes.length > 0 ? mediaTypes : [undefined]).map((m) => ({
      lang: "Shell",
      label: m ? SAMPLE_LABEL[m] : "curl",
      source: curlSample(base, op, m),
    })),
  };
}
