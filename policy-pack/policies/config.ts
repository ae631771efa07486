/**
 * Policy configuration: the JSON schemas the CLI validates `--policy-pack-config` against, their defaults (the
 * stack's DEFAULT_BUDGET, so the pack and Gatekeeper enforce the same numbers), and resolution of whatever
 * arrives from getConfig() into checked values. Defaults are merged here too, field by field, so a config that
 * sets only `classes.wasm.memory` keeps every other default.
 */
import type { PolicyConfigSchema } from "@pulumi/policy";
import { DEFAULT_BUDGET } from "../../components/config/defaults";
import { WASM_POD_LABEL, WASM_RUNTIME_CLASS, wasmRepositories } from "../../components/constants";
import type { BudgetConfig, EstateConfig } from "../../components/config/types";
import { planEstate, type SitePlan } from "../../components/plan";
import { QuantityError, type Quantity } from "../../components/config/quantity";
import { cmp, parse, type ResourceName } from "../amount";

export class PolicyConfigError extends Error {}

export interface Budget {
    cpu: Quantity;
    memory: Quantity;
    /** As configured, for messages. */
    raw: { cpu: string; memory: string };
}

/** Limits may be at most this many times the request before capacity counts the limit share instead. */
export const DEFAULT_MAX_LIMIT_REQUEST_RATIO = 10;

export interface SiteHosts {
    servers: number;
    agents: number;
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

const pairSchema = (description: string, dflt?: { cpu: string; memory: string }) => ({
    type: "object" as const,
    description,
    properties: {
        cpu: { type: ["string", "number"] as ("string" | "number")[], description: "Kubernetes CPU quantity (500m, 0.5, 1)" },
        memory: { type: ["string", "number"] as ("string" | "number")[], description: "Kubernetes memory quantity (256Mi, 1G, 129e6)" },
    },
    additionalProperties: false,
    ...(dflt ? { default: clone(dflt) } : {}),
});

const hostsSchema = (description: string, dflt?: SiteHosts) => ({
    type: "object" as const,
    description,
    properties: {
        servers: { type: "integer" as const, minimum: 0 },
        agents: { type: "integer" as const, minimum: 0 },
    },
    additionalProperties: false,
    ...(dflt ? { default: clone(dflt) } : {}),
});

/** runtimeClassName -> budget class. Pods with any other runtime class (or none) are in class "default". */
export const DEFAULT_RUNTIME_CLASSES: Record<string, string> = { [WASM_RUNTIME_CLASS]: "wasm" };
export const DEFAULT_WASM_RUNTIME_CLASS = WASM_RUNTIME_CLASS;
/** Repositories (registry spelled out, no tag or digest) of images that are Wasm modules: the tracking service. Gatekeeper's EdgeWasmRuntimeClass gets the same list. */
export const DEFAULT_WASM_IMAGES = wasmRepositories();
/** A pod (template) label that marks a Wasm workload whatever its image is called; Gatekeeper's EdgeWasmRuntimeClass uses the same. */
export const DEFAULT_WASM_LABEL = `${WASM_POD_LABEL.key}=${WASM_POD_LABEL.value}`;
/** The smallest site: what the capacity check assumes when nothing says how many hosts a site has. */
export const DEFAULT_SITE_HOSTS: SiteHosts = { servers: 1, agents: 0 };

export const classBudgetSchema: PolicyConfigSchema = {
    properties: {
        classes: {
            type: "object",
            description: "Per-container limit ceilings by class name. Always has `wasm` and `default`; more may be added.",
            additionalProperties: pairSchema("ceiling of one class"),
            default: clone(DEFAULT_BUDGET.classes),
        },
        runtimeClasses: {
            type: "object",
            description: "runtimeClassName -> class name; any other runtime class uses `default`.",
            additionalProperties: { type: "string" },
            default: clone(DEFAULT_RUNTIME_CLASSES),
        },
    },
};

export const wasmRuntimeSchema: PolicyConfigSchema = {
    properties: {
        runtimeClassName: { type: "string", description: "Runtime class Wasm pods must use.", default: DEFAULT_WASM_RUNTIME_CLASS },
        wasmImages: {
            type: "array",
            items: { type: "string" },
            description: "Image repositories that are Wasm modules, registry spelled out as containerd resolves it (docker.io/library/x), no tag or digest.",
            default: [...DEFAULT_WASM_IMAGES],
        },
        wasmLabel: {
            type: "string",
            description: "Pod label (key=value) that marks a Wasm workload whatever its image.",
            default: DEFAULT_WASM_LABEL,
        },
    },
};

export const siteCapacitySchema: PolicyConfigSchema = {
    properties: {
        host: pairSchema("Capacity of one site host.", DEFAULT_BUDGET.host),
        k3sReserve: {
            type: "object",
            description: "What K3s and the OS keep on a host, by role.",
            properties: { server: pairSchema("server reserve"), agent: pairSchema("agent reserve") },
            additionalProperties: false,
            default: clone(DEFAULT_BUDGET.k3sReserve),
        },
        maxLimitRequestRatio: {
            type: "integer",
            minimum: 1,
            description: "A container counts as at least limit / this ratio, however small its request (0 or 1m requests cannot overcommit a site).",
            default: DEFAULT_MAX_LIMIT_REQUEST_RATIO,
        },
        sites: {
            type: "object",
            description: "Host counts per site id, from the stack config (npm run policy:check -- --stack-file F --print-pack-config). Nothing in the manifests can change them.",
            additionalProperties: hostsSchema("hosts of one site"),
            default: {},
        },
        defaultSite: hostsSchema("Host counts for a site nothing else describes.", DEFAULT_SITE_HOSTS),
    },
};

/** Config as it may arrive: anything, since getConfig() hands over whatever the user wrote. */
type Raw = unknown;

function obj(v: Raw, where: string): Record<string, unknown> | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "object" || Array.isArray(v)) throw new PolicyConfigError(`${where} must be an object`);
    return v as Record<string, unknown>;
}

