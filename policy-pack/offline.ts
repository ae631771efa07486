/**
 * Runs the pack's own policy functions outside the Pulumi engine, on records shaped like what the engine sends
 * (type, name, props, provider). The args objects are built here the way the policy runtime builds them (props
 * behind the same unknown-checking proxy, notApplicable throwing, getConfig per policy), so `npm run policy:check`
 * and `npm run synth` give the verdicts `pulumi preview --policy-pack` gives. There is no second implementation
 * of any check in this file.
 */
import type {
    EnforcementLevel,
    Policies,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import { PACK_ENFORCEMENT, PACK_NAME, policies as packPolicies } from "./policies";
import { CLASS_BUDGET } from "./policies/class-budget";
import { PolicyConfigError, resolveClassBudgetConfig, resolveSiteCapacityConfig, resolveWasmRuntimeConfig, type SiteHosts } from "./policies/config";
import { K8S_PROVIDER_TYPE, SITE_CAPACITY } from "./policies/site-capacity";
import { WASM_RUNTIME } from "./policies/wasm-runtime";
import { pulumiTypeOf, workloadKindOfType } from "./workloads";
import { objectResourceName, parseProviderName, providerResourceName } from "../components/naming";
import { isSecretEnvelope } from "../scripts/synth/secrets";

// proxy.js has no dependencies; its .d.ts is empty, hence the typed require.
const { unknownCheckingProxy } = require("@pulumi/policy/proxy") as { unknownCheckingProxy: <T>(v: T) => T };

export { PolicyConfigError };

/** One resource as the engine describes it to a policy. */
export interface PolicyRecord {
    type: string;
    name: string;
    urn?: string;
    props: Record<string, unknown>;
    provider?: { type: string; name: string; urn: string; props?: Record<string, unknown> };
    /** Where it came from (file and document), for messages only. */
    source?: string;
}

/** The JSON format of `pulumi preview --policy-pack-config`: {"all": level, "<policy>": level | {enforcementLevel?, ...}}. */
export type PolicyPackConfigFile = Record<string, unknown>;

export interface EvaluateOptions {
    config?: PolicyPackConfigFile;
}

export interface Violation {
    policy: string;
    enforcementLevel: "advisory" | "mandatory";
    message: string;
    /** The resource the violation is about (resource policies), or the site (stack policy). */
    resource?: { type: string; name: string; urn?: string; kind?: string; namespace?: string; objectName?: string; source?: string };
    site?: string;
}

export interface PolicyReport {
    pack: string;
    /** Effective level per policy after config. */
    policies: Record<string, EnforcementLevel>;
    resources: number;
    workloads: number;
    /** Sites (Kubernetes providers) that carried Kubernetes objects. */
    sites: string[];
    violations: Violation[];
    mandatory: number;
    advisory: number;
    /** True when no mandatory violation was found. */
    passed: boolean;
}

const LEVELS: EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

class NotApplicable extends Error {}

function isLevel(v: unknown): v is EnforcementLevel {
    return typeof v === "string" && (LEVELS as string[]).includes(v);
}

interface PolicySettings {
    level: EnforcementLevel;
    config: Record<string, unknown>;
}

/** Resolves levels and per-policy config the way the CLI does for --policy-pack-config. */
export function policySettings(policies: Policies, file: PolicyPackConfigFile = {}): Map<string, PolicySettings> {
    if (typeof file !== "object" || file === null || Array.isArray(file)) throw new PolicyConfigError("policy config must be a JSON object keyed by policy name");
    const names = new Set(policies.map((p) => p.name));
    for (const key of Object.keys(file)) {
        if (key !== "all" && !names.has(key)) {
            throw new PolicyConfigError(`policy config names "${key}", which is not a policy of ${PACK_NAME} (policies: ${[...names].join(", ")})`);
        }
    }
    const all = file.all;
    if (all !== undefined && !isLevel(all)) throw new PolicyConfigError(`policy config "all" must be one of ${LEVELS.join(", ")}`);
    const out = new Map<string, PolicySettings>();
    for (const p of policies) {
        const entry = file[p.name];
        let level: EnforcementLevel = (all as EnforcementLevel | undefined) ?? p.enforcementLevel ?? PACK_ENFORCEMENT;
        let config: Record<string, unknown> = {};
        if (isLevel(entry)) level = entry;
        else if (typeof entry === "object" && entry !== null && !Array.isArray(entry)) {
            const { enforcementLevel, ...rest } = entry as Record<string, unknown>;
            if (enforcementLevel !== undefined) {
                if (!isLevel(enforcementLevel)) throw new PolicyConfigError(`${p.name}.enforcementLevel must be one of ${LEVELS.join(", ")}`);
                level = enforcementLevel;
            }
            const known = Object.keys(p.configSchema?.properties ?? {});
            for (const k of Object.keys(rest)) {
                if (!known.includes(k)) {
                    throw new PolicyConfigError(`${p.name}: unknown config property "${k}"${known.length ? ` (known: ${known.join(", ")})` : " (this policy takes none)"}`);
                }
            }
            config = rest;
        } else if (entry !== undefined) {
            throw new PolicyConfigError(`policy config for ${p.name} must be an enforcement level or an object`);
        }
        out.set(p.name, { level, config });
    }
    return out;
}

function reportedLevel(level: EnforcementLevel): "advisory" | "mandatory" {
    // The runtime reports violations of a remediate-level policy as mandatory.
    return level === "advisory" ? "advisory" : "mandatory";
}

function objectIdentity(r: PolicyRecord) {
    const meta = (r.props?.metadata ?? {}) as Record<string, unknown>;
    return {
        type: r.type,
        name: r.name,
        ...(r.urn ? { urn: r.urn } : {}),
        ...(typeof r.props?.kind === "string" ? { kind: r.props.kind as string } : {}),
        ...(typeof meta.namespace === "string" ? { namespace: meta.namespace } : {}),
        ...(typeof meta.name === "string" ? { objectName: meta.name } : {}),
        ...(r.source ? { source: r.source } : {}),
    };
}

function providerOf(r: PolicyRecord) {
    if (!r.provider) return undefined;
    return { type: r.provider.type, name: r.provider.name, urn: r.provider.urn, props: unknownCheckingProxy(r.provider.props ?? {}) };
}

const NO_OPTS = {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
};

/** What resource and stack policies both see of a record, built the way the pack's runtime builds it. */
function resourceView(r: PolicyRecord) {
    const props = unknownCheckingProxy(r.props);
    const isType = (cls: unknown) => (cls as { __pulumiType?: string })?.__pulumiType === r.type;
    const provider = providerOf(r);
    return {
        type: r.type,
        props,
        urn: r.urn ?? r.name,
        name: r.name,
        opts: NO_OPTS,
        ...(provider ? { provider } : {}),
        isType,
        asType: (cls: unknown) => (isType(cls) ? props : undefined),
    };
}

function resourceArgs(r: PolicyRecord, config: Record<string, unknown>): ResourceValidationArgs {
    const view = resourceView(r);
    return {
        ...view,
        stackTags: new Map(),
        asType: view.asType as ResourceValidationArgs["asType"],
        getConfig: (() => config) as ResourceValidationArgs["getConfig"],
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason);
        },
    };
}

