/**
 * Day-2 host probe: one dynamic resource per host whose `read` (run by `pulumi refresh`) connects over SSH and
 * records what is really on the box: machine-id, boot id, hostname, installed K3s version and shim presence.
 *
 * remote.Command has no Read, so without this a wiped or replaced host is invisible to refresh. The host's
 * EdgeHost takes `machineId` as a re-provision trigger: when a refresh records a new machine-id (re-imaged or
 * replaced hardware), the next `up` replaces that host's step commands, and only that host's.
 *
 * A host that cannot be probed (down, wrong host key, key refused) keeps every fact it had; only `status`,
 * `statusSince` and `lastError` change, so nothing downstream is triggered and on-call can still see it.
 *
 * The provider object below is closure-serialized into the state by Pulumi and run from there on refresh
 * (Pulumi's dynamic providers: `__provider` in the state; refresh runs the copy of the last `up`): its methods
 * `require` their node_modules themselves and capture no secrets; the private key
 * arrives as a (secret) input on every call.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parseHostKey } from "../config/grammar";

/** The bash text the probe runs on the host (also usable by hand; see the file's header). */
export const HOST_FACTS_SCRIPT_PATH = path.resolve(__dirname, "..", "..", "scripts", "oncall", "host-facts.sh");
const HOST_FACTS_SCRIPT = fs.readFileSync(HOST_FACTS_SCRIPT_PATH, "utf8");

/** The probe's resource type: Pulumi names a dynamic resource of type T `pulumi-nodejs:dynamic:T`. */
const PROBE_TYPE_NAME = "HostProbe";
export const HOST_PROBE_TYPE = `pulumi-nodejs:dynamic:${PROBE_TYPE_NAME}`;

export type ProbeStatus = "ok" | "unreachable" | "host-key-mismatch" | "auth-failed" | "probe-failed";

/** What the provider receives as inputs (plain values; `privateKey` is secret in the engine). */
export interface HostProbeInputs {
    siteId: string;
    hostId: string;
    address: string;
    port: number;
    user: string;
    /** OpenSSH public host key line; "" = accept any key (and record its fingerprint). */
    hostKey: string;
    privateKey: string;
    /** The K3s version this host should run (from versionsForSite); used to report drift. */
    expectedK3sVersion: string;
    connectTimeoutSeconds: number;
    /** Create (first probe) retries an unreachable host this many times; refresh never retries. */
    createAttempts: number;
}

export interface HostFacts {
    /** /etc/machine-id: changes when the host is re-imaged or replaced. */
    machineId: string;
    /** /proc/sys/kernel/random/boot_id: changes on every reboot. */
    bootId: string;
    hostname: string;
    /** e.g. "v1.30.4+k3s1"; "" when K3s is not installed. */
    k3sVersion: string;
    /** /usr/local/bin/containerd-shim-wasmedge-v1 exists and is executable. */
    shimPresent: boolean;
    /** SHA256 fingerprint of the host key the host presented, as `ssh-keygen -l` prints it. */
    hostKeyFingerprint: string;
    /** K3s datastore on this host: "etcd" (HA server), "sqlite" (single server) or "none" (agent, not installed). */
    datastore: string;
    /** Certificates under /var/lib/rancher/k3s/server/tls read (0 on agents or without openssl). */
    certCount: number;
    /** The certificate that expires first ("serving-kube-apiserver.crt") and when (ISO 8601); "" when none was read. */
    certEarliestFile: string;
    certEarliestNotAfter: string;
    /** Why certificates could not be read ("openssl missing"), "" otherwise. */
    certProblem: string;
    /** Newest datastore snapshot (etcd snapshot or SQLite backup): when it was written (ISO 8601) and its file name. */
    lastSnapshotAt: string;
    lastSnapshotName: string;
}

export interface HostProbeState extends HostProbeInputs, HostFacts {
    status: ProbeStatus;
    /** When `status` last changed (ISO 8601). Unchanged on a refresh that finds the same status. */
    statusSince: string;
    /** Why the last probe failed; "" when status is ok. */
    lastError: string;
    /** The machine-id before the most recent re-image; "" if none was ever seen. */
    previousMachineId: string;
    /** When the most recent re-image was detected; "" if never. */
    reimagedAt: string;
}

