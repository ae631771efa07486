// No replacement for a stack deployed with the layout before the component tree: the program as it was (commit
// f569110, extracted from git and run through its own synth) and the program as it is run under mocks on the same
// stacks; every URN the old program registered must be a URN of the new one or one of its aliases, and no two new
// resources may claim the same old URN. URNs are compared the way the engine builds them,
// urn:pulumi:<stack>::<project>::[<parent's type chain>$]<type>::<name> with the stack itself not part of the
// chain (the mock monitor writes only the direct parent's type), and aliases are resolved the same way.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadStackFile } from "../../components/config/load";
import { type RecordedAlias, runProgramUnderMocks } from "../../scripts/synth/run";

/** The last commit with the old layout (add-ons as functions, probes and image steps under the site). */
const OLD_LAYOUT = "f569110";
const root = path.join(__dirname, "..", "..");
const STACKS = ["prod", "cn-south"];
let oldTree: string;

interface Registration {
    urn: string;
    type: string;
    name: string;
    parent?: string | null;
}

/** The engine's type chain of every registration, keyed by the URN the mocks gave it. */
function typeChains(rs: Registration[]): (urn: string) => string | undefined {
    const byUrn = new Map(rs.map((r) => [r.urn, r]));
    const memo = new Map<string, string | undefined>();
    const chain = (urn: string): string | undefined => {
        if (memo.has(urn)) return memo.get(urn);
        const r = byUrn.get(urn);
        if (!r) throw new Error(`unknown parent ${urn}`);
        // The stack is the root: neither it nor its place appears in a child's chain.
        const c = r.type === "pulumi:pulumi:Stack" ? undefined : r.parent && chain(r.parent) ? `${chain(r.parent)}$${r.type}` : r.type;
        memo.set(urn, c);
        return c;
    };
    return chain;
}

const engineUrn = (stack: string, chain: string | undefined, type: string, name: string) => `urn:pulumi:${stack}::edge-estate::${chain ? `${chain}$` : ""}${type}::${name}`;

/** Engine URNs of a run: each resource's own, plus (new program) the URN each alias stands for. */
function identities(rs: (Registration & { aliases?: RecordedAlias[] })[], stack: string): Map<string, string[]> {
    const chain = typeChains(rs);
    const out = new Map<string, string[]>();
    for (const r of rs) {
        if (r.type === "pulumi:pulumi:Stack") continue;
        const own = engineUrn(stack, r.parent ? chain(r.parent) : undefined, r.type, r.name);
        const aliases = (r.aliases ?? []).map((a) => {
            if ("urn" in a) return a.urn;
            const parent = a.noParent ? undefined : a.parentUrn || r.parent || undefined;
            return engineUrn(a.stack || stack, parent ? chain(parent) : undefined, a.type || r.type, a.name || r.name);
        });
        out.set(r.urn, [...new Set([own, ...aliases])]);
    }
    return out;
}

function oldRegistrations(stack: string): Registration[] {
    const out = path.join(oldTree, "out", stack);
    // The old program's own synth: same mocks, same stack name, its own stack file.
    execFileSync(path.join(root, "node_modules", ".bin", "tsx"), ["scripts/synth.ts", "--stack", stack, "--out", out], { cwd: oldTree, stdio: "pipe", timeout: 120_000 });
    return JSON.parse(fs.readFileSync(path.join(out, "resources.json"), "utf8")) as Registration[];
}

beforeAll(() => {
    oldTree = fs.mkdtempSync(path.join(os.tmpdir(), "edge-old-layout-"));
    // Fails (does not skip) without the history: the comparison is the point of this file.
    const archive = execFileSync("git", ["archive", "--format=tar", OLD_LAYOUT], { cwd: root, maxBuffer: 512 * 2 ** 20 });
    execFileSync("tar", ["-x", "-C", oldTree], { input: archive });
    fs.symlinkSync(path.join(root, "node_modules"), path.join(oldTree, "node_modules"));
}, 120_000);

afterAll(() => {
    if (oldTree) fs.rmSync(oldTree, { recursive: true, force: true });
});

describe("aliases to the old layout", () => {
    for (const stack of STACKS) {
        it(`${stack}: every old URN is a new URN or one of its aliases, each claimed once`, async () => {
            const before = [...identities(oldRegistrations(stack), stack).values()].map(([urn]) => urn);
            expect(before.length).toBeGreaterThan(100);
            const { config } = loadStackFile(path.join(root, `Pulumi.${stack}.yaml`));
            const now = identities(await runProgramUnderMocks(config, stack, "-----BEGIN OPENSSH PRIVATE KEY-----\nK\n-----END OPENSSH PRIVATE KEY-----\n"), stack);
            const claims = new Map<string, string[]>();
            for (const [registered, urns] of now) for (const u of urns) claims.set(u, [...(claims.get(u) ?? []), registered]);
            expect(before.filter((u) => !claims.has(u))).toEqual([]);
            expect(before.filter((u) => claims.get(u)!.length > 1)).toEqual([]);
            // The move was real: many resources keep their identity only through an alias.
            const current = new Set([...now.values()].map(([own]) => own));
            expect(before.filter((u) => !current.has(u)).length).toBeGreaterThan(stack === "prod" ? 200 : 100);
        }, 240_000);
    }
});
