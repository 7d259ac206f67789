// A stand-in Convertr instance, written from Convertr's publisher API documentation alone (the
// v2.4 publisher API and the OAuth token endpoint of its older versions), with nothing of
// leadflare: no X-Api-Key, no Idempotency-Key, no /.well-known/leadflare, no sync subscriptions.
// Tests route outbound fetches for its host to `handle`.

export interface ReceiverForm {
  formId: number;
  formName: string;
  fields: string[];
}

export interface ReceivedLead {
  id: number;
  publisherId: number;
  formId: number;
  campaignId: number;
  linkId: number | null;
  contentType: string | null;
  body: string;
  fields: Record<string, string>;
}

interface Token {
  campaignId: number;
  publisherId: number;
  expiresAt: number;
}

const json = (body: unknown, status = 200) => Response.json(body, { status });
const notFound = () => json({ code: 404, message: "Not Found" }, 404);
const invalidToken = () => json({ error: "invalid_grant", error_description: "The access token provided is invalid." }, 401);
const expiredToken = () => json({ error: "invalid_grant", error_description: "The access token provided has expired." }, 401);

export class ConvertrReceiver {
  readonly leads: ReceivedLead[] = [];
  /** Every request the receiver answered, as "METHOD path". */
  readonly requests: string[] = [];
  tokenRequests = 0;
  private readonly tokens = new Map<string, Token>();
  private nextLeadId = 367086;
  /** Set to make the token endpoint answer this status (e.g. 503) instead of working. */
  tokenOutage: number | null = null;

  constructor(
    readonly origin: string,
    readonly client: { clientId: string; clientSecret: string },
    /** API key → the campaign publisher it belongs to. */
    readonly keys: Map<string, { publisherId: number; campaignId: number }>,
    /** Campaign id → its forms and links (section 3.3 and 3.4 bodies). */
    readonly campaigns: Map<number, { forms: ReceiverForm[]; links: { id: number; name: string; channel: string; destination: string }[] }>,
  ) {}

  /** Every token issued so far expires now (the documented 60 minutes have passed). */
  expireTokens(): void {
    for (const t of this.tokens.values()) t.expiresAt = 0;
  }

  handles(req: Request): boolean {
    return new URL(req.url).origin === this.origin;
  }

  async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    this.requests.push(`${req.method} ${url.pathname}`);
    if (url.pathname === "/oauth/v2/token") return this.token(req, url);
    let m = /^\/api\/v2\.4\/publisher\/(fields|links)\/(\d+)$/.exec(url.pathname);
    if (m && req.method === "GET") {
      const t = this.bearer(req);
      if (t instanceof Response) return t;
      const campaign = this.campaigns.get(Number(m[2]));
      if (!campaign || t.campaignId !== Number(m[2])) return notFound();
      return json(m[1] === "fields" ? campaign.forms : campaign.links);
    }
    m = /^\/api\/v2\.4\/publisher\/(\d+)\/forms\/(\d+)\/campaign\/(\d+)\/leads$/.exec(url.pathname);
    if (m && req.method === "POST") return this.lead(req, url, Number(m[1]), Number(m[2]), Number(m[3]));
    m = /^\/api\/v2\.1\/publisher\/(\d+)\/lead-result\/(\d+)$/.exec(url.pathname);
    if (m && req.method === "GET") {
      const t = this.bearer(req);
      if (t instanceof Response) return t;
      const lead = this.leads.find((l) => l.id === Number(m![2]) && l.publisherId === Number(m![1]));
      return lead ? json({ leadId: lead.id }) : notFound();
    }
    return notFound();
  }

  private async token(req: Request, url: URL): Promise<Response> {
    this.tokenRequests += 1;
    if (this.tokenOutage !== null) return new Response("<html>Service Unavailable</html>", { status: this.tokenOutage });
    const params = new URLSearchParams(url.search);
    if (req.method === "POST") for (const [k, v] of new URLSearchParams(new TextDecoder().decode(await req.arrayBuffer()))) params.set(k, v);
    if (params.get("client_id") !== this.client.clientId || params.get("client_secret") !== this.client.clientSecret) {
      return json({ error: "invalid_client", error_description: "The client credentials are invalid" }, 400);
    }
    if (!/\/grants\/api_key$/.test(params.get("grant_type") ?? "")) {
      return json({ error: "unsupported_grant_type", error_description: "Invalid grant_type parameter or parameter missing" }, 400);
    }
    const owner = this.keys.get(params.get("api_key") ?? "");
    if (!owner) return json({ error: "invalid_grant", error_description: "Invalid API key" }, 400);
    const access = crypto.randomUUID().replace(/-/g, "");
    this.tokens.set(access, { ...owner, expiresAt: Date.now() + 3600_000 });
    return json({ access_token: access, expires_in: 3600, token_type: "bearer", scope: null, refresh_token: crypto.randomUUID() });
  }

  private bearer(req: Request): Token | Response {
    const m = /^Bearer (\S+)$/.exec(req.headers.get("Authorization") ?? "");
    const t = m ? this.tokens.get(m[1]!) : undefined;
    if (!t) return invalidToken();
    if (t.expiresAt <= Date.now()) return expiredToken();
    return t;
  }

  private async lead(req: Request, url: URL, publisherId: number, formId: number, campaignId: number): Promise<Response> {
    const t = this.bearer(req);
    if (t instanceof Response) return t;
    const campaign = this.campaigns.get(campaignId);
    const form = campaign?.forms.find((f) => f.formId === formId);
    if (!campaign || !form || t.campaignId !== campaignId || t.publisherId !== publisherId) return notFound();
    const rawLink = url.searchParams.get("linkId");
    const linkId = rawLink === null ? null : Number(rawLink);
    if (linkId !== null && !campaign.links.some((l) => l.id === linkId)) return json({ code: 404, message: "Campaign Link not found" }, 404);
    const body = new TextDecoder().decode(await req.arrayBuffer());
    const fields = Object.fromEntries(new URLSearchParams(body));
    if (Object.keys(fields).some((k) => !form.fields.includes(k))) {
      const children = Object.fromEntries(form.fields.map((f) => [f.replace(/^form\[([^\]]+)\].*$/, "$1"), []]));
      return json({ code: 400, message: "Validation Failed", errors: { errors: ["This form should not contain extra fields."], children } }, 400);
    }
    const id = this.nextLeadId++;
    this.leads.push({ id, publisherId, formId, campaignId, linkId, contentType: req.headers.get("Content-Type"), body, fields });
    return json({ data: id, message: "Lead was created successfully", status: 201 }, 201);
  }
}