export type ProbeResult = { ok: true; facts: HostFacts } | { ok: false; status: Exclude<ProbeStatus, "ok">; message: string };

const FACT_KEYS = [
    "machineId",
    "bootId",
    "hostname",
    "k3sVersion",
    "shimPresent",
    "hostKeyFingerprint",
    "datastore",
    "certCount",
    "certEarliestFile",
    "certEarliestNotAfter",
    "certProblem",
    "lastSnapshotAt",
    "lastSnapshotName",
] as const;
const INPUT_KEYS = ["siteId", "hostId", "address", "port", "user", "hostKey", "privateKey", "expectedK3sVersion", "connectTimeoutSeconds", "createAttempts"] as const;

/** Parses host-facts.sh output. Throws on anything incomplete: a half-read host must never look re-imaged. */
export function parseHostFacts(text: string, hostKeyFingerprint: string): HostFacts {
    const kv: Record<string, string> = {};
    const certs: { file: string; notAfter: number }[] = [];
    for (const line of text.split("\n")) {
        const i = line.indexOf("=");
        if (i <= 0) continue;
        const key = line.slice(0, i);
        const value = line.slice(i + 1).trim();
        // "cert=<file> <unix time>", one line per certificate.
        const c = key === "cert" ? /^(\S+) (\d+)$/.exec(value) : null;
        if (key === "cert" && !c) throw new Error(`cannot parse the certificate line ${JSON.stringify(value)}`);
        if (c) certs.push({ file: c[1], notAfter: Number(c[2]) });
        else kv[key] = value;
    }
    if (kv.end !== "ok") throw new Error("the fact script did not finish (no end=ok line)");
    const machineId = (kv["machine-id"] ?? "").toLowerCase();
    // systemd writes 32 hex digits; an empty or "uninitialized" file means first boot is not done yet.
    if (!/^[0-9a-f]{32}$/.test(machineId)) throw new Error(`/etc/machine-id is ${JSON.stringify(kv["machine-id"] ?? "")}, not 32 hex digits (host still booting?)`);
    const k3sLine = kv.k3s ?? "";
    const k3sMatch = /^k3s version (\S+)/.exec(k3sLine);
    if (k3sLine !== "" && !k3sMatch) throw new Error(`cannot parse the K3s version from ${JSON.stringify(k3sLine)}`);
    if (kv.shim !== "present" && kv.shim !== "absent") throw new Error(`unexpected shim line ${JSON.stringify(kv.shim ?? "")}`);
    certs.sort((a, b) => a.notAfter - b.notAfter || a.file.localeCompare(b.file));
    const snap = /^(\d+) (.+)$/.exec(kv.snapshot ?? "");
    return {
        machineId,
        bootId: kv["boot-id"] ?? "",
        hostname: kv.hostname ?? "",
        k3sVersion: k3sMatch ? k3sMatch[1] : "",
        shimPresent: kv.shim === "present",
        hostKeyFingerprint,
        datastore: kv.datastore ?? "none",
        certCount: certs.length,
        certEarliestFile: certs[0]?.file ?? "",
        certEarliestNotAfter: certs[0] ? new Date(certs[0].notAfter * 1000).toISOString() : "",
        certProblem: kv["cert-tool"] === "missing" ? "openssl is not installed on the host: certificate expiry unknown" : "",
        lastSnapshotAt: snap ? new Date(Number(snap[1]) * 1000).toISOString() : "",
        lastSnapshotName: snap ? snap[2] : "",
    };
}

/** ssh2 error -> probe status. */
export function classifySshError(err: { code?: unknown; level?: unknown; message?: unknown }): Exclude<ProbeStatus, "ok"> {
    const message = String(err.message ?? "");
    if (/Host denied \(verification failed\)/.test(message)) return "host-key-mismatch";
    if (err.level === "client-authentication") return "auth-failed";
    if (err.level === "client-timeout" || err.level === "client-socket") return "unreachable";
    const code = String(err.code ?? "");
    if (/^(ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ECONNRESET|EPIPE|ENOTFOUND|EAI_AGAIN|EADDRNOTAVAIL)$/.test(code)) return "unreachable";
    return "probe-failed";
}

