// README's "Where things live" and docs/architecture.md name files and folders; every one must exist, so the
// documented layout cannot drift from the tree.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.join(__dirname, "..", "..");

/** Backticked repo paths in a text (things with a slash or a known top-level file), braces expanded. */
function pathsIn(text: string): string[] {
    const out: string[] = [];
    for (const [, raw] of text.matchAll(/`([^`\s]+)`/g)) {
        if (!/^(components|scripts|policy-pack|wasm-app|test|docs|\.ci|\.github)\/|^index\.ts$/.test(raw) || raw.includes("<") || raw.includes("*")) continue;
        const m = /^(.*)\{([^}]+)\}(.*)$/.exec(raw);
        if (m) for (const part of m[2].split(",")) out.push(`${m[1]}${part}${m[3]}`);
        else out.push(raw.replace(/\/$/, ""));
    }
    return out;
}

describe("documented layout", () => {
    for (const doc of ["README.md", "docs/architecture.md"]) {
        it(`every path ${doc} names exists`, () => {
            let text = fs.readFileSync(path.join(root, doc), "utf8");
            if (doc === "README.md") text = text.slice(text.indexOf("## Where things live"), text.indexOf("## Stack configuration"));
            // The intended-location column of architecture.md names files that do not exist yet.
            if (doc === "docs/architecture.md") text = text.slice(0, text.indexOf("Still to be fitted"));
            const paths = pathsIn(text);
            expect(paths.length).toBeGreaterThan(15);
            expect(paths.filter((p) => !fs.existsSync(path.join(root, p)))).toEqual([]);
        });
    }
});
