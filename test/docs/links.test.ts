import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

// Every relative link of the README, CONTRIBUTING.md and docs/*.md must reach a file of the
// repository and, when it names an #anchor, a heading of that file: a moved or renamed section
// otherwise leaves a newcomer at a dead end.
const ROOT = resolve(import.meta.dirname, "../..");
const documents = ["README.md", "CONTRIBUTING.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

/** The text outside fenced code blocks and inline code, where links are links. */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "").replace(/`[^`\n]*`/g, "");
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const withoutFences = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "");
  for (const [, text] of withoutFences.matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, "")
      .replace(/ /g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Link targets of `[text](target)` and `[label]: target`, without titles. */
function links(markdown: string): string[] {
  const text = prose(markdown);
  const inline = [...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]);
  const reference = [...text.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/gm)].map((m) => m[1]);
  return [...inline, ...reference];
}

const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//");

describe("documentation links", () => {
  it("finds the documents and their links", () => {
    expect(documents).toContain("docs/README.md");
    expect(documents.length).toBeGreaterThan(5);
  });

  for (const doc of documents) {
    it(`every relative link of ${doc} resolves`, () => {
      const source = readFileSync(join(ROOT, doc), "utf8");
      const broken: string[] = [];
      for (const target of links(source).filter((t) => !isExternal(t))) {
        const [pathPart, anchor] = target.split("#", 2) as [string, string | undefined];
        const file = pathPart === "" ? join(ROOT, doc) : resolve(dirname(join(ROOT, doc)), decodeURIComponent(pathPart));
        if (!file.startsWith(ROOT) || !existsSync(file)) {
          broken.push(`${target}: no file ${relative(ROOT, file)}`);
          continue;
        }
        if (anchor === undefined || anchor === "") continue;
        if (statSync(file).isDirectory() || !file.endsWith(".md")) {
          broken.push(`${target}: #${anchor} in a file that is not Markdown`);
          continue;
        }
        if (!anchors(readFileSync(file, "utf8")).has(decodeURIComponent(anchor).toLowerCase())) {
          broken.push(`${target}: no heading #${anchor} in ${relative(ROOT, file)}`);
        }
      }
      expect(broken).toEqual([]);
    });
  }
});

describe("heading anchors", () => {
  it("follow GitHub's rules", () => {
    const a = anchors("# Login — `POST /api/login`\n## The lead's email\n## Notes\n## Notes\n```\n# not a heading\n```\n");
    expect([...a]).toEqual(["login--post-apilogin", "the-leads-email", "notes", "notes-1"]);
  });
});
