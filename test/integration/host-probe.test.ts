// The day-2 host probe against real OpenSSH servers: Debian sshd in network namespaces made by this test, each
// with its own hostname, machine-id and host key (netns-lab.sh). The provider methods are called directly, as the
// engine's dynamic-provider host would on `pulumi up` (create) and `pulumi refresh` (read); once through the
// closure-serialized copy Pulumi stores in the state. Re-image consequences are checked on the real program
// under mocks, fed with the facts these probes returned. Needs root; in CI it must run.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { EstateConfig } from "../../components/config/types";
import { validateEstateConfig } from "../../components/config/validate";
import { type HostProbeInputs, type HostProbeState, hostProbeProvider, HOST_PROBE_TYPE } from "../../components/host/probe";
import { HOST_STEP_NAMES } from "../../components/host/steps";
import { parseStepName } from "../../components/naming";
import { analyse, parseStackExport, renderSummary } from "../../scripts/oncall/summarise";
import { requireRootOrSkip } from "../support/root";
import { type Registered, registerUnderMocks } from "../components/host/probe-mocks";
import { killSshd, type Lab, type LabHost, rewriteInPlace, startLab } from "./lab";

const haveSshd = fs.existsSync("/usr/sbin/sshd") && fs.existsSync("/usr/bin/ssh-keygen");
if (!haveSshd && process.env.CI) throw new Error("host probe tests must run in CI: install openssh-server openssh-client iproute2");
if (!haveSshd) console.warn("\n*** SKIPPED: host probe tests need /usr/sbin/sshd (apt-get install openssh-server openssh-client iproute2) ***\n");
const RUN = haveSshd && requireRootOrSkip("host probe tests against sshd in network namespaces");

const root = path.join(__dirname, "..", "..");
const EXPECTED_K3S = "v1.30.4+k3s1";
/** Lab host -> the estate's site/host it plays. d is only used for the link-down case. */
const ROLES: Record<string, [string, string]> = { a: ["sh-pudong", "srv-a"], b: ["sh-pudong", "wrk-a"], c: ["hz-xihu", "srv-a"], d: ["nj-xuanwu", "srv-a"] };

let lab: Lab;
const created: Record<string, HostProbeState> = {};
const refreshed: Record<string, HostProbeState> = {};

function inputsFor(h: LabHost, over: Partial<HostProbeInputs> = {}): HostProbeInputs {
    const [siteId, hostId] = ROLES[h.name];
    return { siteId, hostId, address: h.address, port: 22, user: "root", hostKey: h.hostKey, privateKey: lab.clientKey, expectedK3sVersion: EXPECTED_K3S, connectTimeoutSeconds: 3, createAttempts: 1, ...over };
}

const create = async (inputs: HostProbeInputs) => (await hostProbeProvider.create(inputs)) as { id: string; outs: HostProbeState };
const read = async (id: string, state: HostProbeState) => (await hostProbeProvider.read!(id, state)) as { id: string; props: HostProbeState };
const machineIdOf = (h: LabHost) => fs.readFileSync(h.machineIdFile, "utf8").trim();
const idOf = (s: HostProbeState) => `${s.siteId}/${s.hostId}`;

/** The stack config the lab hosts stand for (sites sh-pudong and hz-xihu). */
function labConfig(): EstateConfig {
    const host = (n: string, role: string) => ({ id: ROLES[n][1], address: lab.hosts[n].address, role, hostKey: lab.hosts[n].hostKey });
    return validateEstateConfig(
        {
            region: "cn-east",
            monitoring: { hubSite: "sh-pudong" },
            sites: [
                { id: "sh-pudong", city: "上海浦东", wave: 0, hosts: [host("a", "server"), host("b", "agent")] },
                { id: "hz-xihu", city: "杭州西湖", wave: 1, hosts: [host("c", "server")] },
            ],
        },
        { sshPrivateKeyPresent: true, requirePins: false },
    );
}