function quantity(v: unknown, where: string): Quantity {
    if (typeof v !== "string" && typeof v !== "number") throw new PolicyConfigError(`${where} must be a Kubernetes quantity, got ${JSON.stringify(v)}`);
    try {
        const q = parse(v);
        if (q.num < 0n) throw new PolicyConfigError(`${where} must not be negative (${v})`);
        return q;
    } catch (e) {
        if (e instanceof QuantityError) throw new PolicyConfigError(`${where}: ${e.message}`);
        throw e;
    }
}

function budget(v: Raw, dflt: { cpu: string; memory: string } | undefined, where: string): Budget {
    const o = obj(v, where) ?? {};
    const cpu = o.cpu ?? dflt?.cpu;
    const memory = o.memory ?? dflt?.memory;
    if (cpu === undefined || memory === undefined) throw new PolicyConfigError(`${where} needs both cpu and memory`);
    return { cpu: quantity(cpu, `${where}.cpu`), memory: quantity(memory, `${where}.memory`), raw: { cpu: String(cpu), memory: String(memory) } };
}

function hosts(v: Raw, dflt: SiteHosts, where: string): SiteHosts {
    const o = obj(v, where) ?? {};
    const out = { servers: o.servers ?? dflt.servers, agents: o.agents ?? dflt.agents };
    for (const k of ["servers", "agents"] as const) {
        if (typeof out[k] !== "number" || !Number.isInteger(out[k]) || (out[k] as number) < 0) {
            throw new PolicyConfigError(`${where}.${k} must be a whole number >= 0, got ${JSON.stringify(out[k])}`);
        }
    }
    if ((out.servers as number) + (out.agents as number) === 0) throw new PolicyConfigError(`${where} has no hosts`);
    return out as SiteHosts;
}

export interface ClassBudgetConfig {
    classes: Record<string, Budget>;
    runtimeClasses: Record<string, string>;
}

export function resolveClassBudgetConfig(raw: Raw): ClassBudgetConfig {
    const o = obj(raw, "container-limits-within-class-budget config") ?? {};
    const given = obj(o.classes, "classes") ?? {};
    const classes: Record<string, Budget> = {};
    for (const name of new Set([...Object.keys(DEFAULT_BUDGET.classes), ...Object.keys(given)])) {
        classes[name] = budget(given[name], (DEFAULT_BUDGET.classes as Record<string, { cpu: string; memory: string }>)[name], `classes.${name}`);
    }
    const runtimeClasses: Record<string, string> = { ...DEFAULT_RUNTIME_CLASSES };
    for (const [rc, cls] of Object.entries(obj(o.runtimeClasses, "runtimeClasses") ?? {})) {
        if (typeof cls !== "string" || !(cls in classes)) {
            throw new PolicyConfigError(`runtimeClasses.${rc} must name a class in classes (${Object.keys(classes).join(", ")}), got ${JSON.stringify(cls)}`);
        }
        runtimeClasses[rc] = cls;
    }
    return { classes, runtimeClasses };
}

export interface WasmRuntimeConfig {
    runtimeClassName: string;
    wasmImages: string[];
    wasmLabel: { key: string; value: string };
}

