// Generated malformed request bodies for the fuzz test. Deterministic (seeded), so a failure can
// be replayed: every case carries its seed index and a label.

export interface FuzzCase {
  label: string;
  contentType: string | null;
  body: string | Uint8Array | FormData | null;
}

/** mulberry32: a small seeded PRNG. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
  };
}
type Rng = ReturnType<typeof prng>;

const FORM = "application/x-www-form-urlencoded";
const JSON_TYPE = "application/json";
const CONTENT_TYPES = [
  FORM, JSON_TYPE, "application/ld+json", "application/merge-patch+json", "multipart/form-data",
  "multipart/form-data; boundary=", "text/plain", "application/xml", "text/html", "application/octet-stream",
  "application/json; charset=utf-16", "application/x-www-form-urlencoded; charset=latin1", "image/png", "", "*/*",
  "application/json, text/plain", "form-data", "APPLICATION/JSON", "application/jsonx",
];
const BAD_PERCENT = ["%", "%%", "%zz", "%E0%A4%A", "%C3%28", "%ED%A0%80", "%F4%90%80%80", "%C0%AF", "%FF", "%u0041", "%0", "%%41"];
const INVALID_UTF8 = [[0xff], [0xfe, 0xff], [0xc3, 0x28], [0xa0, 0xa1], [0xe2, 0x28, 0xa1], [0xf0, 0x28, 0x8c, 0xbc], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]];
const WEIRD_KEYS = ["__proto__", "constructor", "prototype", "form[__proto__]", "form[constructor][prototype]", "form[]", "form[", "form]", "form[[x]]", "form[a]b", "[form]", "form[email][]", "form[email][0]", "\u0000", "form[\u0000]", "form[a\u202eb]"];
const FIELDS = ["firstName", "lastName", "email", "username", "password", "name", "currentPassword", "newPassword", "reason", "user"];

const enc = new TextEncoder();
const concat = (...parts: (string | number[])[]) => {
  const chunks = parts.map((p) => (typeof p === "string" ? enc.encode(p) : Uint8Array.from(p)));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
};
const randomBytes = (r: Rng, n: number) => Uint8Array.from({ length: n }, () => r.int(256));
const deep = (depth: number, open: string, close: string, inner = '"x"') => open.repeat(depth) + inner + close.repeat(depth);

