/**
 * Validation at the door: turns the raw `edge-estate:*` stack config into an `EstateConfig` or throws a
 * `ConfigError` listing every problem, each naming the key and the offending value. Runs before any resource
 * is registered (index.ts and scripts/synth.ts call it first).
 */
import * as fs from "node:fs";
import { isIP } from "node:net";
import * as path from "node:path";
import { DEFAULT_ARTIFACTS, DEFAULT_BACKUPS, DEFAULT_BUDGET, DEFAULT_HEALTH_GATE, DEFAULT_SSH, DEFAULT_TRACKING, DEFAULT_VERSIONS, PROJECT } from "./defaults";
import { ARTIFACT_CHECKSUMS as DEFAULT_CHECKSUMS } from "../pins";
import { laggingVersions } from "../plan";
import { escapeControls, findControlCharacters, isLabelValue, isPemBlock, isQualifiedName, keySegment, parseBaseUrl, parseDirectory, parseHostKey, parseTaint } from "./grammar";
import { nodeLabelKeyProblem } from "./node-labels";
import { siteBudgetProblems, trackingPlacementProblems } from "./site-checks";
import { isQuantity, toBytes, toMilliCpu } from "./quantity";
import { sortById } from "./topology";
import type {
    ArtifactArch,
    ArtifactsConfig,
    BackupsConfig,
    BudgetConfig,
    ContainerResources,
    EstateConfig,
    HealthGateConfig,
    HostConfig,
    HostTaint,
    RegistriesConfig,
    ResourcePair,
    RolloutConfig,
    SiteConfig,
    Versions,
} from "./types";