function stackArgs(records: PolicyRecord[], config: Record<string, unknown>): StackValidationArgs {
    const resources: PolicyResource[] = records.map((r) => {
        const view = resourceView(r);
        return {
            ...view,
            dependencies: [],
            propertyDependencies: {},
            asType: view.asType as PolicyResource["asType"],
        };
    });
    return {
        resources,
        stackTags: new Map(),
        getConfig: (() => config) as StackValidationArgs["getConfig"],
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason);
        },
    };
}

function callAll<A>(fn: ((args: A, report: (m: string, urn?: string) => void) => unknown) | ((args: A, report: (m: string, urn?: string) => void) => unknown)[], args: A, report: (m: string, urn?: string) => void) {
    for (const f of Array.isArray(fn) ? fn : [fn]) {
        try {
            const result = f(args, report);
            if (result && typeof (result as Promise<unknown>).then === "function") {
                throw new Error("asynchronous policies are not supported offline");
            }
        } catch (e) {
            if (e instanceof NotApplicable) continue;
            throw e;
        }
    }
}

const RESOLVERS: Record<string, (raw: unknown) => unknown> = {
    [CLASS_BUDGET]: resolveClassBudgetConfig,
    [WASM_RUNTIME]: resolveWasmRuntimeConfig,
    [SITE_CAPACITY]: resolveSiteCapacityConfig,
};

/** Checks a --policy-pack-config object the way the pack will read it; throws PolicyConfigError naming the problem. */
export function validatePackConfig(file: PolicyPackConfigFile = {}, policies: Policies = packPolicies): void {
    for (const [name, { config }] of policySettings(policies, file)) {
        try {
            RESOLVERS[name]?.(config);
        } catch (e) {
            if (e instanceof PolicyConfigError) throw new PolicyConfigError(`${name}: ${e.message}`);
            throw e;
        }
    }
}

