/**
 * pulumi-policy style helpers: build the args object the policy runtime builds (props behind the real
 * unknownCheckingProxy from @pulumi/policy 1.21.0, a notApplicable that throws, getConfig) and call the policy
 * directly. Never imports policy-pack/index.ts (constructing the PolicyPack starts a gRPC server).
 */
import * as policySdk from "@pulumi/policy";
import type { PolicyResource, ReportViolation, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { WORKLOAD_KINDS, type WorkloadKind } from "../../policy-pack/workloads";

// Re-exported in 1.21.0 for exactly this purpose; the .d.ts is empty, hence the cast.
export const { unknownCheckingProxy, UnknownValueError } = policySdk as unknown as {
    unknownCheckingProxy: <T>(v: T) => T;
    UnknownValueError: new (...args: unknown[]) => Error;
};

/** What the engine sends for a value not known during preview (a string-typed unknown). */
export const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
export const UNKNOWN_NUMBER = "3eeb2bf0-c639-47a8-9e75-3b44932eb421";
export const UNKNOWN_ARRAY = "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2";
export const UNKNOWN_OBJECT = "dd056dcd-154b-4c76-9bd3-c8f88648b5ff";

class NotApplicable extends Error {}

export const KINDS: readonly WorkloadKind[] = WORKLOAD_KINDS;

export const TYPE_OF: Record<WorkloadKind, string> = {
    Pod: "kubernetes:core/v1:Pod",
    Deployment: "kubernetes:apps/v1:Deployment",
    StatefulSet: "kubernetes:apps/v1:StatefulSet",
    DaemonSet: "kubernetes:apps/v1:DaemonSet",
    ReplicaSet: "kubernetes:apps/v1:ReplicaSet",
    ReplicationController: "kubernetes:core/v1:ReplicationController",
    Job: "kubernetes:batch/v1:Job",
    CronJob: "kubernetes:batch/v1:CronJob",
};

const API_VERSION: Record<WorkloadKind, string> = {
    Pod: "v1",
    Deployment: "apps/v1",
    StatefulSet: "apps/v1",
    DaemonSet: "apps/v1",
    ReplicaSet: "apps/v1",
    ReplicationController: "v1",
    Job: "batch/v1",
    CronJob: "batch/v1",
};

export interface Res {
    requests?: Record<string, unknown>;
    limits?: Record<string, unknown>;
}

export function container(name: string, resources: Res | undefined | string, image = "busybox:1.36"): Record<string, unknown> {
    return { name, image, ...(resources !== undefined ? { resources } : {}) };
}

export const OK_RES: Res = { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "100m", memory: "128Mi" } };

export interface PodOpts {
    containers?: unknown[];
    initContainers?: unknown[];
    runtimeClassName?: string;
    labels?: Record<string, string>;
    overhead?: Record<string, string>;
}

export function podSpec(o: PodOpts): Record<string, unknown> {
    return {
        ...(o.runtimeClassName !== undefined ? { runtimeClassName: o.runtimeClassName } : {}),
        ...(o.initContainers ? { initContainers: o.initContainers } : {}),
        ...(o.overhead ? { overhead: o.overhead } : {}),
        containers: o.containers ?? [container("app", OK_RES)],
    };
}