export class ConfigError extends Error {
    readonly problems: string[];
    constructor(problems: string[]) {
        // No value can start a line of its own: control characters in any problem are shown escaped.
        problems = problems.map(escapeControls);
        super(
            `Invalid ${PROJECT} stack config (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "ConfigError";
        this.problems = problems;
    }
}

/** What the stack file holds, keys without the `edge-estate:` prefix, values already parsed from YAML/JSON. */
export interface RawEstateConfig {
    [key: string]: unknown;
}

export interface ValidateOptions {
    /** True when `sshPrivateKey` is present (plaintext or `secure:`). */
    sshPrivateKeyPresent: boolean;
    /** The plaintext key when known (synth with a plaintext test stack); `undefined` when encrypted. */
    sshPrivateKeyPlaintext?: string;
    /**
     * `pulumi up` passes true: an artifact without a pinned sha256 is then an error, and so is an airgap cache
     * folder that does not exist. Preview and synth pass false and get the missing pins in `artifacts.unpinned`
     * (reported as warnings); hosts still refuse them.
     */
    requirePins: boolean;
}

const TOP_LEVEL_KEYS = [
    "region",
    "sites",
    "sshPrivateKey",
    "versions",
    "artifacts",
    "registries",
    "budget",
    "tracking",
    "monitoring",
    "rollout",
    "healthGate",
    "backups",
    "ssh",
    "devices",
] as const;

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/;
const DNS_NAME = /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
const POSIX_USER = /^[a-z_][a-z0-9_-]{0,31}$/;
const SHA256 = /^[a-f0-9]{64}$/;
const REGISTRY_PREFIX = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d+)?(\/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*$/;

export const VERSION_PATTERNS: Record<keyof Versions, RegExp> = {
    k3s: /^v\d+\.\d+\.\d+\+k3s\d+$/,
    wasmedgeShim: /^v\d+\.\d+\.\d+$/,
    gatekeeper: /^\d+\.\d+\.\d+$/,
    mosquitto: /^\d+\.\d+\.\d+$/,
    prometheus: /^v\d+\.\d+\.\d+$/,
    grafana: /^\d+\.\d+\.\d+$/,
    nodeExporter: /^v\d+\.\d+\.\d+$/,
};
// The pinned defaults double as examples in messages.
const VERSION_EXAMPLES: Versions = DEFAULT_VERSIONS;

const show = (v: unknown): string => {
    if (v === undefined) return "undefined";
    const s = JSON.stringify(v);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

class Collector {
    readonly problems: string[] = [];
    add(key: string, message: string) {
        this.problems.push(escapeControls(`${PROJECT}:${key}: ${message}`));
    }
    unknownKeys(key: string, obj: Record<string, unknown>, allowed: readonly string[]) {
        for (const k of Object.keys(obj)) {
            if (!allowed.includes(k)) {
                const hint = allowed.find((a) => a.toLowerCase().startsWith(k.toLowerCase().slice(0, 3)));
                this.add(`${key}${key ? "." : ""}${k}`, `unknown key${hint ? ` (did you mean "${hint}"?)` : ""}; allowed: ${allowed.join(", ")}`);
            }
        }
    }
    object(key: string, v: unknown): Record<string, unknown> | undefined {
        if (v === undefined || v === null) return {};
        if (!isObject(v)) {
            this.add(key, `must be a mapping, got ${show(v)}`);
            return undefined;
        }
        return v;
    }
    string(key: string, v: unknown, opts: { required?: boolean; pattern?: RegExp; what?: string; default?: string } = {}): string | undefined {
        if (v === undefined || v === null || v === "") {
            if (opts.required) this.add(key, `is required${opts.what ? ` (${opts.what})` : ""}`);
            return opts.default;
        }
        if (typeof v !== "string") {
            this.add(key, `must be a string, got ${show(v)}`);
            return undefined;
        }
        if (opts.pattern && !opts.pattern.test(v)) {
            this.add(key, `${show(v)} is not ${opts.what ?? `of the form ${opts.pattern}`}`);
            return undefined;
        }
        return v;
    }
    integer(key: string, v: unknown, min: number, max: number, def?: number): number | undefined {
        if (v === undefined || v === null) return def;
        const n = typeof v === "string" && /^-?\d+$/.test(v) ? Number(v) : v;
        if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
            this.add(key, `${show(v)} must be an integer from ${min} to ${max}`);
            return undefined;
        }
        return n;
    }
    quantity(key: string, v: unknown, kind: "cpu" | "memory"): string | undefined {
        if (typeof v === "number") v = String(v);
        if (typeof v !== "string" || !isQuantity(v)) {
            this.add(key, `${show(v)} is not a Kubernetes ${kind} quantity (e.g. ${kind === "cpu" ? '"500m" or "1"' : '"256Mi" or "4Gi"'})`);
            return undefined;
        }
        if ((kind === "cpu" ? toMilliCpu(v) : toBytes(v)) <= 0) {
            this.add(key, `${show(v)} must be greater than zero`);
            return undefined;
        }
        return v;
    }
}

/** One spelling per address, for duplicate checks: IPv6 compressed and lower-case ("FD00:0:0::11" = "fd00::11"), names lower-case. */
export function canonicalAddress(a: string): string {
    if (isIP(a) === 6) return new URL(`http://[${a}]/`).hostname.slice(1, -1);
    return a.toLowerCase();
}

export function isValidAddress(a: string): boolean {
    if (isIP(a)) return true;
    // All-numeric dotted names ("10.0.0.300") are malformed IPv4, not host names.
    if (/^[\d.]+$/.test(a)) return false;
    return DNS_NAME.test(a);
}

function validateHost(c: Collector, key: string, raw: unknown): HostConfig | undefined {
    const h = c.object(key, raw);
    if (!h) return undefined;
    c.unknownKeys(key, h, ["id", "address", "role", "port", "user", "hostKey", "labels", "taints"]);
    const id = c.string(`${key}.id`, h.id, { required: true, pattern: DNS_LABEL, what: "a DNS label (lowercase letters, digits, '-', at most 40 characters)" });
    const address = c.string(`${key}.address`, h.address, { required: true });
    if (address !== undefined && !isValidAddress(address)) {
        c.add(`${key}.address`, `${show(address)} is not an IPv4/IPv6 address or DNS name`);
    }
    let role: HostConfig["role"] | undefined;
    if (h.role === undefined) c.add(`${key}.role`, `is required ("server" or "agent")`);
    else if (h.role !== "server" && h.role !== "agent") c.add(`${key}.role`, `${show(h.role)} is not a role; use "server" or "agent"`);
    else role = h.role;
    const port = c.integer(`${key}.port`, h.port, 1, 65535, 22);
    const user = c.string(`${key}.user`, h.user, { pattern: POSIX_USER, what: "a POSIX user name", default: "root" });
    const hostKey = validateHostKey(c, `${key}.hostKey`, h.hostKey);
    const labels: Record<string, string> = {};
    const rawLabels = c.object(`${key}.labels`, h.labels);
    for (const [k, v] of Object.entries(rawLabels ?? {})) {
        const reserved = isQualifiedName(k) ? nodeLabelKeyProblem(k) : undefined;
        if (!isQualifiedName(k)) c.add(`${key}.labels`, `${show(k)} is not a valid Kubernetes label key ([prefix/]name, name at most 63 of [A-Za-z0-9-_.])`);
        else if (reserved) c.add(`${key}.labels.${keySegment(k)}`, `${show(k)} ${reserved}`);
        else if (typeof v !== "string" || !isLabelValue(v)) c.add(`${key}.labels.${keySegment(k)}`, `${show(v)} is not a valid Kubernetes label value (at most 63 of [A-Za-z0-9-_.], alphanumeric at both ends)`);
        else labels[k] = v;
    }
    const taints: HostTaint[] = [];
    if (h.taints !== undefined) {
        if (!Array.isArray(h.taints)) c.add(`${key}.taints`, `must be a list like ["dedicated=edge:NoSchedule"], got ${show(h.taints)}`);
        else
            h.taints.forEach((t, i) => {
                const parsed = typeof t === "string" ? parseTaint(t) : ({ ok: false, reason: "is not a taint of the form key[=value]:NoSchedule|PreferNoSchedule|NoExecute" } as const);
                if (!parsed.ok) c.add(`${key}.taints[${i}]`, `${show(t)} ${parsed.reason}`);
                else taints.push(parsed.value);
            });
    }
    if (id === undefined || address === undefined || role === undefined || port === undefined || user === undefined) return undefined;
    return { id, address, role, port, user, ...(hostKey ? { hostKey } : {}), labels, taints };
}

function validateSites(c: Collector, raw: unknown): SiteConfig[] {
    if (raw === undefined || raw === null) {
        c.add("sites", "is required: a list of sites, each with id, city, wave and hosts");
        return [];
    }
    if (!Array.isArray(raw)) {
        c.add("sites", `must be a list of sites, got ${show(raw)}`);
        return [];
    }
    if (raw.length === 0) c.add("sites", "must list at least one site");
    const sites: SiteConfig[] = [];
    const siteIds = new Map<string, number>();
    const addresses = new Map<string, string>();
    raw.forEach((rs, i) => {
        const ref = isObject(rs) && typeof rs.id === "string" && DNS_LABEL.test(rs.id) ? `sites[id=${rs.id}]` : `sites[${i}]`;
        const s = c.object(ref, rs);
        if (!s) return;
        c.unknownKeys(ref, s, ["id", "city", "wave", "hosts", "trackingReplicas", "bootstrapServer"]);
        const id = c.string(`${ref}.id`, s.id, { required: true, pattern: DNS_LABEL, what: "a DNS label (lowercase letters, digits, '-', at most 40 characters)" });
        if (id !== undefined) {
            if (siteIds.has(id)) c.add(`${ref}.id`, `duplicate site id ${show(id)} (also sites[${siteIds.get(id)}]); site ids must be unique in a region`);
            else siteIds.set(id, i);
        }
        const city = c.string(`${ref}.city`, s.city, { required: true, what: "the city the site serves" });
        const wave = c.integer(`${ref}.wave`, s.wave, 0, 99);
        if (s.wave === undefined) c.add(`${ref}.wave`, "is required (an integer upgrade wave, 0 = canary)");
        const trackingReplicas = c.integer(`${ref}.trackingReplicas`, s.trackingReplicas, 0, 10);
        const hosts: HostConfig[] = [];
        if (!Array.isArray(s.hosts) || s.hosts.length === 0) {
            c.add(`${ref}.hosts`, `must list at least one host, got ${show(s.hosts)}`);
        } else {
            const hostIds = new Set<string>();
            s.hosts.forEach((rh, j) => {
                const href = `${ref}.hosts${isObject(rh) && typeof rh.id === "string" && DNS_LABEL.test(rh.id) ? `[id=${rh.id}]` : `[${j}]`}`;
                const h = validateHost(c, href, rh);
                if (!h) return;
                if (hostIds.has(h.id)) c.add(`${href}.id`, `duplicate host id ${show(h.id)} in site ${show(id)}`);
                hostIds.add(h.id);
                const addrKey = `${canonicalAddress(h.address)}:${h.port}`;
                const other = addresses.get(addrKey);
                if (other) c.add(`${href}.address`, `${show(h.address)} port ${h.port} is already used by ${other}`);
                else addresses.set(addrKey, href);
                hosts.push(h);
            });
            const servers = hosts.filter((h) => h.role === "server").length;
            if (hosts.length === s.hosts.length) {
                if (servers === 0) c.add(`${ref}.hosts`, `site ${show(id)} has no host with role "server"; every site needs 1 or an odd number of servers`);
                else if (servers > 1 && servers % 2 === 0)
                    c.add(`${ref}.hosts`, `site ${show(id)} has ${servers} servers; embedded etcd needs an odd number (1, 3, 5) to keep quorum`);
            }
        }
        const bootstrap = validateBootstrapServer(c, ref, s.bootstrapServer, hosts, Array.isArray(s.hosts) && hosts.length === s.hosts.length);
        if (id !== undefined && city !== undefined && wave !== undefined) {
            sites.push({ id, city, wave, hosts: sortById(hosts), ...(trackingReplicas !== undefined ? { trackingReplicas } : {}), ...(bootstrap !== undefined ? { bootstrapServer: bootstrap } : {}) });
        }
    });
    // Canonical order: everything derived from the list (registration order, hub scrape/alert lists, dashboards)
    // is the same however the stack file orders its sites and hosts.
    return sortById(sites);
}

/** `bootstrapServer`: an explicit choice must name a server of the same site (components/config/topology.ts). */
function validateBootstrapServer(c: Collector, ref: string, raw: unknown, hosts: HostConfig[], allHostsValid: boolean): string | undefined {
    if (raw === undefined || raw === null) return undefined;
    const id = c.string(`${ref}.bootstrapServer`, raw, { pattern: DNS_LABEL, what: "the id of one of this site's servers" });
    if (id === undefined || !allHostsValid) return undefined;
    const host = hosts.find((h) => h.id === id);
    if (!host) c.add(`${ref}.bootstrapServer`, `${show(id)} is not a host of this site; servers: ${hosts.filter((h) => h.role === "server").map((h) => h.id).join(", ") || "none"}`);
    else if (host.role !== "server") c.add(`${ref}.bootstrapServer`, `${show(id)} is an agent; the bootstrap server must have role "server"`);
    return id;
}

function validateVersions(c: Collector, raw: unknown, key = "versions", partial = false): Partial<Versions> {
    const v = c.object(key, raw);
    if (!v) return {};
    c.unknownKeys(key, v, Object.keys(VERSION_PATTERNS));
    const out: Partial<Versions> = {};
    for (const name of Object.keys(VERSION_PATTERNS) as (keyof Versions)[]) {
        if (v[name] === undefined) continue;
        const s = c.string(`${key}.${name}`, v[name], { pattern: VERSION_PATTERNS[name], what: `a ${name} version like ${show(VERSION_EXAMPLES[name])}` });
        if (s) out[name] = s;
    }
    if (!partial) return { ...DEFAULT_VERSIONS, ...out };
    return out;
}

function validatePair(c: Collector, key: string, raw: unknown, def?: ResourcePair): ResourcePair | undefined {
    const o = c.object(key, raw);
    if (!o) return undefined;
    c.unknownKeys(key, o, ["cpu", "memory"]);
    const cpu = o.cpu === undefined && def ? def.cpu : c.quantity(`${key}.cpu`, o.cpu, "cpu");
    const memory = o.memory === undefined && def ? def.memory : c.quantity(`${key}.memory`, o.memory, "memory");
    return cpu && memory ? { cpu, memory } : undefined;
}

function validateBudget(c: Collector, raw: unknown): BudgetConfig {
    const b = c.object("budget", raw) ?? {};
    c.unknownKeys("budget", b, ["host", "k3sReserve", "classes", "components"]);
    const host = validatePair(c, "budget.host", b.host, DEFAULT_BUDGET.host) ?? DEFAULT_BUDGET.host;
    const reserveRaw = c.object("budget.k3sReserve", b.k3sReserve) ?? {};
    c.unknownKeys("budget.k3sReserve", reserveRaw, ["server", "agent"]);
    const k3sReserve = {
        server: validatePair(c, "budget.k3sReserve.server", reserveRaw.server, DEFAULT_BUDGET.k3sReserve.server) ?? DEFAULT_BUDGET.k3sReserve.server,
        agent: validatePair(c, "budget.k3sReserve.agent", reserveRaw.agent, DEFAULT_BUDGET.k3sReserve.agent) ?? DEFAULT_BUDGET.k3sReserve.agent,
    };
    for (const role of ["server", "agent"] as const) {
        const r = k3sReserve[role];
        if (toMilliCpu(r.cpu) >= toMilliCpu(host.cpu) || toBytes(r.memory) >= toBytes(host.memory))
            c.add(`budget.k3sReserve.${role}`, `${show(r)} leaves nothing of the host capacity ${show(host)}`);
    }
    const classesRaw = c.object("budget.classes", b.classes) ?? {};
    c.unknownKeys("budget.classes", classesRaw, ["wasm", "default"]);
    const classes = {
        wasm: validatePair(c, "budget.classes.wasm", classesRaw.wasm, DEFAULT_BUDGET.classes.wasm) ?? DEFAULT_BUDGET.classes.wasm,
        default: validatePair(c, "budget.classes.default", classesRaw.default, DEFAULT_BUDGET.classes.default) ?? DEFAULT_BUDGET.classes.default,
    };
    const components: Record<string, ContainerResources> = { ...DEFAULT_BUDGET.components };
    const compRaw = c.object("budget.components", b.components) ?? {};
    // A typo'd component would be silently ignored (the add-on keeps its default): name the known ones.
    c.unknownKeys("budget.components", compRaw, Object.keys(DEFAULT_BUDGET.components));
    for (const [name, value] of Object.entries(compRaw)) {
        const key = `budget.components.${name}`;
        const o = c.object(key, value);
        if (!o) continue;
        c.unknownKeys(key, o, ["requests", "limits"]);
        const base = DEFAULT_BUDGET.components[name];
        const requests = validatePair(c, `${key}.requests`, o.requests ?? base?.requests, base?.requests);
        const limits = validatePair(c, `${key}.limits`, o.limits ?? base?.limits, base?.limits);
        if (requests && limits) components[name] = { requests, limits };
    }
    for (const [name, r] of Object.entries(components)) {
        const key = `budget.components.${name}`;
        if (toMilliCpu(r.requests.cpu) > toMilliCpu(r.limits.cpu)) c.add(`${key}.requests.cpu`, `${show(r.requests.cpu)} exceeds its limit ${show(r.limits.cpu)}`);
        if (toBytes(r.requests.memory) > toBytes(r.limits.memory)) c.add(`${key}.requests.memory`, `${show(r.requests.memory)} exceeds its limit ${show(r.limits.memory)}`);
        const ceiling = name === "tracking" ? classes.wasm : classes.default;
        if (toMilliCpu(r.limits.cpu) > toMilliCpu(ceiling.cpu)) c.add(`${key}.limits.cpu`, `${show(r.limits.cpu)} is above the class ceiling ${show(ceiling.cpu)}`);
        if (toBytes(r.limits.memory) > toBytes(ceiling.memory)) c.add(`${key}.limits.memory`, `${show(r.limits.memory)} is above the class ceiling ${show(ceiling.memory)}`);
    }
    return { host, k3sReserve, classes, components };
}

/** A base URL, returned re-serialised from its parsed form (grammar.ts parseBaseUrl). */
function validateUrl(c: Collector, key: string, v: unknown, def: string): string {
    const given = c.string(key, v, { default: def });
    if (given === undefined) return def;
    // A pasted mirror URL often ends in "/": the same base, normalised away (the grammar refuses "//" paths).
    const s = /^https?:\/\/[^/]+\/.*[^/]\/$|^https?:\/\/[^/]+\/$/.test(given) ? given.slice(0, -1) : given;
    const parsed = parseBaseUrl(s);
    if (!parsed.ok) {
        c.add(key, `${show(s)} is not an http(s) URL without a trailing slash: it ${parsed.reason}`);
        return s;
    }
    return parsed.value;
}

/** hostKey: a pasted OpenSSH public key line (`.pub` or ssh-keyscan, comment allowed), kept as `<type> <base64>`. */
function validateHostKey(c: Collector, key: string, v: unknown): string | undefined {
    const s = c.string(key, v);
    if (s === undefined) return undefined;
    const parsed = parseHostKey(s);
    if (!parsed.ok) {
        c.add(key, `${show(s)} ${parsed.reason}`);
        return undefined;
    }
    return parsed.value;
}

/** A local directory (grammar.ts parseDirectory): never '/', never outside what it names. */
function validateDirectory(c: Collector, key: string, v: unknown, def: string): string {
    const s = c.string(key, v, { default: def });
    if (s === undefined) return def;
    const parsed = parseDirectory(s);
    if (!parsed.ok) c.add(key, `${show(s)} is not a usable directory: it ${parsed.reason}`);
    return s;
}

/** Every string in the stack, wherever it sits: control characters (newline, NUL, ESC...) are refused outright. */
function refuseControlCharacters(c: Collector, raw: RawEstateConfig) {
    // The PEM values under devices are held to their own grammar (newlines between base64 lines only).
    const pem: Record<string, "CERTIFICATE" | "X509 CRL"> = { "devices.caCert": "CERTIFICATE", "devices.crl": "X509 CRL" };
    for (const f of findControlCharacters(raw)) if (!(pem[f.key] && isPemBlock(f.value, pem[f.key]))) c.add(f.key, `${show(f.value)} contains a control character (newline, NUL, ...); no config value may`);
}

/**
 * Pinned host keys: every host needs `hostKey` unless the stack opts out with ssh.acceptUnknownHostKeys: true
 * (then every run warns about each unpinned host; see unpinnedHostKeyWarnings).
 */
function requireHostKeys(c: Collector, sites: SiteConfig[], acceptUnknown: boolean) {
    if (acceptUnknown) return;
    for (const s of sites)
        for (const h of s.hosts)
            if (!h.hostKey)
                c.add(
                    `sites[id=${s.id}].hosts[id=${h.id}].hostKey`,
                    `is required: without it the SSH connection accepts any host key and a machine in the path gets the K3s token; collect keys with \`npm run host-keys -- --stack <name>\` (or set ssh.acceptUnknownHostKeys: true, loudly reported on every run)`,
                );
}

/** devices: the device CA certificate (PEM) and its optional CRL (PEM), nothing else. */
function validateDevices(c: Collector, raw: unknown): EstateConfig["devices"] {
    if (raw === undefined || raw === null) return undefined;
    const d = c.object("devices", raw);
    if (!d) return undefined;
    c.unknownKeys("devices", d, ["caCert", "crl"]);
    const caCert = c.string("devices.caCert", d.caCert, { required: true, what: "the PEM certificate of the region device CA (npm run devices -- init prints it)" });
    if (caCert !== undefined && !isPemBlock(caCert, "CERTIFICATE")) c.add("devices.caCert", `${show(caCert)} is not one PEM CERTIFICATE block`);
    const crl = c.string("devices.crl", d.crl);
    if (crl !== undefined && !isPemBlock(crl, "X509 CRL")) c.add("devices.crl", `${show(crl)} is not one PEM X509 CRL block`);
    if (caCert === undefined) return undefined;
    return { caCert, ...(crl !== undefined ? { crl } : {}) };
}

/** One warning per host that connects without a pinned key (only when ssh.acceptUnknownHostKeys is true). */
export function unpinnedHostKeyWarnings(config: EstateConfig): string[] {
    if (!config.ssh.acceptUnknownHostKeys) return [];
    const out: string[] = [];
    for (const s of config.sites)
        for (const h of s.hosts)
            if (!h.hostKey)
                out.push(`INSECURE: ${s.id}/${h.id} (${h.address}:${h.port}) has no hostKey and ssh.acceptUnknownHostKeys is true: any machine answering there gets the site's K3s token`);
    return out;
}

/** sha256sum prints lower case, some tools upper case: the same digest either way, kept lower-case. */
const lowerHex = (v: unknown): unknown => (typeof v === "string" && /^[0-9A-Fa-f]{64}$/.test(v) ? v.toLowerCase() : v);

function validateChecksumMap(c: Collector, key: string, raw: unknown): Record<string, Partial<Record<ArtifactArch, string>>> {
    const out: Record<string, Partial<Record<ArtifactArch, string>>> = {};
    const o = c.object(key, raw) ?? {};
    for (const [version, perArch] of Object.entries(o)) {
        const pa = c.object(`${key}["${version}"]`, perArch) ?? {};
        c.unknownKeys(`${key}["${version}"]`, pa, ["amd64", "arm64"]);
        out[version] = {};
        for (const [arch, sum] of Object.entries(pa)) {
            const s = c.string(`${key}["${version}"].${arch}`, lowerHex(sum), { pattern: SHA256, what: "a sha256 in hex (64 characters)" });
            if (s) out[version][arch as ArtifactArch] = s;
        }
    }
    return out;
}

function validateArtifacts(c: Collector, raw: unknown, versions: Versions[], requirePins: boolean): ArtifactsConfig {
    const a = c.object("artifacts", raw) ?? {};
    c.unknownKeys("artifacts", a, ["mode", "k3sBaseUrl", "k3sInstallScriptBaseUrl", "shimBaseUrl", "cacheDir", "arch", "checksums"]);
    let mode = DEFAULT_ARTIFACTS.mode;
    if (a.mode !== undefined) {
        if (a.mode === "download" || a.mode === "airgap") mode = a.mode;
        else c.add("artifacts.mode", `${show(a.mode)} is not a mode; use "download" or "airgap"`);
    }
    let arch = DEFAULT_ARTIFACTS.arch;
    if (a.arch !== undefined) {
        if (a.arch === "amd64" || a.arch === "arm64") arch = a.arch;
        else c.add("artifacts.arch", `${show(a.arch)} is not supported; use "amd64" or "arm64"`);
    }
    const cs = c.object("artifacts.checksums", a.checksums) ?? {};
    c.unknownKeys("artifacts.checksums", cs, ["k3s", "k3sAirgapImages", "k3sInstallScript", "wasmedgeShim"]);
    const installScript: Record<string, string> = { ...DEFAULT_CHECKSUMS.k3sInstallScript };
    for (const [v, s] of Object.entries(c.object("artifacts.checksums.k3sInstallScript", cs.k3sInstallScript) ?? {})) {
        const ok = c.string(`artifacts.checksums.k3sInstallScript["${v}"]`, lowerHex(s), { pattern: SHA256, what: "a sha256 in hex (64 characters)" });
        if (ok) installScript[v] = ok;
    }
    const merge = (def: Record<string, Partial<Record<ArtifactArch, string>>>, over: Record<string, Partial<Record<ArtifactArch, string>>>) => {
        const out: Record<string, Partial<Record<ArtifactArch, string>>> = {};
        for (const v of new Set([...Object.keys(def), ...Object.keys(over)])) out[v] = { ...def[v], ...over[v] };
        return out;
    };
    const checksums = {
        k3s: merge(DEFAULT_CHECKSUMS.k3s, validateChecksumMap(c, "artifacts.checksums.k3s", cs.k3s)),
        k3sAirgapImages: merge(DEFAULT_CHECKSUMS.k3sAirgapImages, validateChecksumMap(c, "artifacts.checksums.k3sAirgapImages", cs.k3sAirgapImages)),
        k3sInstallScript: installScript,
        wasmedgeShim: merge(DEFAULT_CHECKSUMS.wasmedgeShim, validateChecksumMap(c, "artifacts.checksums.wasmedgeShim", cs.wasmedgeShim)),
    };
    // Every version any site will install needs a pinned digest: hosts refuse unverified artifacts.
    const unpinned: string[] = [];
    const need = (present: boolean, key: string, why: string) => {
        if (present) return;
        const message = `is required to install ${why}; run scripts/fetch-artifacts.sh on a connected machine, it prints the pins`;
        if (requirePins) c.add(key, message);
        if (!unpinned.includes(`${PROJECT}:${key} ${message}`)) unpinned.push(`${PROJECT}:${key} ${message}`);
    };
    for (const v of versions) {
        need(!!checksums.k3s[v.k3s]?.[arch], `artifacts.checksums.k3s["${v.k3s}"].${arch}`, `K3s ${v.k3s} on ${arch} hosts (from the release's sha256sum-${arch}.txt)`);
        if (mode === "airgap")
            need(!!checksums.k3sAirgapImages[v.k3s]?.[arch], `artifacts.checksums.k3sAirgapImages["${v.k3s}"].${arch}`, `the K3s ${v.k3s} airgap images (from sha256sum-${arch}.txt)`);
        need(!!checksums.wasmedgeShim[v.wasmedgeShim]?.[arch], `artifacts.checksums.wasmedgeShim["${v.wasmedgeShim}"].${arch}`, `containerd-shim-wasmedge ${v.wasmedgeShim} on ${arch} hosts`);
        need(!!checksums.k3sInstallScript[v.k3s], `artifacts.checksums.k3sInstallScript["${v.k3s}"]`, `install.sh of K3s ${v.k3s}`);
    }
    const cacheDir = validateDirectory(c, "artifacts.cacheDir", a.cacheDir, DEFAULT_ARTIFACTS.cacheDir);
    // `pulumi up` in airgap mode pushes every artifact from this folder: a folder that is not there is refused
    // here with the other problems (preview and synth only warn, so a PR check renders without the cache; the
    // artifacts missing from an existing folder are listed by the program before anything is registered).
    if (requirePins && mode === "airgap" && !isDirectory(cacheDir))
        c.add("artifacts.cacheDir", `${show(cacheDir)} does not exist or is not a directory (relative paths are from the project folder); airgap mode pushes every artifact from it: run scripts/fetch-artifacts.sh on a connected machine first`);
    return {
        mode,
        arch,
        k3sBaseUrl: validateUrl(c, "artifacts.k3sBaseUrl", a.k3sBaseUrl, DEFAULT_ARTIFACTS.k3sBaseUrl),
        k3sInstallScriptBaseUrl: validateUrl(c, "artifacts.k3sInstallScriptBaseUrl", a.k3sInstallScriptBaseUrl, DEFAULT_ARTIFACTS.k3sInstallScriptBaseUrl),
        shimBaseUrl: validateUrl(c, "artifacts.shimBaseUrl", a.shimBaseUrl, DEFAULT_ARTIFACTS.shimBaseUrl),
        cacheDir,
        checksums,
        unpinned,
    };
}

function isDirectory(dir: string): boolean {
    try {
        return fs.statSync(path.resolve(dir)).isDirectory();
    } catch {
        return false;
    }
}

function validateRegistries(c: Collector, raw: unknown): RegistriesConfig | undefined {
    if (raw === undefined || raw === null) return undefined;
    const r = c.object("registries", raw);
    if (!r) return undefined;
    c.unknownKeys("registries", r, ["mirrors", "allowed"]);
    const mirrors: RegistriesConfig["mirrors"] = {};
    for (const [registry, m] of Object.entries(c.object("registries.mirrors", r.mirrors) ?? {})) {
        const key = `registries.mirrors["${registry}"]`;
        if (registry !== "*" && !DNS_NAME.test(registry.replace(/:\d+$/, ""))) c.add(key, `${show(registry)} is not a registry host name or "*"`);
        const o = c.object(key, m);
        if (!o) continue;
        c.unknownKeys(key, o, ["endpoints"]);
        if (!Array.isArray(o.endpoints) || o.endpoints.length === 0) {
            c.add(`${key}.endpoints`, `must list at least one mirror URL, got ${show(o.endpoints)}`);
            continue;
        }
        mirrors[registry] = { endpoints: o.endpoints.map((e, i) => validateUrl(c, `${key}.endpoints[${i}]`, e, "")) };
    }
    let allowed: string[] | undefined;
    if (r.allowed !== undefined && r.allowed !== null) {
        if (!Array.isArray(r.allowed) || r.allowed.length === 0) c.add("registries.allowed", `must be a non-empty list of registries or repository prefixes, got ${show(r.allowed)}`);
        else
            allowed = r.allowed.filter((e, i) => {
                const ok = typeof e === "string" && REGISTRY_PREFIX.test(e);
                if (!ok) c.add(`registries.allowed[${i}]`, `${show(e)} is not a registry or repository prefix like "registry.example.com" or "docker.io/prom"`);
                return ok;
            }) as string[];
    }
    return { mirrors, ...(allowed ? { allowed } : {}) };
}

const HTTP_URL = /^https?:\/\/(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?(\/[A-Za-z0-9._~\/-]*)?$/;
/** Five cron fields (minute hour day month weekday), each digits, `*`, `/`, `,`, `-`: what K3s' cron parser takes. */
const CRON = /^([0-9*\/,-]+)( [0-9*\/,-]+){4}$/;
/** A systemd OnCalendar expression: written into a unit file, so no quotes, `%`, `;` or newlines. */
const ON_CALENDAR = /^[A-Za-z0-9*:\/,.~ -]{1,64}$/;

function validateHealthGate(c: Collector, raw: unknown): HealthGateConfig {
    const g = c.object("healthGate", raw) ?? {};
    c.unknownKeys("healthGate", g, ["prometheusUrl", "soakSeconds", "trackingP99Ms", "queryTimeoutSeconds"]);
    const d = DEFAULT_HEALTH_GATE;
    const prometheusUrl = c.string("healthGate.prometheusUrl", g.prometheusUrl, {
        pattern: HTTP_URL,
        what: "an http(s) URL of the hub's Prometheus without credentials (e.g. https://10.20.1.11:30990); the password comes from the environment",
    });
    return {
        ...(prometheusUrl ? { prometheusUrl: prometheusUrl.replace(/\/+$/, "") } : {}),
        soakSeconds: c.integer("healthGate.soakSeconds", g.soakSeconds, 1, 86400, d.soakSeconds) ?? d.soakSeconds,
        trackingP99Ms: c.integer("healthGate.trackingP99Ms", g.trackingP99Ms, 1, 60000, d.trackingP99Ms) ?? d.trackingP99Ms,
        queryTimeoutSeconds: c.integer("healthGate.queryTimeoutSeconds", g.queryTimeoutSeconds, 1, 600, d.queryTimeoutSeconds) ?? d.queryTimeoutSeconds,
    };
}

function validateBackups(c: Collector, raw: unknown): BackupsConfig {
    const b = c.object("backups", raw) ?? {};
    c.unknownKeys("backups", b, ["etcdSnapshotCron", "sqliteBackupCalendar", "maxDiskPercent", "minRetention", "maxRetention"]);
    const d = DEFAULT_BACKUPS;
    const out: BackupsConfig = {
        etcdSnapshotCron: c.string("backups.etcdSnapshotCron", b.etcdSnapshotCron, { pattern: CRON, what: 'a five-field cron schedule (e.g. "0 */6 * * *")', default: d.etcdSnapshotCron }) ?? d.etcdSnapshotCron,
        sqliteBackupCalendar:
            c.string("backups.sqliteBackupCalendar", b.sqliteBackupCalendar, { pattern: ON_CALENDAR, what: 'a systemd OnCalendar expression (e.g. "*-*-* 00/6:15:00")', default: d.sqliteBackupCalendar }) ??
            d.sqliteBackupCalendar,
        maxDiskPercent: c.integer("backups.maxDiskPercent", b.maxDiskPercent, 1, 50, d.maxDiskPercent) ?? d.maxDiskPercent,
        minRetention: c.integer("backups.minRetention", b.minRetention, 1, 1000, d.minRetention) ?? d.minRetention,
        maxRetention: c.integer("backups.maxRetention", b.maxRetention, 1, 1000, d.maxRetention) ?? d.maxRetention,
    };
    if (out.minRetention > out.maxRetention) c.add("backups.minRetention", `${out.minRetention} is more than backups.maxRetention (${out.maxRetention})`);
    return out;
}

/** Validates the whole stack config; throws ConfigError naming every problem. */
export function validateEstateConfig(raw: RawEstateConfig, opts: ValidateOptions): EstateConfig {
    const c = new Collector();
    refuseControlCharacters(c, raw);
    c.unknownKeys("", raw, TOP_LEVEL_KEYS);
    const region = c.string("region", raw.region, { required: true, pattern: DNS_LABEL, what: "a region name (DNS label, e.g. cn-east)" });
    const sites = validateSites(c, raw.sites);
    if (!opts.sshPrivateKeyPresent) {
        c.add("sshPrivateKey", "is required: set it with `pulumi config set --secret sshPrivateKey < key`");
    } else if (opts.sshPrivateKeyPlaintext !== undefined && !/^-----BEGIN (OPENSSH |RSA |EC )?PRIVATE KEY-----/.test(opts.sshPrivateKeyPlaintext.trim())) {
        c.add("sshPrivateKey", "is not a PEM/OpenSSH private key (expected a line -----BEGIN OPENSSH PRIVATE KEY-----); value not shown because it is secret");
    }
    const versions = validateVersions(c, raw.versions) as Versions;

    const rolloutRaw = c.object("rollout", raw.rollout) ?? {};
    c.unknownKeys("rollout", rolloutRaw, ["throughWave", "previousVersions"]);
    const rollout: RolloutConfig = {};
    const throughWave = c.integer("rollout.throughWave", rolloutRaw.throughWave, 0, 99);
    if (throughWave !== undefined) rollout.throughWave = throughWave;
    if (rolloutRaw.previousVersions !== undefined) rollout.previousVersions = validateVersions(c, rolloutRaw.previousVersions, "rollout.previousVersions", true);
    if (rollout.throughWave !== undefined && !rollout.previousVersions)
        c.add("rollout.previousVersions", "is required with rollout.throughWave: the versions the sites after that wave keep");
    const previous: Versions = laggingVersions(versions, rollout);

    const artifacts = validateArtifacts(c, raw.artifacts, rollout.throughWave !== undefined ? [versions, previous] : [versions], opts.requirePins);
    const registries = validateRegistries(c, raw.registries);
    const budget = validateBudget(c, raw.budget);

    const t = c.object("tracking", raw.tracking) ?? {};
    c.unknownKeys("tracking", t, ["replicas", "httpPort", "registryImage"]);
    const tracking = {
        replicas: c.integer("tracking.replicas", t.replicas, 0, 10, DEFAULT_TRACKING.replicas) ?? DEFAULT_TRACKING.replicas,
        httpPort: c.integer("tracking.httpPort", t.httpPort, 1024, 65535, DEFAULT_TRACKING.httpPort) ?? DEFAULT_TRACKING.httpPort,
        ...(t.registryImage !== undefined
            ? { registryImage: c.string("tracking.registryImage", t.registryImage, { pattern: /^(?!.*\.\.)(?!.*\/\/)[a-z0-9.-]+(:\d+)?\/[a-z0-9._/-]+@sha256:[a-f0-9]{64}$/, what: "an image reference pinned by digest (host/name@sha256:...)" }) }
            : {}),
    };

    const m = c.object("monitoring", raw.monitoring) ?? {};
    c.unknownKeys("monitoring", m, ["hubSite"]);
    const hubSite = c.string("monitoring.hubSite", m.hubSite, { required: true, what: "the id of the site that runs the regional Prometheus + Grafana hub" });
    if (hubSite !== undefined && sites.length > 0 && !sites.some((s) => s.id === hubSite))
        c.add("monitoring.hubSite", `${show(hubSite)} is not one of this region's site ids`);

    const healthGate = validateHealthGate(c, raw.healthGate);
    const backups = validateBackups(c, raw.backups);

    const sshRaw = c.object("ssh", raw.ssh) ?? {};
    c.unknownKeys("ssh", sshRaw, ["dialErrorLimit", "perDialTimeout", "acceptUnknownHostKeys"]);
    let acceptUnknownHostKeys = false;
    if (sshRaw.acceptUnknownHostKeys !== undefined) {
        if (typeof sshRaw.acceptUnknownHostKeys === "boolean") acceptUnknownHostKeys = sshRaw.acceptUnknownHostKeys;
        else c.add("ssh.acceptUnknownHostKeys", `${show(sshRaw.acceptUnknownHostKeys)} must be true or false`);
    }
    requireHostKeys(c, sites, acceptUnknownHostKeys);
    const devices = validateDevices(c, raw.devices);
    const ssh = {
        acceptUnknownHostKeys,
        dialErrorLimit: c.integer("ssh.dialErrorLimit", sshRaw.dialErrorLimit, -1, 1000, DEFAULT_SSH.dialErrorLimit) ?? DEFAULT_SSH.dialErrorLimit,
        perDialTimeout: c.integer("ssh.perDialTimeout", sshRaw.perDialTimeout, 0, 600, DEFAULT_SSH.perDialTimeout) ?? DEFAULT_SSH.perDialTimeout,
    };

    if (c.problems.length > 0) throw new ConfigError(c.problems);
    const config: EstateConfig = {
        project: PROJECT,
        region: region!,
        sites,
        versions,
        artifacts,
        ...(registries ? { registries } : {}),
        budget,
        tracking: tracking as EstateConfig["tracking"],
        monitoring: { hubSite: hubSite! },
        rollout,
        healthGate,
        backups,
        ssh,
        ...(devices ? { devices } : {}),
    };
    // Whole-config checks (site-checks.ts): placements and budgets, every site at once.
    for (const p of [...trackingPlacementProblems(config, isObject(raw.tracking) && raw.tracking.replicas !== undefined), ...siteBudgetProblems(config)]) c.add(p.key, p.message);
    if (c.problems.length > 0) throw new ConfigError(c.problems);
    return config;
}