/** Evaluates every policy of the pack (or `policies`) over the records. Throws PolicyConfigError on bad config. */
export function evaluateResources(records: PolicyRecord[], options: EvaluateOptions = {}, policies: Policies = packPolicies): PolicyReport {
    const settings = policySettings(policies, options.config);
    if (policies === packPolicies) validatePackConfig(options.config, policies);
    const violations: Violation[] = [];
    for (const p of policies) {
        const { level, config } = settings.get(p.name)!;
        if (level === "disabled") continue;
        const enforcementLevel = reportedLevel(level);
        try {
            if ("validateResource" in p && p.validateResource) {
                const policy = p as ResourceValidationPolicy;
                for (const r of records) {
                    callAll(policy.validateResource!, resourceArgs(r, config), (message) =>
                        violations.push({ policy: p.name, enforcementLevel, message, resource: objectIdentity(r) }),
                    );
                }
            } else if ("validateStack" in p) {
                const policy = p as StackValidationPolicy;
                const byUrn = new Map(records.flatMap((r) => (r.provider ? [[r.provider.urn, r.provider.name] as const] : [])));
                callAll(policy.validateStack, stackArgs(records, config), (message, urn) =>
                    violations.push({ policy: p.name, enforcementLevel, message, ...(urn && byUrn.has(urn) ? { site: siteOf(byUrn.get(urn)!) } : {}) }),
                );
            }
        } catch (e) {
            if (e instanceof PolicyConfigError) throw new PolicyConfigError(`${p.name}: ${e.message}`);
            throw e;
        }
    }
    const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory").length;
    return {
        pack: PACK_NAME,
        policies: Object.fromEntries([...settings].map(([name, s]) => [name, s.level])),
        resources: records.length,
        workloads: records.filter((r) => workloadKindOfType(r.type)).length,
        sites: [...new Set(records.filter((r) => r.type.startsWith("kubernetes:")).map((r) => (r.provider ? siteOf(r.provider.name) : "(default provider)")))].sort(),
        violations,
        mandatory,
        advisory: violations.length - mandatory,
        passed: mandatory === 0,
    };
}

function siteOf(providerName: string): string {
    return parseProviderName(providerName) ?? providerName;
}

/** A Kubernetes object from a manifest, with the site it is meant for. */
export interface SiteObject {
    object: Record<string, unknown>;
    site: string;
    source?: string;
}

export interface EvaluateObjectsOptions extends EvaluateOptions {
    /** Host counts to assume for every site (overrides the site-capacity config). */
    siteHosts?: SiteHosts;
}

/** Turns plain objects into the records the engine would send: typed resources on a `<site>-k8s` provider. */
export function recordsFromObjects(objects: SiteObject[]): PolicyRecord[] {
    return objects.map(({ object, site, source }) => {
        const apiVersion = String(object.apiVersion ?? "");
        const kind = String(object.kind ?? "");
        const meta = (object.metadata ?? {}) as Record<string, unknown>;
        const metadata = { name: String(meta.name ?? "unnamed"), ...(typeof meta.namespace === "string" ? { namespace: meta.namespace } : {}) };
        const provider = providerResourceName(site);
        return {
            type: pulumiTypeOf(apiVersion, kind),
            name: objectResourceName(site, { kind, metadata }),
            props: object,
            provider: { type: K8S_PROVIDER_TYPE, name: provider, urn: `offline::${provider}`, props: {} },
            ...(source ? { source } : {}),
        };
    });
}

/** Offline entry point for manifests: the checker CLI and synth call this. */
export function evaluateObjects(objects: SiteObject[], options: EvaluateObjectsOptions = {}): PolicyReport {
    let config = options.config ?? {};
    if (options.siteHosts) {
        const sites = Object.fromEntries([...new Set(objects.map((o) => o.site))].map((s) => [s, options.siteHosts!]));
        const current = (config["site-capacity"] ?? {}) as Record<string, unknown>;
        const entry = typeof current === "string" ? { enforcementLevel: current } : current;
        config = { ...config, "site-capacity": { ...entry, sites: { ...((entry.sites as object) ?? {}), ...sites } } };
    }
    return evaluateResources(recordsFromObjects(objects), { config });
}

/** A resource as synth records it (scripts/synth/run.ts): provider is the provider's URN. */
export interface RecordedResourceLike {
    urn: string;
    type: string;
    name: string;
    provider?: string;
    inputs: Record<string, unknown>;
}

/** The engine hands policies plain values, so wire secret envelopes are unwrapped the way it does. */
function unwrapSecrets(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(unwrapSecrets);
    if (isSecretEnvelope(v)) return unwrapSecrets(v.value);
    if (typeof v === "object" && v !== null) {
        return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, unwrapSecrets(x)]));
    }
    return v;
}

/**
 * Evaluates the pack over a program run under mocks (synth's recorded resources): custom resources only, each
 * with its provider resolved from the recorded provider resources, as the engine would send them.
 */
export function evaluateRecordedResources(resources: RecordedResourceLike[], options: EvaluateOptions = {}): PolicyReport {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const records: PolicyRecord[] = resources
        .filter((r) => !r.type.startsWith("pulumi:providers:") && r.type !== "pulumi:pulumi:Stack" && r.type.includes(":") && r.urn)
        .map((r) => {
            const prov = r.provider ? byUrn.get(r.provider) : undefined;
            return {
                type: r.type,
                name: r.name,
                urn: r.urn,
                props: unwrapSecrets(r.inputs) as Record<string, unknown>,
                ...(prov ? { provider: { type: prov.type, name: prov.name, urn: prov.urn, props: {} } } : {}),
            };
        });
    return evaluateResources(records, options);
}