/** A complete object of `kind` whose pod spec is built from `o`. `replicas` lands where the kind keeps it. */
export function workload(kind: WorkloadKind, o: PodOpts = {}, extra: { name?: string; namespace?: string; replicas?: unknown; parallelism?: unknown; completions?: unknown } = {}): Record<string, unknown> {
    const metadata = { name: extra.name ?? `demo-${kind.toLowerCase()}`, namespace: extra.namespace ?? "team" };
    const template = { metadata: { labels: { app: "demo", ...o.labels } }, spec: podSpec(o) };
    const base = { apiVersion: API_VERSION[kind], kind, metadata };
    const jobSpec = { ...(extra.parallelism !== undefined ? { parallelism: extra.parallelism } : {}), ...(extra.completions !== undefined ? { completions: extra.completions } : {}), template };
    switch (kind) {
        case "Pod":
            return { ...base, metadata: { ...metadata, ...(o.labels ? { labels: o.labels } : {}) }, spec: podSpec(o) };
        case "Job":
            return { ...base, spec: jobSpec };
        case "CronJob":
            return { ...base, spec: { schedule: "*/5 * * * *", jobTemplate: { spec: jobSpec } } };
        case "DaemonSet":
            return { ...base, spec: { selector: { matchLabels: { app: "demo" } }, template } };
        default:
            return { ...base, spec: { ...(extra.replicas !== undefined ? { replicas: extra.replicas } : {}), selector: { matchLabels: { app: "demo" } }, template } };
    }
}

function collect(): { messages: string[]; report: ReportViolation } {
    const messages: string[] = [];
    return { messages, report: (m: string) => void messages.push(m) };
}

/**
 * Runs a resource policy on one resource. Returns the violation messages, or "not-applicable". Like the runtime,
 * an UnknownValueError escaping the policy surfaces (the test then fails: policies must handle unknowns).
 */
export function runResourcePolicy(policy: ResourceValidationPolicy, type: string, props: Record<string, unknown>, config: Record<string, unknown> = {}, name = "res"): string[] | "not-applicable" {
    const proxied = unknownCheckingProxy(props);
    const { messages, report } = collect();
    const args = {
        type,
        props: proxied,
        urn: `urn:pulumi:test::edge-estate::${type}::${name}`,
        name,
        opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
        stackTags: new Map<string, string>(),
        isType: (cls: any) => cls?.__pulumiType === type,
        asType: (cls: any) => (cls?.__pulumiType === type ? proxied : undefined),
        getConfig: () => config as any,
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason);
        },
    };
    const fns = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource!];
    try {
        for (const fn of fns) fn(args as any, report);
    } catch (e) {
        if (e instanceof NotApplicable) return "not-applicable";
        throw e;
    }
    return messages;
}

/** Runs a resource policy on a workload object built by `workload()`. */
export function checkWorkload(policy: ResourceValidationPolicy, obj: Record<string, unknown>, config: Record<string, unknown> = {}): string[] {
    const out = runResourcePolicy(policy, TYPE_OF[obj.kind as WorkloadKind], obj, config);
    if (out === "not-applicable") throw new Error(`policy ${policy.name} said not applicable to ${obj.kind}`);
    return out;
}

export interface StackResource {
    type: string;
    name: string;
    props: Record<string, unknown>;
    provider?: { name: string; props?: Record<string, unknown> };
}

export function runStackPolicy(policy: StackValidationPolicy, resources: StackResource[], config: Record<string, unknown> = {}): { message: string; urn?: string }[] {
    const out: { message: string; urn?: string }[] = [];
    const prs: PolicyResource[] = resources.map((r) => {
        const props = unknownCheckingProxy(r.props);
        return {
            type: r.type,
            props,
            urn: `urn:pulumi:test::edge-estate::${r.type}::${r.name}`,
            name: r.name,
            opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
            ...(r.provider
                ? {
                      provider: {
                          type: "pulumi:providers:kubernetes",
                          name: r.provider.name,
                          urn: `urn:pulumi:test::edge-estate::pulumi:providers:kubernetes::${r.provider.name}`,
                          props: unknownCheckingProxy(r.provider.props ?? {}),
                      },
                  }
                : {}),
            dependencies: [],
            propertyDependencies: {},
            isType: (cls: any) => cls?.__pulumiType === r.type,
            asType: (cls: any) => (cls?.__pulumiType === r.type ? props : undefined),
        } as PolicyResource;
    });
    const args = {
        resources: prs,
        stackTags: new Map<string, string>(),
        getConfig: () => config as any,
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason);
        },
    };
    policy.validateStack(args as any, (message: string, urn?: string) => void out.push({ message, ...(urn ? { urn } : {}) }));
    return out;
}