export function resolveWasmRuntimeConfig(raw: Raw): WasmRuntimeConfig {
    const o = obj(raw, "wasm-images-use-wasmedge-runtime config") ?? {};
    const rc = o.runtimeClassName ?? DEFAULT_WASM_RUNTIME_CLASS;
    const images = o.wasmImages ?? DEFAULT_WASM_IMAGES;
    const label = o.wasmLabel ?? DEFAULT_WASM_LABEL;
    if (typeof rc !== "string" || !rc) throw new PolicyConfigError(`runtimeClassName must be a non-empty string`);
    if (!Array.isArray(images) || images.some((i) => typeof i !== "string" || !i)) throw new PolicyConfigError(`wasmImages must be a list of image names`);
    const m = typeof label === "string" ? /^([^=\s]+)=(\S*)$/.exec(label) : null;
    if (!m) throw new PolicyConfigError(`wasmLabel must be key=value, got ${JSON.stringify(label)}`);
    return { runtimeClassName: rc, wasmImages: [...images] as string[], wasmLabel: { key: m[1], value: m[2] } };
}

export interface SiteCapacityConfig {
    maxLimitRequestRatio: number;
    host: Budget;
    k3sReserve: { server: Budget; agent: Budget };
    sites: Record<string, SiteHosts>;
    defaultSite: SiteHosts;
}

export function resolveSiteCapacityConfig(raw: Raw): SiteCapacityConfig {
    const o = obj(raw, "site-capacity config") ?? {};
    const host = budget(o.host, DEFAULT_BUDGET.host, "host");
    const reserve = obj(o.k3sReserve, "k3sReserve") ?? {};
    const k3sReserve = {
        server: budget(reserve.server, DEFAULT_BUDGET.k3sReserve.server, "k3sReserve.server"),
        agent: budget(reserve.agent, DEFAULT_BUDGET.k3sReserve.agent, "k3sReserve.agent"),
    };
    for (const role of ["server", "agent"] as const) {
        for (const r of ["cpu", "memory"] as ResourceName[]) {
            if (cmp(k3sReserve[role][r], host[r]) > 0) {
                throw new PolicyConfigError(`k3sReserve.${role}.${r} (${k3sReserve[role].raw[r]}) exceeds the host's ${r} (${host.raw[r]})`);
            }
        }
    }
    const sites: Record<string, SiteHosts> = {};
    for (const [id, v] of Object.entries(obj(o.sites, "sites") ?? {})) sites[id] = hosts(v, { servers: 0, agents: 0 }, `sites.${id}`);
    const ratio = o.maxLimitRequestRatio ?? DEFAULT_MAX_LIMIT_REQUEST_RATIO;
    if (typeof ratio !== "number" || !Number.isInteger(ratio) || ratio < 1) throw new PolicyConfigError(`maxLimitRequestRatio must be a whole number >= 1, got ${JSON.stringify(ratio)}`);
    return { maxLimitRequestRatio: ratio, host, k3sReserve, sites, defaultSite: hosts(o.defaultSite, DEFAULT_SITE_HOSTS, "defaultSite") };
}

/**
 * The --policy-pack-config content that makes the pack enforce a stack's own budget (Pulumi.<stack>.yaml may
 * override the defaults; Gatekeeper gets the same numbers from that budget). Policy names are spelled out here
 * rather than imported so this module stays free of the policy modules.
 */
export function policyConfigFromBudget(
    budget: Pick<BudgetConfig, "host" | "k3sReserve" | "classes">,
    sites?: Pick<SitePlan, "site" | "servers" | "agents">[],
    registryImage?: string,
): Record<string, Record<string, unknown>> {
    // Site topology comes from the site plans of the stack config only (never from a manifest's ConfigMap).
    const topology = sites ? { sites: Object.fromEntries(sites.map((p) => [p.site.id, { servers: p.servers.length, agents: p.agents.length }])) } : {};
    return {
        "container-limits-within-class-budget": { classes: clone(budget.classes) },
        "site-capacity": { host: clone(budget.host), k3sReserve: clone(budget.k3sReserve), ...topology },
        // A registry tracking image is a Wasm image too, as Gatekeeper's parameters say.
        ...(registryImage ? { "wasm-images-use-wasmedge-runtime": { wasmImages: wasmRepositories(registryImage) } } : {}),
    };
}

/** The pack config of a whole validated stack: its budget, its sites' topology and its Wasm repositories. */
export function policyConfigOfStack(config: EstateConfig): Record<string, Record<string, unknown>> {
    return policyConfigFromBudget(config.budget, planEstate(config).sites, config.tracking.registryImage);
}
