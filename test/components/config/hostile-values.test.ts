// Every config string that reaches a script, a config file, a URL or a path, tried with the values an attacker
// would use (newline, NUL, quotes, $(...), backticks, '..'): each is refused with a problem that names the key and
// shows the value escaped, or it is accepted only where it is rendered inertly (checked in steps-sandbox.test.ts).
import { describe, expect, it } from "vitest";
import { ConfigError, validateEstateConfig } from "../../../components/config/validate";

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIBtOkeAnt/Rw0+62Yb0SgoTrHs3URH9kOpldwi0Ef00";
// Two hosts: the monitoring hub does not fit the budget of one 4 GiB host (site-checks.ts).
const base = () => ({
    region: "test-region",
    monitoring: { hubSite: "site-a" },
    sites: [{ id: "site-a", city: "Testville", wave: 0, hosts: [{ id: "srv-a", address: "192.0.2.10", role: "server", hostKey: HOST_KEY }, { id: "wrk-a", address: "192.0.2.20", role: "agent", hostKey: HOST_KEY }] as Record<string, unknown>[] }],
}) as Record<string, any>;

const PAYLOADS = ["\n", "\u0000", '"', "'", "$(id)", "`id`", "../.."];

/** key shown in the problem -> how to put a hostile value v there. */
const TARGETS: Record<string, (raw: Record<string, any>, v: string) => void> = {
    region: (r, v) => (r.region = `test${v}`),
    "sites[0].id": (r, v) => (r.sites[0].id = `site-a${v}`),
    ".hosts[0].id": (r, v) => (r.sites[0].hosts[0].id = `srv-a${v}`),
    ".address": (r, v) => (r.sites[0].hosts[0].address = `192.0.2.10${v}`),
    ".user": (r, v) => (r.sites[0].hosts[0].user = `edge${v}`),
    ".hostKey": (r, v) => (r.sites[0].hosts[0].hostKey = `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIBtOkeAnt${v}Rw0+62Yb0SgoTrHs3URH9kOpldwi0Ef00`),
    ".labels": (r, v) => (r.sites[0].hosts[0].labels = { [`dock${v}`]: "north" }),
    ".labels.dock": (r, v) => (r.sites[0].hosts[0].labels = { dock: `north${v}` }),
    ".taints[0]": (r, v) => (r.sites[0].hosts[0].taints = [`dedicated=edge${v}:NoSchedule`]),
    "artifacts.k3sBaseUrl": (r, v) => (r.artifacts = { k3sBaseUrl: `https://mirror.example/k3s/${v}x` }),
    "artifacts.k3sInstallScriptBaseUrl": (r, v) => (r.artifacts = { k3sInstallScriptBaseUrl: `https://mirror${v}.example/k3s` }),
    "artifacts.shimBaseUrl": (r, v) => (r.artifacts = { shimBaseUrl: `https://mirror.example${v}` }),
    "artifacts.cacheDir": (r, v) => (r.artifacts = { cacheDir: `.cache/${v}` }),
    "registries.mirrors": (r, v) => (r.registries = { mirrors: { "docker.io": { endpoints: [`https://mirror.example/${v}`] } } }),
    "registries.allowed[0]": (r, v) => (r.registries = { mirrors: {}, allowed: [`registry.example/${v}`] }),
    "tracking.registryImage": (r, v) => (r.tracking = { registryImage: `registry.example/tracking${v}@sha256:${"a".repeat(64)}` }),
    "monitoring.hubSite": (r, v) => (r.monitoring = { hubSite: `site-a${v}` }),
    "versions.k3s": (r, v) => (r.versions = { k3s: `v1.30.4+k3s1${v}` }),
};

function problemsOf(raw: Record<string, unknown>): string[] {
    try {
        validateEstateConfig(raw, { sshPrivateKeyPresent: true, requirePins: false });
        return [];
    } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        return e.problems;
    }
}

describe("hostile values at the door", () => {
    it("the base stack is valid", () => expect(problemsOf(base())).toEqual([]));

    for (const [key, put] of Object.entries(TARGETS))
        for (const v of PAYLOADS) {
            it(`${key} with ${JSON.stringify(v)} is refused, naming the key and showing the value escaped`, () => {
                const raw = base();
                put(raw, v);
                const problems = problemsOf(raw);
                expect(problems.length, "accepted").toBeGreaterThan(0);
                const escaped = JSON.stringify(v).slice(1, -1);
                expect(problems.some((p) => p.includes(key) && p.includes(escaped)), problems.join("\n")).toBe(true);
                // Nothing can start a line of its own: one line per problem, no raw control characters.
                for (const p of problems) expect(p).not.toMatch(/[\u0000-\u001f]/);
                const message = new ConfigError(problems).message;
                expect(message.split("\n")).toHaveLength(problems.length + 1);
            });
        }

    it("free text (city) takes quotes, $(...) and backticks but never a control character", () => {
        const raw = base();
        raw.sites[0].city = `O'Brien "$(id)" \`id\` ../..`;
        expect(problemsOf(raw)).toEqual([]);
        raw.sites[0].city = "Testville\nedge-estate:region: forged";
        const problems = problemsOf(raw);
        expect(problems).toHaveLength(1);
        expect(problems[0]).toContain('sites[id=site-a].city: "Testville\\nedge-estate:region: forged" contains a control character');
    });

    it("a mapping key with a newline is shown escaped, not as a new line", () => {
        const raw = base();
        raw["evil\n  - edge-estate:region: forged"] = 1;
        const problems = problemsOf(raw);
        const message = new ConfigError(problems).message;
        expect(message).toContain("evil\\n  - edge-estate:region: forged");
        expect(message.split("\n")).toHaveLength(problems.length + 1);
    });

    it("URLs are re-serialised from their parsed form", () => {
        const raw = base();
        raw.artifacts = { k3sBaseUrl: "HTTPS://Mirror.Example:443/k3s/releases" };
        const config = validateEstateConfig(raw, { sshPrivateKeyPresent: true, requirePins: false });
        expect(config.artifacts.k3sBaseUrl).toBe("https://mirror.example/k3s/releases");
    });

    it("hostKey takes a pasted .pub line with its comment and keeps the canonical form", () => {
        const raw = base();
        raw.sites[0].hosts[0].hostKey = `${HOST_KEY} root@srv-a (collected 2026-12-01)`;
        const config = validateEstateConfig(raw, { sshPrivateKeyPresent: true, requirePins: false });
        expect(config.sites[0].hosts[0].hostKey).toBe(HOST_KEY);
    });

    it("a host without hostKey is an error unless ssh.acceptUnknownHostKeys is true", () => {
        const raw = base();
        delete raw.sites[0].hosts[0].hostKey;
        expect(problemsOf(raw).join("\n")).toContain("sites[id=site-a].hosts[id=srv-a].hostKey: is required");
        raw.ssh = { acceptUnknownHostKeys: true };
        expect(problemsOf(raw)).toEqual([]);
    });
});
