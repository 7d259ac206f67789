import { describe, expect, it } from "vitest";
import { checkOutboundUrl, isPrivateHost, OutboundUrlError, redactUrl } from "../../src/integrations/outbound-url";

const prod = { ENVIRONMENT: "production" as const };
const local = { ENVIRONMENT: "local" as const };
const demo = { ENVIRONMENT: "local" as const, ALLOW_PRIVATE_OUTBOUND: "true" };

describe("outbound URL policy", () => {
  it("allows public https everywhere and http only locally", () => {
    expect(checkOutboundUrl(prod, "https://client.example.com/api").host).toBe("client.example.com");
    expect(() => checkOutboundUrl(prod, "http://client.example.com/")).toThrow("Only https URLs are allowed.");
    expect(checkOutboundUrl(local, "http://client.example.com/").protocol).toBe("http:");
    expect(() => checkOutboundUrl(local, "ftp://client.example.com/")).toThrow(OutboundUrlError);
    expect(() => checkOutboundUrl(prod, "not a url")).toThrow(/not an absolute URL/);
  });

  it("refuses private, loopback, link-local and metadata addresses, in every spelling", () => {
    const blocked = [
      "https://127.0.0.1/", "https://127.1.2.3:8443/", "https://10.0.0.5/", "https://172.16.3.4/", "https://172.31.255.255/",
      "https://192.168.1.1/", "https://169.254.169.254/latest/meta-data", "https://0.0.0.0/", "https://100.64.0.1/",
      "https://2130706433/", "https://0x7f.0.0.1/", "https://017700000001/",
      "https://[::1]/", "https://[::]/", "https://[fe80::1]/", "https://[fd00::1]/", "https://[fc00::abcd]/",
      "https://[::ffff:127.0.0.1]/", "https://[::ffff:a9fe:a9fe]/", "https://[64:ff9b::10.0.0.1]/", "https://[ff02::1]/",
      "https://localhost/", "https://LOCALHOST./", "https://api.localhost/", "https://metadata.google.internal/",
      "https://printer.local/",
    ];
    for (const u of blocked) expect(() => checkOutboundUrl(prod, u), u).toThrow(/private, loopback or link-local|embed an IPv4 address/);
  });

  it("lets public addresses through, IPv6 included", () => {
    for (const u of ["https://8.8.8.8/", "https://172.32.0.1/", "https://[2606:4700::1111]/", "https://[2001:4860::8888]/", "https://192.169.0.1/"]) {
      expect(() => checkOutboundUrl(prod, u), u).not.toThrow();
    }
  });

  it("allows private targets only when ALLOW_PRIVATE_OUTBOUND is exactly \"true\"", () => {
    expect(checkOutboundUrl(demo, "http://127.0.0.1:8787/").port).toBe("8787");
    expect(() => checkOutboundUrl({ ...local, ALLOW_PRIVATE_OUTBOUND: "yes" }, "http://127.0.0.1/")).toThrow(OutboundUrlError);
    expect(() => checkOutboundUrl({ ENVIRONMENT: "production", ALLOW_PRIVATE_OUTBOUND: "true" }, "http://127.0.0.1/")).toThrow(/https/);
  });

  it("refuses credentials in the URL and redacts secret query parameters for logs", () => {
    expect(() => checkOutboundUrl(prod, "https://user:pw@client.example.com/")).toThrow(/user:password/);
    const url = new URL("https://client.example.com/leads?auth_token=s3cret&list_id=5");
    expect(redactUrl(url, ["auth_token"])).toBe("https://client.example.com/leads?auth_token=***&list_id=5");
  });

  it("classifies hosts", () => {
    expect(isPrivateHost("[::1]")).toBe(true);
    expect(isPrivateHost("example.com")).toBe(false);
  });
});
