// `npm run synth -- --out X` never deletes what synth did not make. The destructive cases run against a scratch
// copy of the checkout (sources + a node_modules symlink), so a regression destroys the copy, not this tree.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OUTPUT_MARKER } from "../../../scripts/lib/safe-output";

const root = path.resolve(__dirname, "..", "..", "..");
let copy: string;
const STACK = "test/fixtures/stacks/valid-minimal.yaml";

const synth = (cwd: string, ...args: string[]) =>
    spawnSync(path.join(root, "node_modules", ".bin", "tsx"), [path.join(cwd.startsWith(copy) ? copy : root, "scripts", "synth.ts"), "--config-file", path.join(root, STACK), ...args], {
        cwd,
        encoding: "utf8",
        timeout: 120_000,
    });

function snapshot(dir: string): string[] {
    const out: string[] = [];
    const walk = (d: string) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
            if (e.name === "node_modules") continue;
            const p = path.join(d, e.name);
            if (e.isDirectory()) walk(p);
            else out.push(`${path.relative(dir, p)} ${fs.statSync(p).size}`);
        }
    };
    walk(dir);
    return out.sort();
}

beforeAll(() => {
    copy = fs.mkdtempSync(path.join(os.tmpdir(), "synth-out-safety-"));
    for (const d of ["components", "scripts", "policy-pack", "wasm-app", "index.ts", "package.json", "tsconfig.json", "Pulumi.yaml"]) {
        fs.cpSync(path.join(root, d), path.join(copy, d), { recursive: true, filter: (src) => !src.includes(`${path.sep}node_modules`) && !src.includes(`${path.sep}dist`) });
    }
    fs.symlinkSync(path.join(root, "node_modules"), path.join(copy, "node_modules"));
    fs.mkdirSync(path.join(copy, ".git"));
    fs.writeFileSync(path.join(copy, ".git", "HEAD"), "ref: refs/heads/main\n");
    fs.writeFileSync(path.join(copy, "uncommitted-work.txt"), "precious\n");
}, 60_000);

afterAll(() => fs.rmSync(copy, { recursive: true, force: true }));

function expectRefused(r: ReturnType<typeof synth>, message: RegExp) {
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(r.stderr).not.toMatch(/internal error/);
}

describe("synth --out refuses what it did not make", () => {
    it("the checkout root (absolute path): nothing deleted, exit 2", () => {
        const before = snapshot(copy);
        expectRefused(synth(copy, "--out", copy), /refusing --out .*the checkout/);
        expect(snapshot(copy)).toEqual(before);
    }, 120_000);

    it("`.` inside the checkout and a parent of the checkout", () => {
        const before = snapshot(copy);
        expectRefused(synth(copy, "--out", "."), /refusing --out \.: it is the checkout/);
        const sub = path.join(copy, "components");
        expectRefused(synth(sub, "--out", ".."), /refusing --out \.\.: it is the checkout/);
        expectRefused(synth(copy, "--out", path.dirname(copy)), /a folder containing the checkout/);
        expect(snapshot(copy)).toEqual(before);
    }, 120_000);

    it("a non-synth folder with files in it is left alone", () => {
        const mine = fs.mkdtempSync(path.join(os.tmpdir(), "not-synth-"));
        fs.writeFileSync(path.join(mine, "notes.md"), "mine\n");
        fs.mkdirSync(path.join(mine, "sub"));
        fs.writeFileSync(path.join(mine, "sub", "data"), "x");
        const r = synth(root, "--out", mine);
        expectRefused(r, /not a previous synth output \(no \.edge-estate-output marker/);
        expect(snapshot(mine)).toEqual(["notes.md 5", "sub/data 1"]);
        fs.rmSync(mine, { recursive: true });
    }, 120_000);

    it("a file, and unwritable paths (/dev/null/x, a read-only parent)", () => {
        const file = path.join(os.tmpdir(), `synth-out-file-${process.pid}`);
        fs.writeFileSync(file, "keep");
        expectRefused(synth(root, "--out", file), /exists and is not a folder/);
        expect(fs.readFileSync(file, "utf8")).toBe("keep");
        fs.rmSync(file);
        expectRefused(synth(root, "--out", "/dev/null/x"), /cannot .*--out \/dev\/null\/x: .*ENOTDIR/);
        // /proc is read-only for everyone, root included.
        expectRefused(synth(root, "--out", "/proc/synth-out"), /cannot .*--out \/proc\/synth-out: .*E[A-Z]+/);
    }, 180_000);

    it("a previous synth output is replaced, and the swap leaves no temporary folder", () => {
        const parent = fs.mkdtempSync(path.join(os.tmpdir(), "synth-replace-"));
        const out = path.join(parent, "min");
        const first = synth(root, "--out", out);
        expect(first.status, first.stderr).toBe(0);
        expect(JSON.parse(fs.readFileSync(path.join(out, OUTPUT_MARKER), "utf8")).tool).toBe("synth");
        fs.writeFileSync(path.join(out, "stale-file"), "from an older run");
        const second = synth(root, "--out", out);
        expect(second.status, second.stderr).toBe(0);
        expect(fs.existsSync(path.join(out, "stale-file"))).toBe(false);
        expect(fs.existsSync(path.join(out, "resources.json"))).toBe(true);
        expect(fs.readdirSync(parent)).toEqual(["min"]);
        // An empty folder holds nothing to lose: accepted.
        const empty = path.join(parent, "empty");
        fs.mkdirSync(empty);
        expect(synth(root, "--out", empty).status).toBe(0);
        fs.rmSync(parent, { recursive: true });
    }, 240_000);
});
