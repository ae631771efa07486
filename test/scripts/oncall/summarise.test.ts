// The on-call summariser on a `pulumi stack export` document recorded from real probes of netns sshd hosts
// (fixtures/stack-export.json, written by test/integration/host-probe.test.ts with UPDATE_ONCALL_FIXTURE=1):
// sh-pudong/srv-a re-imaged, sh-pudong/wrk-a one K3s patch behind, hz-xihu/srv-a down (sshd killed).
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { HOST_PROBE_TYPE } from "../../../components/host/probe";
import { analyse, type ExportResource, type HostReport, hostUrns, main, parseStackExport, renderSummary, unknownHostMessage } from "../../../scripts/oncall/summarise";

const FIXTURE = path.join(__dirname, "fixtures", "stack-export.json");
const text = fs.readFileSync(FIXTURE, "utf8");
const resources = () => parseStackExport(text, "fixture") as ExportResource[];
const probeOf = (rs: ExportResource[], site: string, host: string) => rs.find((r) => r.type === HOST_PROBE_TYPE && r.urn.endsWith(`::${site}.${host}.probe`))!;

function run(argv: string[]) {
    let out = "";
    let err = "";
    const code = main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
    return { code, out, err };
}

describe("on-call summary", () => {
    it("reads the probes by the type the recorded export holds them under", () => {
        // The type is part of every probe's URN in deployed state; the export was recorded from real probes.
        expect(HOST_PROBE_TYPE).toBe("pulumi-nodejs:dynamic:HostProbe");
        expect(resources().filter((r) => r.type === HOST_PROBE_TYPE).length).toBe(3);
    });

    it("classifies the recorded hosts: down, re-imaged (pending), drifted", () => {
        const s = analyse(resources());
        const byHost = Object.fromEntries(s.hosts.map((h) => [`${h.site}/${h.host}`, h]));
        expect(byHost["hz-xihu/srv-a"].condition).toBe("down");
        expect(byHost["sh-pudong/srv-a"].condition).toBe("reimaged-pending");
        expect(byHost["sh-pudong/wrk-a"].condition).toBe("drifted");
        expect(byHost["sh-pudong/wrk-a"].details).toEqual(["K3s v1.30.3+k3s1 installed, v1.30.4+k3s1 expected"]);
        expect(s.unprobedHosts).toEqual([]);
    });

    it("renders a readable summary with the fix commands and relative times, and no secret material", () => {
        const rs = resources();
        const since = String(probeOf(rs, "hz-xihu", "srv-a").outputs!.statusSince);
        const now = new Date(Date.parse(since) + 95 * 60_000);
        const out = renderSummary(analyse(rs, now), "cn-east");
        expect(out).toMatch(/^edge-estate on-call summary for stack cn-east: 2 sites, 3 hosts probed\n/);
        expect(out).toMatch(/DOWN \(state kept, nothing will be re-provisioned\): 1 host\n  hz-xihu    srv-a  10\.250\.\d+\.13:22\n\s+- unreachable since \d{4}-\d\d-\d\d \d\d:\d\dZ \(2 h ago\): connect ECONNREFUSED/);
        expect(out).toContain("fix: scripts/oncall-reprovision-host.sh cn-east sh-pudong srv-a\n");
        expect(out).toContain("fix: scripts/oncall-reprovision-host.sh cn-east sh-pudong wrk-a --force\n");
        // The second line says what is wrong; the site list names only sites needing attention, healthy ones are a count.
        expect(out.split("\n")[1]).toBe("2 of 2 sites need attention (1 DOWN: hz-xihu): sh-pudong; 0 ok");
        expect(out).toMatch(/Sites needing attention: 2 of 2\n  hz-xihu    DOWN \(1 down of 1 hosts\)\n  sh-pudong  NEEDS ATTENTION \(1 reimaged-pending, 1 drifted of 2 hosts\)\nHealthy sites: 0\n/);
        expect(out).toContain("pulumi up -s cn-east --exclude '**::hz-xihu' --exclude '**::hz-xihu.*' --exclude '**::hz-xihu-*' --exclude-dependents\n");
        expect(out).not.toContain("careful:");
        expect(out).not.toMatch(/ciphertext|v1:|PRIVATE KEY|4dabf181/);
    });

    it("a host re-provisioned after its re-image is OK, with a note", () => {
        const rs = resources();
        const probe = probeOf(rs, "sh-pudong", "srv-a");
        const id = String(probe.outputs!.machineId);
        // The state after the `up` that replaced the host's steps (triggers = the new machine-id) and a refresh
        // that found K3s and the shim installed.
        probe.outputs = { ...probe.outputs, k3sVersion: probe.outputs!.expectedK3sVersion, shimPresent: true };
        const after = rs.map((r) => (r.type === "command:remote:Command" && r.parent?.endsWith("Host::sh-pudong.srv-a") ? { ...r, outputs: { ...r.outputs, triggers: [id] } } : r));
        const h = analyse(after).hosts.find((x) => x.site === "sh-pudong" && x.host === "srv-a")!;
        expect(h.condition).toBe("ok");
        expect(h.details[0]).toMatch(/^re-imaged .* \(machine-id was [0-9a-f]{12}…\), re-provisioned since$/);
    });

    it("reports a changed host key, a refused key and a failed probe separately, keeping the facts", () => {
        const rs = resources();
        const set = (site: string, host: string, status: string, lastError: string) => {
            const p = probeOf(rs, site, host);
            p.outputs = { ...p.outputs, status, lastError };
        };
        set("sh-pudong", "srv-a", "host-key-mismatch", "host presented SHA256:abc, not the configured hostKey");
        set("sh-pudong", "wrk-a", "auth-failed", "All configured authentication methods failed");
        set("hz-xihu", "srv-a", "probe-failed", "/etc/machine-id is \"\", not 32 hex digits (host still booting?)");
        const out = renderSummary(analyse(rs), "cn-east");
        expect(out).toMatch(/HOST KEY CHANGED \(facts not trusted, state kept\): 1 host\n  sh-pudong  srv-a/);
        expect(out).toMatch(/SSH KEY REFUSED \(state kept\): 1 host\n  sh-pudong  wrk-a/);
        expect(out).toMatch(/PROBE FAILED \(state kept\): 1 host\n  hz-xihu    srv-a .*\n.*host still booting/);
    });

    it("lists hosts whose steps exist but that have no probe yet", () => {
        const rs = resources().filter((r) => !(r.type === HOST_PROBE_TYPE && r.urn.endsWith("::sh-pudong.wrk-a.probe")));
        const s = analyse(rs);
        expect(s.unprobedHosts).toEqual(["sh-pudong/wrk-a"]);
        expect(renderSummary(s, "x")).toContain("Hosts without a probe (run pulumi up once to add them): sh-pudong/wrk-a");
    });

    it("warns when the exclude pattern for a dead site would also catch another site", () => {
        const rs = resources();
        const p = probeOf(rs, "hz-xihu", "srv-a");
        const twin = { ...p, urn: p.urn.replace("::hz-xihu.srv-a.probe", "::hz-xihu-2.srv-a.probe"), outputs: { ...p.outputs, siteId: "hz-xihu-2", status: "ok" } };
        const out = renderSummary(analyse([...rs, twin]), "cn-east");
        expect(out).toContain("careful: '**::hz-xihu-*' also matches site hz-xihu-2");
    });

    it("says so when a stack has no probes at all", () => {
        const out = renderSummary(analyse([]), "empty");
        expect(out).toContain("No host probes in this state");
    });

    it("--host-urns prints the host's probe and step commands only", () => {
        const { code, out } = run(["--host-urns", "sh-pudong", "srv-a", FIXTURE]);
        expect(code).toBe(0);
        const lines = out.trim().split("\n");
        expect(lines[0]).toMatch(/^probe urn:pulumi:prod::edge-estate::.*HostProbe::sh-pudong\.srv-a\.probe$/);
        const cmds = lines.slice(1);
        expect(cmds.length).toBe(hostUrns(resources(), "sh-pudong", "srv-a").commands.length);
        for (const l of cmds) expect(l).toMatch(/^command urn:pulumi:.*::sh-pudong\.srv-a\.\d\d-[a-z0-9-]+$/);
        expect(cmds.some((l) => l.endsWith("::sh-pudong.srv-a.00-preflight"))).toBe(true);
    });

    it("rejects an unknown host or site with did-you-mean (never a line of every host), bad files and bad usage with clear messages", () => {
        const unknown = run(["--host-urns", "sh-pudong", "srv-z", FIXTURE]);
        expect(unknown.code).toBe(1);
        expect(unknown.err).toBe("summarise: no host srv-z on site sh-pudong in this stack; did you mean srv-a? (hosts of sh-pudong: srv-a, wrk-a)\n");
        expect(run(["--host-urns", "sh-pudnog", "srv-a", FIXTURE]).err).toBe("summarise: no site sh-pudnog in this stack; did you mean sh-pudong? (2 sites: hz-xihu, sh-pudong)\n");
        const missing = run(["/nonexistent/export.json"]);
        expect(missing).toMatchObject({ code: 1, err: "summarise: cannot read /nonexistent/export.json: ENOENT\n" });
        const dir = fs.mkdtempSync(path.join(require("node:os").tmpdir(), "summ-"));
        try {
            fs.writeFileSync(path.join(dir, "x.json"), "Stack prod not found\n");
            expect(run([path.join(dir, "x.json")]).err).toMatch(/^summarise: .*x\.json is not JSON \(.*\); expected the output of `pulumi stack export`\n$/);
            fs.writeFileSync(path.join(dir, "y.json"), JSON.stringify({ hello: 1 }));
            expect(run([path.join(dir, "y.json")]).err).toMatch(/has no deployment\.resources list/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
        expect(run([]).code).toBe(2);
        expect(run(["--bogus", FIXTURE])).toMatchObject({ code: 2, err: expect.stringContaining("unknown option --bogus") });
    });

    it("a 100-site region with 3 problem sites leads with them and counts the 97 healthy ones", () => {
        const hosts: HostReport[] = [];
        for (let i = 0; i < 100; i++) hosts.push({ site: `site-${String(i).padStart(3, "0")}`, host: "srv-a", address: `10.0.${i}.11:22`, condition: i === 7 ? "down" : i === 42 || i === 77 ? "drifted" : "ok", details: [] } as unknown as HostReport);
        const out = renderSummary({ hosts, unprobedHosts: [] }, "prod");
        const lines = out.split("\n");
        expect(lines[1]).toBe("3 of 100 sites need attention (1 DOWN: site-007): site-042, site-077; 97 ok");
        expect(out).toContain("Healthy sites: 97\n");
        expect(out).not.toMatch(/^\s+site-001\s/m);
        const listed = lines.slice(lines.indexOf("Sites needing attention: 3 of 100") + 1, lines.indexOf("Healthy sites: 97"));
        expect(listed.map((l) => l.trim().split(/\s+/)[0])).toEqual(["site-007", "site-042", "site-077"]);
        expect(unknownHostMessage(hosts.map((h) => `${h.site}/${h.host}`), "site-07", "srv-a")).toBe("no site site-07 in this stack; did you mean site-007 or site-017 or site-027? (100 sites)");
    });
});
