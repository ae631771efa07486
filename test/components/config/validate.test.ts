// Config validation at the door: every broken stack file in the corpus is rejected with a message that names
// the key and the offending value; valid stacks load. Mirrors components/config/validate.ts and load.ts.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadStackFile } from "../../../components/config/load";
import { ConfigError } from "../../../components/config/validate";
import { versionsForSite } from "../../../components/plan";

const BROKEN = path.join(__dirname, "..", "..", "fixtures", "stacks", "broken");
const root = path.join(__dirname, "..", "..", "..");

function expectedMessage(file: string): string {
    const first = fs.readFileSync(file, "utf8").split("\n")[0];
    const m = /^# expect: (.+)$/.exec(first);
    if (!m) throw new Error(`${file} lacks a "# expect:" header`);
    return m[1];
}

describe("broken stack corpus", () => {
    const files = fs.readdirSync(BROKEN).filter((f) => f.endsWith(".yaml"));
    it("has many cases", () => expect(files.length).toBeGreaterThanOrEqual(40));
    for (const f of files) {
        it(`rejects ${f}`, () => {
            const file = path.join(BROKEN, f);
            // "# mode: up" cases are what `pulumi up` refuses (the loader with requirePins, as index.ts calls it).
            const upMode = fs.readFileSync(file, "utf8").split("\n").some((l) => l.startsWith("# mode: up"));
            let error: unknown;
            try {
                loadStackFile(file, upMode);
            } catch (e) {
                error = e;
            }
            expect(error, `${f} was accepted`).toBeInstanceOf(ConfigError);
            const message = (error as ConfigError).message;
            expect(message).toContain(expectedMessage(file));
            // Every problem names a key of the edge-estate namespace or the file itself.
            for (const p of (error as ConfigError).problems) expect(p).toMatch(/^(edge-estate:|.*\.yaml: )/);
        });
    }
});

// False refusals fixed: each file loads, and each "# expect: path = json" line holds on the validated config
// (path segments split on unescaped dots; "\." is a literal dot).
describe("accepted and normalised corpus", () => {
    const ACCEPTED = path.join(__dirname, "..", "..", "fixtures", "stacks", "accepted");
    const files = fs.readdirSync(ACCEPTED).filter((f) => f.endsWith(".yaml"));
    it("has the cases", () => expect(files.length).toBeGreaterThanOrEqual(5));
    for (const f of files) {
        it(`accepts ${f}`, () => {
            const file = path.join(ACCEPTED, f);
            const { config } = loadStackFile(file);
            const expects = fs.readFileSync(file, "utf8").split("\n").filter((l) => l.startsWith("# expect: "));
            expect(expects.length).toBeGreaterThan(0);
            for (const line of expects) {
                const m = /^# expect: (\S+) = (.+)$/.exec(line)!;
                const segments = m[1].split(/(?<!\\)\./).map((s) => s.replace(/\\\./g, "."));
                const value = segments.reduce<any>((o, k) => o?.[k], config);
                expect(value, `${f}: ${m[1]}`).toEqual(JSON.parse(m[2]));
            }
        });
    }
});

describe("valid stacks", () => {
    it.each(["Pulumi.prod.yaml", "Pulumi.cn-south.yaml", "test/fixtures/stacks/valid-minimal.yaml"])("%s loads", (f) => {
        const { config } = loadStackFile(path.join(root, f));
        expect(config.sites.length).toBeGreaterThan(0);
        expect(config.versions.k3s).toBe("v1.30.4+k3s1");
        expect(config.versions.wasmedgeShim).toBe("v0.6.0");
    });

    it("prod mixes HA and single-server sites with odd server counts", () => {
        const { config } = loadStackFile(path.join(root, "Pulumi.prod.yaml"));
        const servers = config.sites.map((s) => s.hosts.filter((h) => h.role === "server").length);
        expect(servers).toContain(1);
        expect(servers.some((n) => n >= 3)).toBe(true);
        for (const n of servers) expect(n % 2).toBe(1);
    });

    it("reports every problem at once, not only the first", () => {
        try {
            loadStackFile(path.join(BROKEN, "duplicate-address.yaml"));
        } catch (e) {
            expect((e as ConfigError).problems.length).toBeGreaterThanOrEqual(1);
        }
        const yaml = fs.readFileSync(path.join(root, "test/fixtures/stacks/valid-minimal.yaml"), "utf8")
            .replace("address: 192.0.2.10", "address: 999.1.1.1")
            .replace("role: server", "role: boss")
            .replace("edge-estate:region: test-region", "edge-estate:region: BAD REGION");
        const tmp = path.join(fs.mkdtempSync(path.join(require("node:os").tmpdir(), "edge-")), "Pulumi.multi.yaml");
        fs.writeFileSync(tmp, yaml);
        expect(() => loadStackFile(tmp)).toThrowError(/3 problems/);
    });

    it("up refuses unpinned artifacts while preview and synth only list them", () => {
        const file = path.join(root, "test/fixtures/stacks/valid-minimal.yaml");
        expect(loadStackFile(file, false).config.artifacts.unpinned.length).toBeGreaterThan(0);
        expect(() => loadStackFile(file, true)).toThrowError(/artifacts\.checksums\.k3s\["v1\.30\.4\+k3s1"\]\.amd64: is required/);
    });

    it("a rollout limited to wave 0 keeps later waves on previous versions", () => {
        const tmp = path.join(fs.mkdtempSync(path.join(require("node:os").tmpdir(), "edge-")), "Pulumi.roll.yaml");
        fs.writeFileSync(
            tmp,
            fs.readFileSync(path.join(root, "Pulumi.prod.yaml"), "utf8") +
                '  edge-estate:rollout:\n    throughWave: 0\n    previousVersions: { k3s: "v1.30.3+k3s1" }\n  edge-estate:versions:\n    k3s: "v1.30.5+k3s1"\n',
        );
        const { config } = loadStackFile(tmp);
        const byId = new Map(config.sites.map((s) => [s.id, versionsForSite(config, s).k3s]));
        expect(byId.get("sh-pudong")).toBe("v1.30.5+k3s1");
        expect(byId.get("sz-gusu")).toBe("v1.30.3+k3s1");
    });
});