// Each generator returns a body that is malformed in at least one way.
const generators: ((r: Rng) => FuzzCase)[] = [
  (r) => ({ label: "bad percent-encoding", contentType: FORM, body: `form[firstName]=${r.pick(BAD_PERCENT)}&form[email]=a%40b.test&username=${r.pick(BAD_PERCENT)}x&password=${r.pick(BAD_PERCENT)}` }),
  (r) => ({ label: "bad percent-encoding in a key", contentType: FORM, body: `form%5B${r.pick(BAD_PERCENT)}%5D=x&${r.pick(BAD_PERCENT)}=y` }),
  (r) => ({ label: "invalid UTF-8 in a form", contentType: FORM, body: concat("form[firstName]=", r.pick(INVALID_UTF8), "&username=", r.pick(INVALID_UTF8), "&password=x") }),
  (r) => ({ label: "invalid UTF-8 in JSON", contentType: r.pick([JSON_TYPE, "application/ld+json", "application/merge-patch+json"]), body: concat('{"form":{"firstName":"', r.pick(INVALID_UTF8), '"},"username":"', r.pick(INVALID_UTF8), '","password":"x","name":"', r.pick(INVALID_UTF8), '"}') }),
  (r) => ({ label: "huge value", contentType: r.pick([FORM, JSON_TYPE]), body: r.next() < 0.5 ? `form[firstName]=${"A".repeat(70_000 + r.int(50_000))}&username=x&password=y` : JSON.stringify({ form: { firstName: "A".repeat(70_000) }, username: "x".repeat(70_000), password: "y", name: "n".repeat(70_000) }) }),
  (r) => ({ label: "value over the field limit", contentType: FORM, body: `form[firstName]=${"B".repeat(1_001 + r.int(20_000))}&form[lastName]=x&form[email]=a@b.test&form[nope]=1` }),
  (r) => ({ label: "too many fields", contentType: FORM, body: Array.from({ length: 101 + r.int(3000) }, (_, i) => `form[f${i}]=v`).join("&") }),
  (r) => ({ label: "deep JSON", contentType: r.pick([JSON_TYPE, "application/ld+json", "application/merge-patch+json"]), body: `{"form":${deep(50 + r.int(20_000), '{"a":', "}")},"name":${deep(10 + r.int(5_000), "[", "]")}}` }),
  (r) => ({ label: "deep JSON arrays", contentType: JSON_TYPE, body: deep(1_000 + r.int(50_000), "[", "]") }),
  (r) => ({ label: "deep brackets", contentType: FORM, body: `form${"[a]".repeat(4 + r.int(2_000))}=x` }),
  (r) => {
    const f = r.pick(FIELDS);
    return { label: "duplicate form keys", contentType: FORM, body: `form[${f}]=a&form[${f}]=b&${f}=a&${f}=b&form[email]=x@y.test&form[email]=z@y.test` };
  },
  (r) => {
    const f = r.pick(FIELDS);
    return { label: "duplicate JSON keys", contentType: r.pick([JSON_TYPE, "application/ld+json", "application/merge-patch+json"]), body: `{"form":{"${f}":"a","${f}":"b","email":"x@y.test","email":"z@y.test"},"${f}":"a","${f}":"b","username":"u","username":"v","password":"p","password":"q","name":"n","name":"m"}` };
  },
  (r) => {
    const f = r.pick(FIELDS);
    return { label: "array where a string is expected (JSON)", contentType: r.pick([JSON_TYPE, "application/ld+json", "application/merge-patch+json"]), body: JSON.stringify({ form: { firstName: ["a"], lastName: "x", email: ["x@y.test"] }, [f]: ["a", "b"], username: ["u"], password: ["p"], name: ["n"], currentPassword: [1], newPassword: { a: 1 } }) };
  },
  (r) => ({ label: "array where a string is expected (form)", contentType: FORM, body: `form[email][]=${r.pick(["a", "b"])}&form[firstName][0]=x&form[lastName][]=&username[]=u&password[]=p` }),
  (r) => ({ label: "wrong types in JSON", contentType: r.pick([JSON_TYPE, "application/ld+json"]), body: JSON.stringify({ form: null, username: r.pick([null, true, 1e308, {}, []]), password: r.pick([null, false, -0, { $gt: "" }]), name: r.pick([null, 1, true, []]), startTs: r.pick([[], {}, "never"]) }) }),
  (r) => ({ label: "JSON that is not an object", contentType: r.pick([JSON_TYPE, "application/ld+json", "application/merge-patch+json"]), body: r.pick(["null", "[]", '"string"', "1", "true", "", " ", "[{}]", '{"a":1}garbage', "{", "}", "{'a':1}", '{"a":1,}', "NaN", '{"a":Infinity}', '{"__proto__":{"admin":true}}x']) }),
  (r) => ({ label: "prototype keys", contentType: r.pick([FORM, JSON_TYPE]), body: r.next() < 0.5 ? `${r.pick(WEIRD_KEYS)}=x&${r.pick(WEIRD_KEYS)}=y&form[extra]=1` : `{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"x":1}},"form":{"__proto__":{"email":"x@y.test"}},"${r.pick(["name", "username"])}":["x"]}` }),
  (r) => ({ label: "control characters", contentType: FORM, body: `form[firstName]=%00%01%1B&form[email]=%0D%0Aset-cookie:x&username=%00&password=%00&form[${"\u0000"}]=1` }),
  (r) => ({ label: "wrong content type", contentType: r.pick(CONTENT_TYPES.filter((t) => ![FORM, JSON_TYPE, "APPLICATION/JSON", "application/ld+json", "application/merge-patch+json", "multipart/form-data"].includes(t))), body: r.pick(['{"name":"x"}', "form[firstName]=x", "<xml/>", "\u0000\u0001"]) }),
  (r) => ({ label: "form body labelled JSON, JSON body labelled form", contentType: r.pick([JSON_TYPE, FORM]), body: r.next() < 0.5 ? "form[firstName]=x&form[email]=y" : '{"form":{"firstName":"x"}, "a":[' }),
  (r) => ({ label: "no body", contentType: r.pick([null, FORM, JSON_TYPE, "multipart/form-data"]), body: null }),
  (r) => ({ label: "malformed multipart", contentType: r.pick(["multipart/form-data", "multipart/form-data; boundary=abc", "multipart/form-data; boundary=" + "x".repeat(80)]), body: r.pick(["--abc\r\nContent-Disposition: form-data\r\n\r\nx\r\n--abc--", "--abc\r\n\r\n", "garbage", "--abc\r\nContent-Disposition: form-data; name=\"form[firstName]\"\r\n\r\nx", "--zzz--\r\n"]) }),
  (r) => {
    const fd = new FormData();
    fd.append("form[email]", "a@b.test");
    fd.append("form[email]", "c@d.test");
    fd.append("username", "x");
    fd.append("username", "y");
    fd.append(r.pick(["form[firstName]", "password"]), new Blob([randomBytes(r, 64)]), "file.bin");
    return { label: "multipart with duplicates and a file", contentType: null, body: fd };
  },
  (r) => ({ label: "random bytes", contentType: r.pick(CONTENT_TYPES), body: randomBytes(r, r.int(2_048)) }),
  (r) => ({ label: "random bytes, huge", contentType: r.pick([FORM, JSON_TYPE]), body: randomBytes(r, 65_000 + r.int(100_000)) }),
  (r) => ({ label: "random printable", contentType: r.pick([FORM, JSON_TYPE]), body: Array.from({ length: r.int(500) }, () => String.fromCharCode(32 + r.int(95))).join("") + "&form[x]=%" }),
];

/** `n` cases from `seed`: every generator in turn, with random variation inside each. */
export function fuzzCases(seed: number, n: number): (FuzzCase & { index: number })[] {
  const r = prng(seed);
  return Array.from({ length: n }, (_, i) => ({ ...generators[i % generators.length]!(r), index: i }));
}