describe.skipIf(!RUN)("host probe against real sshd hosts", () => {
    beforeAll(async () => {
        lab = await startLab(["a", "b", "c", "d"]);
        // b plays a provisioned host one K3s patch behind: a stand-in k3s executable printing the real
        // `k3s --version` format, and the shim file in place. a, c and d are bare re-imaged boxes.
        fs.writeFileSync(path.join(lab.hosts.b.localBin, "k3s"), "#!/bin/sh\necho 'k3s version v1.30.3+k3s1 (f9130d53)'\necho 'go version go1.22.5'\n", { mode: 0o755 });
        fs.writeFileSync(path.join(lab.hosts.b.localBin, "containerd-shim-wasmedge-v1"), "#!/bin/sh\n", { mode: 0o755 });
    }, 60_000);

    afterAll(async () => {
        await lab?.stop();
    });

    it("create reads each host's own machine-id, hostname, K3s version, shim and host key fingerprint", async () => {
        for (const name of ["a", "b", "c", "d"]) {
            const h = lab.hosts[name];
            const r = await create(inputsFor(h));
            created[name] = r.outs;
            expect(r.id).toBe(ROLES[name].join("/"));
            expect(r.outs.status).toBe("ok");
            expect(r.outs.machineId).toBe(machineIdOf(h));
            expect(r.outs.hostname).toBe(`edge-${name}`);
            expect(r.outs.hostKeyFingerprint).toBe(h.hostKeyFingerprint);
            expect(r.outs.bootId).toMatch(/^[0-9a-f-]{36}$/);
            expect(r.outs.lastError).toBe("");
            expect(r.outs.previousMachineId).toBe("");
        }
        expect(new Set(Object.values(created).map((s) => s.machineId)).size).toBe(4);
        expect(created.a.k3sVersion).toBe("");
        expect(created.a.shimPresent).toBe(false);
        expect(created.b.k3sVersion).toBe("v1.30.3+k3s1");
        expect(created.b.shimPresent).toBe(true);
    }, 30_000);

    it("read of an unchanged host returns the same facts and keeps statusSince (a quiet refresh shows no diff)", async () => {
        const r = await read("sh-pudong/srv-a", created.a);
        expect(r.id).toBe("sh-pudong/srv-a");
        expect(r.props).toEqual(created.a);
    });

    it("re-image: a new machine-id is recorded with the previous one; the other hosts are untouched", async () => {
        const before = created.a.machineId;
        const fresh = "0123456789abcdef0123456789abcdef";
        rewriteInPlace(lab.hosts.a.machineIdFile, `${fresh}\n`);
        refreshed.a = (await read("sh-pudong/srv-a", created.a)).props;
        expect(refreshed.a.machineId).toBe(fresh);
        expect(refreshed.a.previousMachineId).toBe(before);
        expect(Date.parse(refreshed.a.reimagedAt)).toBeGreaterThan(Date.parse(created.a.statusSince) - 1);
        expect(refreshed.a.status).toBe("ok");
        refreshed.b = (await read("sh-pudong/wrk-a", created.b)).props;
        expect(refreshed.b).toEqual(created.b);
    });

    it("re-image under mocks: only the re-imaged host's step commands get a new trigger (= replaced); nothing else changes", async () => {
        const ids = (states: Record<string, HostProbeState>) => Object.fromEntries(Object.values(states).map((s) => [idOf(s), s.machineId]));
        const afterUp = await registerUnderMocks(labConfig(), ids(created));
        const afterRefresh = await registerUnderMocks(labConfig(), ids({ ...created, a: refreshed.a }));
        const fingerprint = (r: Registered) => JSON.stringify([r.inputs, r.provider ?? null, r.parent ?? null]);
        const before = new Map(afterUp.map((r) => [r.urn, fingerprint(r)]));
        const changed = afterRefresh.filter((r) => before.get(r.urn) !== fingerprint(r));
        expect(afterRefresh.map((r) => r.urn).sort()).toEqual(afterUp.map((r) => r.urn).sort());
        // Every resource that changed belongs to host a; all its provisioning steps carry the new machine-id.
        expect(changed.length).toBeGreaterThanOrEqual(6);
        for (const r of changed) expect(r.name, r.urn).toMatch(/^sh-pudong\.srv-a\./);
        const hostCommands = afterRefresh.filter((r) => r.type === "command:remote:Command" && r.parent?.endsWith("edge-estate:index:Host::sh-pudong.srv-a"));
        // The add-on steps (tracking image import, datastore backups, tracking data directory) re-run because the
        // host's last step is replaced (new id); the host's own steps are the ones HOST_STEP_NAMES names.
        const provisioning = hostCommands.filter((r) => (HOST_STEP_NAMES as readonly string[]).includes(parseStepName(r.name)?.step ?? ""));
        expect(provisioning.map((r) => parseStepName(r.name)!.step)).toEqual([...HOST_STEP_NAMES]);
        const backups = hostCommands.find((r) => r.name.endsWith("-datastore-backup"))!;
        expect(changed).toContain(backups);
        expect(changed).toContain(hostCommands.find((r) => r.name.endsWith("-tracking-data-dir")));
        const imported = hostCommands.find((r) => r.name.endsWith("-import-image"))!;
        expect(changed).toContain(imported);
        for (const s of provisioning) {
            expect(s.inputs.triggers, s.name).toEqual([refreshed.a.machineId]);
            expect(changed).toContain(s);
        }
        // The probe itself keeps its inputs: the refresh changed only its outputs.
        expect(changed.some((r) => r.type === HOST_PROBE_TYPE)).toBe(false);
        // pulumi-command always replaces on a trigger change (its SDK hard-codes replaceOnChanges): check the installed SDK says so.
        const sdk = fs.readFileSync(path.join(root, "node_modules/@pulumi/command/remote/command.js"), "utf8");
        expect(sdk).toMatch(/replaceOnChanges:\s*\["triggers\[\*\]"\]/);
    }, 60_000);

    it("an unreachable host (sshd killed): read keeps every fact, reports unreachable and warns on stderr", async () => {
        killSshd(lab.hosts.c);
        await new Promise((r) => setTimeout(r, 200));
        const warn = vi.spyOn(console, "error").mockImplementation(() => undefined);
        try {
            const r = await read("hz-xihu/srv-a", created.c);
            refreshed.c = r.props;
            expect(r.id).toBe("hz-xihu/srv-a");
            for (const k of ["machineId", "bootId", "hostname", "k3sVersion", "shimPresent", "hostKeyFingerprint", "previousMachineId", "reimagedAt"] as const) expect(r.props[k], k).toEqual(created.c[k]);
            expect(r.props.status).toBe("unreachable");
            expect(r.props.lastError).toMatch(/ECONNREFUSED/);
            expect(warn.mock.calls.map((c) => String(c[0])).join("\n")).toMatch(/warning: edge-estate host probe hz-xihu\/srv-a .*unreachable.*keeping the last known facts/);
            // A second refresh while it is still down changes nothing at all.
            const again = await read("hz-xihu/srv-a", r.props);
            expect(again.props).toEqual(r.props);
        } finally {
            warn.mockRestore();
        }
        // With no previous facts there is nothing to keep: create fails with a message naming the host.
        await expect(create(inputsFor(lab.hosts.c))).rejects.toThrow(/cannot probe host hz-xihu\/srv-a \(10\.250\.\d+\.\d+:22\): unreachable/);
    }, 30_000);

    it("a host whose network is gone (link down): read times out and keeps its facts", async () => {
        execFileSync("ip", ["-n", lab.hosts.d.namespace, "link", "set", "eth0", "down"]);
        const warn = vi.spyOn(console, "error").mockImplementation(() => undefined);
        try {
            const r = await read("nj-xuanwu/srv-a", { ...created.d, connectTimeoutSeconds: 2 });
            expect(r.props.status).toBe("unreachable");
            expect(r.props.machineId).toBe(created.d.machineId);
        } finally {
            warn.mockRestore();
        }
    }, 30_000);

    it("a wrong host key is rejected: create fails, read keeps the old facts even though the box changed", async () => {
        const b = lab.hosts.b;
        await expect(create(inputsFor(b, { hostKey: lab.hosts.a.hostKey }))).rejects.toThrow(new RegExp(`host-key-mismatch: host presented ${b.hostKeyFingerprint.replace(/[+/]/g, "\\$&")}`));
        rewriteInPlace(b.machineIdFile, "fedcba9876543210fedcba9876543210\n");
        const warn = vi.spyOn(console, "error").mockImplementation(() => undefined);
        try {
            const r = await read("sh-pudong/wrk-a", { ...created.b, hostKey: lab.hosts.a.hostKey });
            expect(r.props.status).toBe("host-key-mismatch");
            expect(r.props.machineId).toBe(created.b.machineId);
        } finally {
            warn.mockRestore();
        }
        // With the right key the change is seen.
        const ok = await read("sh-pudong/wrk-a", created.b);
        expect(ok.props.machineId).toBe("fedcba9876543210fedcba9876543210");
    }, 30_000);

    it("a key the host does not accept is reported as auth-failed", async () => {
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "probe-key-"));
        try {
            execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(tmp, "k")]);
            const other = fs.readFileSync(path.join(tmp, "k"), "utf8");
            await expect(create(inputsFor(lab.hosts.a, { privateKey: other }))).rejects.toThrow(/auth-failed: All configured authentication methods failed/);
        } finally {
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    });

    it("the closure-serialized provider (what refresh runs from the state) works and carries no secret", async () => {
        const provider = hostProbeProvider;
        // Exactly what pulumi.dynamic.Resource stores in __provider, loaded the way the dynamic-provider host does.
        const sf = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true } as pulumi.runtime.SerializeFunctionArgs);
        expect((sf as unknown as { containsSecrets: boolean }).containsSecrets).toBe(false);
        expect(sf.text).not.toContain("PRIVATE KEY");
        expect(sf.text).not.toContain(lab.clientKey.split("\n")[1]);
        // The module the dynamic-provider host loads __provider with, resolved from @pulumi/pulumi itself.
        const requireFromString = createRequire(require.resolve("@pulumi/pulumi/package.json"))("require-from-string");
        const loaded = requireFromString(sf.text).handler() as typeof hostProbeProvider;
        const r = (await loaded.read!("sh-pudong/srv-a", refreshed.a)) as { props: HostProbeState };
        expect(r.props).toEqual(refreshed.a);
    }, 30_000);

    it("the on-call summary of a stack export built from these real probe outputs names the down, re-imaged and drifted hosts", async () => {
        const config = labConfig();
        const ids = Object.fromEntries(Object.values(created).map((s) => [idOf(s), s.machineId]));
        // State after the last `up` (commands triggered by the created machine-ids), then a refresh (probe outputs).
        const registered = await registerUnderMocks(config, ids, "prod");
        const probeState: Record<string, HostProbeState> = { "sh-pudong/srv-a": refreshed.a, "sh-pudong/wrk-a": refreshed.b, "hz-xihu/srv-a": refreshed.c };
        const exported = stackExportOf(registered, probeState);
        const text = renderSummary(analyse(parseStackExport(JSON.stringify(exported), "export.json")), "prod");
        expect(text).toMatch(/DOWN \(state kept, nothing will be re-provisioned\): 1 host\n\s+hz-xihu\s+srv-a\s+10\.250\.\d+\.13:22\n\s+- unreachable since .*ECONNREFUSED/);
        expect(text).toMatch(/RE-IMAGED, waiting for re-provisioning: 1 host\n\s+sh-pudong\s+srv-a[^\n]*\n\s+- re-imaged: machine-id [0-9a-f]{12}… -> 0123456789ab…/);
        expect(text).toContain("fix: scripts/oncall-reprovision-host.sh prod sh-pudong srv-a");
        expect(text).toMatch(/DRIFTED from the config: 1 host\n\s+sh-pudong\s+wrk-a[^\n]*\n\s+- K3s v1\.30\.3\+k3s1 installed, v1\.30\.4\+k3s1 expected/);
        expect(text).toMatch(/hz-xihu\s+DOWN \(1 down of 1 hosts\)/);
        expect(text).toContain("pulumi up -s prod --exclude '**::hz-xihu' --exclude '**::hz-xihu.*' --exclude '**::hz-xihu-*' --exclude-dependents");
        expect(text).not.toContain(lab.clientKey.split("\n")[1]);
        if (process.env.UPDATE_ONCALL_FIXTURE) {
            // Kept small for the repo: Kubernetes objects lose their bodies and probes their serialized provider;
            // the summariser reads neither. Everything else is as produced above.
            const slim = {
                ...exported,
                _note: "Recorded by test/integration/host-probe.test.ts (UPDATE_ONCALL_FIXTURE=1) from real probes of netns sshd hosts; large bodies elided.",
                deployment: {
                    ...exported.deployment,
                    resources: exported.deployment.resources.map((r) => {
                        if (r.type.startsWith("kubernetes:")) return { ...r, inputs: {}, outputs: {} };
                        const strip = (o: Record<string, unknown>) => {
                            const out = { ...o };
                            if ("__provider" in out) out.__provider = "(serialized provider elided)";
                            if (typeof out.create === "string") out.create = "(step script elided)";
                            return out;
                        };
                        return { ...r, inputs: strip(r.inputs), outputs: strip(r.outputs) };
                    }),
                },
            };
            fs.writeFileSync(path.join(root, "test/scripts/oncall/fixtures/stack-export.json"), JSON.stringify(slim, null, 1) + "\n");
        }
    }, 60_000);
});

