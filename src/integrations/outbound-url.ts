import type { Env } from "../env";

// Where integrations may call out to. Outside local development only https, and never private,
// loopback, link-local or cloud-metadata addresses (SSRF), unless the enterprise opts in with
// ALLOW_PRIVATE_OUTBOUND = "true" (the local demo, where both enterprises live on 127.0.0.1).
// Hostnames are not resolved here (Workers cannot); Cloudflare's edge does not route Worker
// fetches to private networks, so the literal and well-known-name checks are the layer we own.

export class OutboundUrlError extends Error {}

type PolicyEnv = Pick<Env, "ENVIRONMENT"> & { ALLOW_PRIVATE_OUTBOUND?: string };

const BLOCKED_NAMES = ["localhost", "metadata.google.internal", "metadata"];
const BLOCKED_SUFFIXES = [".localhost", ".internal", ".local", ".localdomain"];

/** [first address, prefix length] of IPv4 ranges that are not the public internet (RFC 6890). */
const PRIVATE_V4: [string, number][] = [
  ["0.0.0.0", 8], ["10.0.0.0", 8], ["100.64.0.0", 10], ["127.0.0.0", 8], ["169.254.0.0", 16],
  ["172.16.0.0", 12], ["192.0.0.0", 24], ["192.0.2.0", 24], ["192.88.99.0", 24], ["192.168.0.0", 16],
  ["198.18.0.0", 15], ["198.51.100.0", 24], ["203.0.113.0", 24], ["224.0.0.0", 4], ["240.0.0.0", 4],
];

function v4ToInt(ip: string): number | null {
  const parts = ip.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return null;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

function isPrivateV4(ip: string): boolean {
  const n = v4ToInt(ip);
  if (n === null) return false;
  return PRIVATE_V4.some(([base, bits]) => {
    const size = 2 ** (32 - bits);
    return Math.floor(n / size) === Math.floor(v4ToInt(base)! / size);
  });
}

/** Expands an IPv6 literal (as normalised by the URL parser) to eight 16-bit groups. */
function v6Groups(ip: string): number[] | null {
  // A trailing dotted IPv4 part ("::ffff:1.2.3.4") becomes two hex groups.
  const s = ip.replace(/(\d+\.\d+\.\d+\.\d+)$/, (v4) => {
    const n = v4ToInt(v4);
    return n === null ? "x" : `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  });
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((g) => (/^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16) : NaN)));
  const h = parse(halves[0]!);
  const r = halves.length === 2 ? parse(halves[1]!) : [];
  const groups = halves.length === 2 ? [...h, ...Array(Math.max(0, 8 - h.length - r.length)).fill(0), ...r] : h;
  if (groups.length !== 8 || groups.some((g) => Number.isNaN(g))) return null;
  return groups;
}

/**
 * IPv6 forms that carry an IPv4 address a gateway may translate or tunnel to: IPv4-compatible
 * (::a.b.c.d), IPv4-mapped (::ffff:a.b.c.d), IPv4-translated (::ffff:0:a.b.c.d), NAT64
 * (64:ff9b::/96 and the local-use 64:ff9b:1::/48), 6to4 (2002::/16) and Teredo (2001::/32).
 * They are all refused, whatever IPv4 address they carry: a public IPv4 target can be named as
 * itself, and judging the embedded address per form is where filters have been bypassed.
 */
function embedsIPv4(g: number[]): boolean {
  const zeroUpTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  // ::a.b.c.d with a.b above 0 (below it are :: and ::1, refused as such).
  if (zeroUpTo(5) && ((g[5] === 0 && g[6] !== 0) || g[5] === 0xffff)) return true;
  if (zeroUpTo(4) && g[4] === 0xffff && g[5] === 0) return true;
  if (g[0] === 0x64 && g[1] === 0xff9b && (g[2] === 0 || g[2] === 1)) return true;
  return g[0] === 0x2002 || (g[0] === 0x2001 && g[1] === 0);
}

function isPrivateV6(ip: string): boolean {
  const g = v6Groups(ip);
  if (!g) return true; // unparseable literal: refuse rather than guess
  const allZeroUpTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (allZeroUpTo(6)) return true; // ::, ::1 and the rest of ::/96
  if (embedsIPv4(g)) return true;
  if ((g[0]! & 0xfe00) === 0xfc00) return true; // unique local fc00::/7
  if ((g[0]! & 0xffc0) === 0xfe80) return true; // link-local fe80::/10
  if ((g[0]! & 0xffc0) === 0xfec0) return true; // site-local (deprecated) fec0::/10
  if ((g[0]! & 0xff00) === 0xff00) return true; // multicast
  if (g[0] === 0x2001 && g[1] === 0x0db8) return true; // documentation
  return false;
}

/** Whether a URL hostname (as the WHATWG parser normalised it) points at a non-public address. */
export function isPrivateHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host.startsWith("[") && host.endsWith("]")) return isPrivateV6(host.slice(1, -1));
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) return isPrivateV4(host);
  if (BLOCKED_NAMES.includes(host) || BLOCKED_SUFFIXES.some((s) => host.endsWith(s))) return true;
  return false;
}

/** Parses and checks an outbound URL; throws OutboundUrlError saying what is not allowed. */
export function checkOutboundUrl(env: PolicyEnv, raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundUrlError(`"${raw}" is not an absolute URL.`);
  }
  const local = env.ENVIRONMENT === "local";
  if (url.protocol !== "https:" && !(local && url.protocol === "http:")) {
    throw new OutboundUrlError(local ? "Only http and https URLs are allowed." : "Only https URLs are allowed.");
  }
  // Credentials belong in headers or the auth query string, where they are kept out of the logs.
  if (url.username || url.password) throw new OutboundUrlError("URLs must not carry user:password credentials.");
  if (isPrivateHost(url.hostname) && env.ALLOW_PRIVATE_OUTBOUND !== "true") {
    const g = url.hostname.startsWith("[") ? v6Groups(url.hostname.slice(1, -1)) : null;
    if (g && embedsIPv4(g)) {
      throw new OutboundUrlError(`IPv6 addresses that embed an IPv4 address (${url.hostname}) are not allowed; give the IPv4 address itself.`);
    }
    throw new OutboundUrlError(`Calls to private, loopback or link-local addresses (${url.hostname}) are not allowed.`);
  }
  return url;
}

/** A URL fit for logs: no query string values that could be credentials, no userinfo. */
export function redactUrl(url: URL, secretParams: Iterable<string> = []): string {
  const copy = new URL(url.href);
  copy.username = "";
  copy.password = "";
  for (const name of secretParams) if (copy.searchParams.has(name)) copy.searchParams.set(name, "***");
  return copy.href;
}