/** Connects once, runs host-facts.sh, closes. Never throws: every failure becomes a ProbeResult. */
export function probeHostOnce(inputs: HostProbeInputs, script: string): Promise<ProbeResult> {
    // Required here, not at the top: this function is serialized into the state with the provider.
    const { Client } = require("ssh2");
    const crypto = require("crypto");
    const timeoutMs = Math.max(1, inputs.connectTimeoutSeconds) * 1000;
    return new Promise<ProbeResult>((resolve) => {
        const conn = new Client();
        let settled = false;
        let presented = "";
        // Declared before use: Pulumi's closure serializer rejects forward references to later `const`s.
        let overall: ReturnType<typeof setTimeout> | undefined = undefined;
        const finish = (r: ProbeResult) => {
            if (settled) return;
            settled = true;
            if (overall) clearTimeout(overall);
            conn.end();
            resolve(r);
        };
        // Covers a host that accepts TCP but then hangs (e.g. a wedged k3s --version).
        overall = setTimeout(() => finish({ ok: false, status: "unreachable", message: `no answer within ${(3 * timeoutMs) / 1000}s` }), 3 * timeoutMs);

        let expectedBlob: Buffer | undefined;
        let serverHostKey: string[] | undefined;
        if (inputs.hostKey) {
            const [type, b64] = inputs.hostKey.trim().split(/\s+/);
            expectedBlob = Buffer.from(b64 ?? "", "base64");
            // Ask for the configured key's type, so a host that also has an RSA key cannot offer that one instead.
            serverHostKey = type === "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [type];
        }
        conn.on("ready", () => {
            conn.exec("bash -s", (err: Error | undefined, stream: any) => {
                if (err) return finish({ ok: false, status: "probe-failed", message: `exec failed: ${err.message}` });
                let out = "";
                let errText = "";
                stream.on("data", (d: Buffer) => (out += d.toString("utf8")));
                stream.stderr.on("data", (d: Buffer) => (errText += d.toString("utf8")));
                stream.on("close", (code: number | null) => {
                    if (code !== 0) return finish({ ok: false, status: "probe-failed", message: `fact script exited ${code}: ${errText.trim().slice(0, 200)}` });
                    try {
                        finish({ ok: true, facts: parseHostFacts(out, presented) });
                    } catch (e) {
                        finish({ ok: false, status: "probe-failed", message: (e as Error).message });
                    }
                });
                stream.end(script);
            });
        });
        conn.on("error", (err: any) => {
            const status = classifySshError(err);
            const detail = status === "host-key-mismatch" ? `host presented ${presented || "an unexpected key"}, not the configured hostKey` : String(err.message ?? err);
            finish({ ok: false, status, message: detail });
        });
        conn.on("close", () => finish({ ok: false, status: "unreachable", message: "connection closed before the facts were read" }));
        try {
            conn.connect({
                host: inputs.address,
                port: inputs.port,
                username: inputs.user,
                privateKey: inputs.privateKey,
                readyTimeout: timeoutMs,
                ...(serverHostKey ? { algorithms: { serverHostKey } } : {}),
                hostVerifier: (key: Buffer) => {
                    presented = `SHA256:${crypto.createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
                    return expectedBlob ? key.equals(expectedBlob) : true;
                },
            });
        } catch (e) {
            // Synchronous config errors, e.g. a private key ssh2 cannot parse. The key itself is never echoed.
            finish({ ok: false, status: "probe-failed", message: (e as Error).message });
        }
    });
}

/**
 * The state after a probe: pure, so the re-image rule is testable on its own.
 * - ok: new facts; a different non-empty machine-id than before is a re-image.
 * - failed: every fact stays as it was; only status/statusSince/lastError change.
 */
export function nextProbeState(inputs: HostProbeInputs, previous: HostProbeState | undefined, result: ProbeResult, now: string): HostProbeState {
    const base: HostProbeInputs = {} as HostProbeInputs;
    for (const k of INPUT_KEYS) (base as any)[k] = inputs[k];
    if (result.ok) {
        const reimaged = !!previous && previous.machineId !== "" && previous.machineId !== result.facts.machineId;
        return {
            ...base,
            ...result.facts,
            status: "ok",
            statusSince: previous && previous.status === "ok" ? previous.statusSince : now,
            lastError: "",
            previousMachineId: reimaged ? previous!.machineId : previous?.previousMachineId ?? "",
            reimagedAt: reimaged ? now : previous?.reimagedAt ?? "",
        };
    }
    if (!previous) throw new Error(`cannot probe host ${inputs.siteId}/${inputs.hostId} (${inputs.address}:${inputs.port}): ${result.status}: ${result.message}`);
    const kept: HostFacts = {} as HostFacts;
    for (const k of FACT_KEYS) (kept as any)[k] = previous[k];
    return {
        ...base,
        ...kept,
        status: result.status,
        statusSince: previous.status === result.status ? previous.statusSince : now,
        lastError: result.message,
        previousMachineId: previous.previousMachineId ?? "",
        reimagedAt: previous.reimagedAt ?? "",
    };
}

function describeHost(p: HostProbeInputs): string {
    return `${p.siteId}/${p.hostId} (${p.address}:${p.port})`;
}

/** Warnings go to stderr: the dynamic provider process has no engine log connection. */
function warnAboutProbe(before: HostProbeState | undefined, after: HostProbeState): void {
    const who = `edge-estate host probe ${describeHost(after)}`;
    if (after.status !== "ok") {
        console.error(`warning: ${who}: ${after.status}: ${after.lastError}; keeping the last known facts (machine-id ${after.machineId || "none"}), nothing will be re-provisioned`);
        return;
    }
    if (before && after.previousMachineId && after.reimagedAt && before.machineId !== after.machineId) {
        console.error(`warning: ${who}: re-imaged (machine-id ${before.machineId} -> ${after.machineId}); the next pulumi up re-provisions this host`);
    }
    if (after.k3sVersion && after.expectedK3sVersion && after.k3sVersion !== after.expectedK3sVersion) {
        console.error(`warning: ${who}: runs K3s ${after.k3sVersion}, config says ${after.expectedK3sVersion}`);
    }
}

function asInputs(props: Record<string, any>): HostProbeInputs {
    return {
        siteId: String(props.siteId),
        hostId: String(props.hostId),
        address: String(props.address),
        port: Number(props.port),
        user: String(props.user),
        hostKey: props.hostKey ? String(props.hostKey) : "",
        privateKey: String(props.privateKey ?? ""),
        expectedK3sVersion: props.expectedK3sVersion ? String(props.expectedK3sVersion) : "",
        connectTimeoutSeconds: Number(props.connectTimeoutSeconds ?? 10),
        createAttempts: Number(props.createAttempts ?? 5),
    };
}

async function probeWithRetries(inputs: HostProbeInputs, attempts: number): Promise<ProbeResult> {
    let result: ProbeResult = { ok: false, status: "unreachable", message: "not tried" };
    for (let i = 1; i <= Math.max(1, attempts); i++) {
        result = await probeHostOnce(inputs, HOST_FACTS_SCRIPT);
        // Only a host that may still be booting is worth another try; a wrong key stays wrong.
        if (result.ok || result.status !== "unreachable" || i === attempts) break;
        await new Promise((r) => setTimeout(r, Math.min(2000 * i, 10000)));
    }
    return result;
}

/**
 * The config grammar's host-key rule (components/config/grammar.ts), bound to a local at load time: the provider
 * is serialized into the state, and a plain function captured here serializes as that function and the constants
 * it uses, whatever module wrapper the compiler put around the import (tsx's export getters would pull in the
 * whole grammar module).
 */
const hostKeyGrammar = parseHostKey;

/** The dynamic provider. Everything it references is serialized with it; keep it free of secrets and big objects. */
export const hostProbeProvider: pulumi.dynamic.ResourceProvider = {
    async check(_olds: any, news: any) {
        const failures: pulumi.dynamic.CheckFailure[] = [];
        const inputs = asInputs(news);
        if (!inputs.address) failures.push({ property: "address", reason: "is required" });
        if (!Number.isInteger(inputs.port) || inputs.port < 1 || inputs.port > 65535) failures.push({ property: "port", reason: `${news.port} is not a TCP port` });
        if (!inputs.user) failures.push({ property: "user", reason: "is required" });
        const hostKey = inputs.hostKey ? hostKeyGrammar(inputs.hostKey) : undefined;
        if (hostKey && !hostKey.ok) failures.push({ property: "hostKey", reason: hostKey.reason });
        if (!(inputs.connectTimeoutSeconds >= 1)) failures.push({ property: "connectTimeoutSeconds", reason: "must be at least 1" });
        return { inputs: news, failures };
    },

    async diff(_id: string, olds: any, news: any) {
        const replaces = ["siteId", "hostId"].filter((k) => olds[k] !== news[k]);
        const changed = ["address", "port", "user", "hostKey", "privateKey", "expectedK3sVersion", "connectTimeoutSeconds", "createAttempts"].filter(
            (k) => (olds[k] ?? "") !== (news[k] ?? ""),
        );
        return { changes: replaces.length + changed.length > 0, replaces, deleteBeforeReplace: false };
    },

    async create(props: any) {
        const inputs = asInputs(props);
        const result = await probeWithRetries(inputs, inputs.createAttempts);
        const outs = nextProbeState(inputs, undefined, result, new Date().toISOString());
        warnAboutProbe(undefined, outs);
        return { id: `${inputs.siteId}/${inputs.hostId}`, outs };
    },

    /** `pulumi refresh`: probe once; a host that does not answer keeps its facts. */
    async read(id: string, props: any) {
        const previous = props as HostProbeState;
        const inputs = asInputs(props);
        const result = await probeHostOnce(inputs, HOST_FACTS_SCRIPT);
        const next = nextProbeState(inputs, previous, result, new Date().toISOString());
        warnAboutProbe(previous, next);
        return { id, props: next };
    },

    /** New inputs (address, key, expected version ...): probe again, keeping facts if the host is down. */
    async update(_id: string, olds: any, news: any) {
        const inputs = asInputs(news);
        const result = await probeHostOnce(inputs, HOST_FACTS_SCRIPT);
        const outs = nextProbeState(inputs, olds as HostProbeState, result, new Date().toISOString());
        warnAboutProbe(olds as HostProbeState, outs);
        return { outs };
    },

    // Probing leaves nothing on the host; deleting the probe deletes nothing.
    async delete() {},
};

export interface HostProbeArgs {
    siteId: string;
    hostId: string;
    address: string;
    port: number;
    user: string;
    hostKey?: string;
    privateKey: pulumi.Input<string>;
    expectedK3sVersion: string;
    connectTimeoutSeconds?: number;
    createAttempts?: number;
}

export class HostProbe extends pulumi.dynamic.Resource {
    declare readonly machineId: pulumi.Output<string>;
    declare readonly bootId: pulumi.Output<string>;
    declare readonly hostname: pulumi.Output<string>;
    declare readonly k3sVersion: pulumi.Output<string>;
    declare readonly shimPresent: pulumi.Output<boolean>;
    declare readonly datastore: pulumi.Output<string>;
    declare readonly certEarliestFile: pulumi.Output<string>;
    declare readonly certEarliestNotAfter: pulumi.Output<string>;
    declare readonly lastSnapshotAt: pulumi.Output<string>;
    declare readonly hostKeyFingerprint: pulumi.Output<string>;
    declare readonly status: pulumi.Output<ProbeStatus>;
    declare readonly statusSince: pulumi.Output<string>;
    declare readonly lastError: pulumi.Output<string>;
    declare readonly previousMachineId: pulumi.Output<string>;
    declare readonly reimagedAt: pulumi.Output<string>;

    constructor(name: string, args: HostProbeArgs, opts?: pulumi.CustomResourceOptions) {
        const props: Record<string, unknown> = {
            siteId: args.siteId,
            hostId: args.hostId,
            address: args.address,
            port: args.port,
            user: args.user,
            hostKey: args.hostKey ?? "",
            privateKey: pulumi.secret(args.privateKey),
            expectedK3sVersion: args.expectedK3sVersion,
            connectTimeoutSeconds: args.connectTimeoutSeconds ?? 10,
            createAttempts: args.createAttempts ?? 5,
        };
        for (const k of [...FACT_KEYS, "status", "statusSince", "lastError", "previousMachineId", "reimagedAt"]) props[k] = undefined;
        super(hostProbeProvider, name, props, { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "privateKey"] }, undefined, PROBE_TYPE_NAME);
    }
}