/** A `pulumi stack export` document: registered inputs as state, probe outputs from real probes, secrets as ciphertext. */
export function stackExportOf(registered: Registered[], probeState: Record<string, HostProbeState>) {
    const SIG = "4dabf18193072939515e22adb298388d";
    const encrypt = (v: unknown): unknown => {
        if (v && typeof v === "object" && SIG in (v as object)) return { [SIG]: "1b47061264138c4ac30d75fd1eb44270", ciphertext: "v1:ZW5jcnlwdGVk:c2VjcmV0LWluLXN0YXRl" };
        if (Array.isArray(v)) return v.map(encrypt);
        if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encrypt(x)]));
        return v;
    };
    const resources = registered.map((r) => {
        const inputs = encrypt(r.inputs) as Record<string, unknown>;
        let outputs: Record<string, unknown> = { ...inputs };
        if (r.type === HOST_PROBE_TYPE) {
            const state = probeState[`${r.inputs.siteId}/${r.inputs.hostId}`];
            outputs = { ...(encrypt(r.inputs) as object), ...state, privateKey: encrypt({ [SIG]: 1, value: "" }) };
        }
        return { urn: r.urn, custom: r.type !== "pulumi:pulumi:Stack" && !r.type.startsWith("edge-estate:index:"), type: r.type, inputs, outputs, ...(r.parent ? { parent: r.parent } : {}) };
    });
    return { version: 3, deployment: { manifest: { time: new Date().toISOString(), magic: "", version: "v3.248.0" }, resources } };
}
