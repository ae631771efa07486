// The host probe's pure parts (fact parsing, error classes, the re-image rule, check/diff) and how the resource is
// registered (secret key, additionalSecretOutputs). The SSH side runs against real sshd hosts in
// test/integration/host-probe.test.ts.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import {
    classifySshError,
    HOST_FACTS_SCRIPT_PATH,
    HOST_PROBE_TYPE,
    HostProbe,
    type HostProbeInputs,
    type HostProbeState,
    hostProbeProvider,
    nextProbeState,
    parseHostFacts,
} from "../../../components/host/probe";
import { validateEstateConfig } from "../../../components/config/validate";
import { registerUnderMocks } from "./probe-mocks";

const INPUTS: HostProbeInputs = {
    siteId: "sh-pudong",
    hostId: "srv-a",
    address: "10.20.1.11",
    port: 22,
    user: "root",
    hostKey: "",
    privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nX\n-----END OPENSSH PRIVATE KEY-----\n",
    expectedK3sVersion: "v1.30.4+k3s1",
    connectTimeoutSeconds: 10,
    createAttempts: 5,
};
const MID = "0123456789abcdef0123456789abcdef";
const facts = (over: Partial<Record<string, string>> = {}) =>
    Object.entries({ "machine-id": MID, "boot-id": "70c8b56b-8e13-488d-87ee-17c20f6656d3", hostname: "edge-1", k3s: "k3s version v1.30.4+k3s1 (98262b5d)", shim: "present", end: "ok", ...over })
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${v}`)
        .join("\n");

describe("parseHostFacts", () => {
    it("reads the fact script's real output on this machine", () => {
        const out = execFileSync("bash", [HOST_FACTS_SCRIPT_PATH], { encoding: "utf8" });
        const f = parseHostFacts(out, "SHA256:x");
        expect(f.machineId).toMatch(/^[0-9a-f]{32}$/);
        expect(f.hostname).toBe(execFileSync("uname", ["-n"], { encoding: "utf8" }).trim());
    });

    it("parses versions, shim and ids", () => {
        expect(parseHostFacts(facts(), "SHA256:abc")).toEqual({
            machineId: MID,
            bootId: "70c8b56b-8e13-488d-87ee-17c20f6656d3",
            hostname: "edge-1",
            k3sVersion: "v1.30.4+k3s1",
            shimPresent: true,
            hostKeyFingerprint: "SHA256:abc",
            // An old fact script (or an agent) without the server lines: no datastore, no certificates, no snapshot.
            datastore: "none",
            certCount: 0,
            certEarliestFile: "",
            certEarliestNotAfter: "",
            certProblem: "",
            lastSnapshotAt: "",
            lastSnapshotName: "",
        });
        expect(parseHostFacts(facts({ k3s: "", shim: "absent" }), "").k3sVersion).toBe("");
    });

    it("parses certificate lines (earliest wins), the datastore and the newest snapshot of a server", () => {
        const text = [
            facts({ end: undefined }),
            "datastore=etcd",
            "cert-tool=openssl",
            "cert=server-ca.crt 2079417600",
            "cert=serving-kube-apiserver.crt 1767225600",
            "cert=etcd/peer-server-client.crt 1767312000",
            "snapshot=1764547200 etcd-snapshot-srv-a-1764547200",
            "end=ok",
            "",
        ].join("\n");
        expect(parseHostFacts(text, "")).toMatchObject({
            datastore: "etcd",
            certCount: 3,
            certEarliestFile: "serving-kube-apiserver.crt",
            certEarliestNotAfter: "2026-01-01T00:00:00.000Z",
            certProblem: "",
            lastSnapshotAt: "2025-12-01T00:00:00.000Z",
            lastSnapshotName: "etcd-snapshot-srv-a-1764547200",
        });
        expect(parseHostFacts(text.replace("cert-tool=openssl", "cert-tool=missing"), "").certProblem).toMatch(/openssl is not installed/);
        expect(() => parseHostFacts(text.replace("cert=server-ca.crt 2079417600", "cert=server-ca.crt soon"), "")).toThrow(/cannot parse the certificate line "server-ca.crt soon"/);
    });

    it("refuses half-read or unready hosts instead of recording a bogus machine-id", () => {
        expect(() => parseHostFacts(facts({ end: undefined }), "")).toThrow(/did not finish/);
        expect(() => parseHostFacts(facts({ "machine-id": "" }), "")).toThrow(/not 32 hex digits \(host still booting\?\)/);
        expect(() => parseHostFacts(facts({ "machine-id": "uninitialized" }), "")).toThrow(/not 32 hex digits/);
        expect(() => parseHostFacts(facts({ k3s: "segfault" }), "")).toThrow(/cannot parse the K3s version from "segfault"/);
    });
});

describe("classifySshError", () => {
    it("maps ssh2 and socket errors to statuses", () => {
        expect(classifySshError({ message: "Host denied (verification failed)", level: "client-authentication" })).toBe("host-key-mismatch");
        expect(classifySshError({ message: "All configured authentication methods failed", level: "client-authentication" })).toBe("auth-failed");
        expect(classifySshError({ message: "Timed out while waiting for handshake", level: "client-timeout" })).toBe("unreachable");
        expect(classifySshError({ message: "connect ECONNREFUSED", code: "ECONNREFUSED", level: "client-socket" })).toBe("unreachable");
        expect(classifySshError({ message: "getaddrinfo ENOTFOUND", code: "ENOTFOUND" })).toBe("unreachable");
        expect(classifySshError({ message: "something else" })).toBe("probe-failed");
    });
});

describe("nextProbeState", () => {
    const ok = (machineId: string) => ({ ok: true as const, facts: { ...parseHostFacts(facts({ "machine-id": machineId }), "SHA256:k") } });
    const first = nextProbeState(INPUTS, undefined, ok(MID), "2026-11-26T10:00:00.000Z");

    it("create: records facts, status ok since now, no re-image", () => {
        expect(first).toMatchObject({ machineId: MID, status: "ok", statusSince: "2026-11-26T10:00:00.000Z", previousMachineId: "", reimagedAt: "", lastError: "" });
    });

    it("create on a host that cannot be probed fails naming the host", () => {
        expect(() => nextProbeState(INPUTS, undefined, { ok: false, status: "unreachable", message: "connect ECONNREFUSED" }, "t")).toThrow(
            "cannot probe host sh-pudong/srv-a (10.20.1.11:22): unreachable: connect ECONNREFUSED",
        );
    });

    it("same machine: identical state (a quiet refresh is not a diff)", () => {
        expect(nextProbeState(INPUTS, first, ok(MID), "2026-11-26T11:00:00.000Z")).toEqual(first);
    });

    it("new machine-id: re-image recorded with the old id and the time", () => {
        const other = "fedcba9876543210fedcba9876543210";
        const s = nextProbeState(INPUTS, first, ok(other), "2026-11-26T12:00:00.000Z");
        expect(s).toMatchObject({ machineId: other, previousMachineId: MID, reimagedAt: "2026-11-26T12:00:00.000Z", statusSince: first.statusSince });
    });

    it("failure: every fact kept, status and since change once, then stay", () => {
        const down = nextProbeState(INPUTS, first, { ok: false, status: "unreachable", message: "timeout" }, "2026-11-26T13:00:00.000Z");
        for (const k of ["machineId", "bootId", "hostname", "k3sVersion", "shimPresent", "hostKeyFingerprint", "previousMachineId", "reimagedAt"] as const) expect(down[k]).toEqual(first[k]);
        expect(down).toMatchObject({ status: "unreachable", statusSince: "2026-11-26T13:00:00.000Z", lastError: "timeout" });
        const still = nextProbeState(INPUTS, down, { ok: false, status: "unreachable", message: "timeout" }, "2026-11-26T14:00:00.000Z");
        expect(still).toEqual(down);
        const back = nextProbeState(INPUTS, still, ok(MID), "2026-11-26T15:00:00.000Z");
        expect(back).toMatchObject({ status: "ok", statusSince: "2026-11-26T15:00:00.000Z", lastError: "", machineId: MID, previousMachineId: "" });
    });

    it("the state holds only known keys (nothing stray from old props leaks through)", () => {
        const s = nextProbeState(INPUTS, { ...first, extra: "x" } as unknown as HostProbeState, ok(MID), "t");
        expect(Object.keys(s)).not.toContain("extra");
    });
});

describe("provider check and diff", () => {
    it("check names bad inputs", async () => {
        const r = await hostProbeProvider.check!({}, { ...INPUTS, port: 70000, hostKey: "ssh-dss AAAAB3NzaC1kc3M=", connectTimeoutSeconds: 0 });
        expect(r.failures!.map((f) => f.property).sort()).toEqual(["connectTimeoutSeconds", "hostKey", "port"]);
        expect((await hostProbeProvider.check!({}, INPUTS)).failures).toEqual([]);
    });

    it("diff: facts (outputs) never cause a change; inputs do; site/host ids replace", async () => {
        const state = { ...nextProbeState(INPUTS, undefined, { ok: true, facts: parseHostFacts(facts(), "") }, "t") };
        expect(await hostProbeProvider.diff!("id", state, { ...INPUTS })).toMatchObject({ changes: false, replaces: [] });
        expect(await hostProbeProvider.diff!("id", state, { ...INPUTS, address: "10.20.1.99" })).toMatchObject({ changes: true, replaces: [] });
        expect(await hostProbeProvider.diff!("id", state, { ...INPUTS, expectedK3sVersion: "v1.30.6+k3s1" })).toMatchObject({ changes: true });
        expect(await hostProbeProvider.diff!("id", state, { ...INPUTS, hostId: "srv-b" })).toMatchObject({ changes: true, replaces: ["hostId"] });
    });
});

describe("HostProbe registration", () => {
    it("registers the private key as a secret input and asks the engine to keep it secret in the outputs", async () => {
        const seen: { type: string; inputs: any; opts: pulumi.ResourceOptions }[] = [];
        await pulumi.runtime.setMocks(
            {
                newResource: (args) => ({ id: "p", state: { ...args.inputs, machineId: MID } }),
                call: (args) => args.inputs,
            },
            "edge-estate",
            "probe-test",
            false,
        );
        let probe: HostProbe | undefined;
        await pulumi.runtime.runInPulumiStack(async () => {
            pulumi.runtime.registerStackTransformation((args) => {
                seen.push({ type: args.type, inputs: args.props, opts: args.opts });
                return undefined;
            });
            probe = new HostProbe("sh-pudong.srv-a.probe", { ...INPUTS, privateKey: pulumi.secret(INPUTS.privateKey) });
        });
        const id = await new Promise((r) => probe!.machineId.apply(r));
        expect(id).toBe(MID);
        const reg = seen.find((s) => s.type === HOST_PROBE_TYPE)!;
        expect(reg).toBeDefined();
        expect((reg.opts as pulumi.CustomResourceOptions).additionalSecretOutputs).toContain("privateKey");
        expect(await pulumi.isSecret(reg.inputs.privateKey)).toBe(true);
        expect(await pulumi.isSecret(pulumi.output(reg.inputs.address))).toBe(false);
    });
});

describe("the provider as the state holds it", () => {
    // What `pulumi refresh` runs is the closure-serialized copy in the probe's `__provider` input, loaded by the
    // dynamic-provider host with require-from-string; its `check` must apply the config grammar's host-key rule.
    it("the serialized copy from the program under mocks checks host keys with the config grammar", async () => {
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "probe-serialized-"));
        try {
            execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "srv-a", "-f", path.join(tmp, "ed")]);
            execFileSync("ssh-keygen", ["-q", "-t", "ecdsa", "-N", "", "-f", path.join(tmp, "ec")]);
            const edLine = fs.readFileSync(path.join(tmp, "ed.pub"), "utf8").trim();
            const ecLine = fs.readFileSync(path.join(tmp, "ec.pub"), "utf8").trim();
            const ecBlob = ecLine.split(" ")[1];
            const hosts = [
                { id: "srv-a", address: "10.20.1.11", role: "server", hostKey: edLine },
                { id: "wrk-a", address: "10.20.1.12", role: "agent", hostKey: ecLine },
            ];
            const config = validateEstateConfig(
                { region: "cn-east", monitoring: { hubSite: "sh-pudong" }, sites: [{ id: "sh-pudong", city: "上海浦东", wave: 0, hosts }] },
                { sshPrivateKeyPresent: true, requirePins: false },
            );
            const registered = await registerUnderMocks(config);
            const probe = registered.find((r) => r.type === HOST_PROBE_TYPE && r.name === "sh-pudong.srv-a.probe")!;
            const text: string = probe.inputs.__provider;
            expect(text).toContain("parseHostKey");
            const requireFromString = createRequire(require.resolve("@pulumi/pulumi/package.json"))("require-from-string");
            const loaded = requireFromString(text).handler() as typeof hostProbeProvider;
            const inputs: Record<string, unknown> = { ...probe.inputs, privateKey: "" };
            delete inputs.__provider;
            // The pinned key as registered: `<type> <base64>` (comment dropped) passes.
            expect(inputs.hostKey).toBe(edLine.split(" ").slice(0, 2).join(" "));
            expect((await loaded.check!({}, inputs)).failures).toEqual([]);
            const failures = async (hostKey: string) => (await loaded.check!({}, { ...inputs, hostKey })).failures;
            // The type header alone, without the key's 32 bytes (the old pattern accepted this too).
            expect(await failures("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5")).toEqual([{ property: "hostKey", reason: "is not an OpenSSH public key: an ed25519 key is 32 bytes" }]);
            // Well-formed base64 of an ECDSA key labelled ed25519: the old pattern accepted it.
            expect(await failures(`ssh-ed25519 ${ecBlob}`)).toEqual([
                { property: "hostKey", reason: 'is not an OpenSSH public key: the key data is a "ecdsa-sha2-nistp256" key, not ssh-ed25519' },
            ]);
        } finally {
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    }, 60_000);
});
