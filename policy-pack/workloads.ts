/**
 * Finds the pod spec inside every workload kind and reads container resources out of it. Works on
 * materialized props (known.ts), so any piece may be UNKNOWN during preview.
 */
import { QuantityError, type Quantity } from "../components/config/quantity";
import { add, max, parse, ZERO, type ResourceName } from "./amount";
import { field, isUnknown, path, UNKNOWN, type Unknown } from "./known";

/** Every built-in kind that runs pods (core/v1 ReplicationController included). */
export const WORKLOAD_KINDS = ["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob"] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/** kubernetes:apps/v1:Deployment, kubernetes:core/v1:Pod, kubernetes:batch/v1beta1:CronJob, ... (not *Patch types). */
const WORKLOAD_TYPE_RE = /^kubernetes:(?:core|apps|batch|extensions)\/[^:]+:(Pod|Deployment|StatefulSet|DaemonSet|ReplicaSet|ReplicationController|Job|CronJob)$/;

export function workloadKindOfType(type: string): WorkloadKind | undefined {
    const m = WORKLOAD_TYPE_RE.exec(type);
    return m ? (m[1] as WorkloadKind) : undefined;
}

/** The Pulumi type token @pulumi/kubernetes registers for an object: v1/Pod -> kubernetes:core/v1:Pod. */
export function pulumiTypeOf(apiVersion: string, kind: string): string {
    const groupVersion = apiVersion.includes("/") ? apiVersion : `core/${apiVersion}`;
    return `kubernetes:${groupVersion}:${kind}`;
}

export type Amount =
    | { state: "missing" }
    | { state: "unknown" }
    | { state: "invalid"; raw: unknown; error: string }
    | { state: "ok"; raw: string | number; value: Quantity };

export interface ContainerView {
    /** Container name, or "#<index>" when it has none. */
    name: string;
    init: boolean;
    /** An init container with restartPolicy Always (a sidecar: it keeps running next to the app containers). */
    sidecar: boolean;
    image: string | Unknown | undefined;
    /** The raw `resources` value (UNKNOWN, undefined or an object). */
    resources: unknown;
}

export interface Workload {
    kind: WorkloadKind;
    name: string;
    namespace?: string;
    /** undefined when the object has no pod spec where its kind keeps it. */
    podSpec: unknown;
    /** The pod's (template's) labels. */
    podLabels: unknown;
    runtimeClassName: string | Unknown | undefined;
    containers: ContainerView[];
    /** False when the containers or init containers list itself is unknown (preview). */
    containersKnown: boolean;
    /** Pods that run at once; for DaemonSets this is per node (perNode). */
    replicas: number | Unknown;
    perNode: boolean;
}

function str(v: unknown): string | undefined {
    return typeof v === "string" ? v : undefined;
}

function podTemplatePath(kind: WorkloadKind): string[] {
    switch (kind) {
        case "Pod":
            return [];
        case "CronJob":
            return ["spec", "jobTemplate", "spec", "template"];
        default:
            return ["spec", "template"];
    }
}

function count(v: unknown, fallback: number): number | Unknown {
    if (isUnknown(v)) return UNKNOWN;
    if (v === undefined || v === null) return fallback;
    const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v;
    return typeof n === "number" && Number.isInteger(n) && n >= 0 ? n : fallback;
}

/** Pods running at once: replicas (default 1); Jobs min(parallelism, completions); DaemonSets one per node. */
function replicasOf(kind: WorkloadKind, obj: unknown): number | Unknown {
    switch (kind) {
        case "Pod":
        case "DaemonSet":
            return 1;
        case "Deployment":
        case "StatefulSet":
        case "ReplicaSet":
        case "ReplicationController":
            return count(path(obj, "spec", "replicas"), 1);
        case "Job":
        case "CronJob": {
            const jobSpec = kind === "Job" ? field(obj, "spec") : path(obj, "spec", "jobTemplate", "spec");
            const parallelism = count(field(jobSpec, "parallelism"), 1);
            const completionsRaw = field(jobSpec, "completions");
            if (isUnknown(parallelism)) return UNKNOWN;
            if (completionsRaw === undefined || completionsRaw === null) return parallelism;
            const completions = count(completionsRaw, parallelism);
            return isUnknown(completions) ? parallelism : Math.min(parallelism, completions);
        }
    }
}

function containerList(list: unknown, init: boolean): { views: ContainerView[]; known: boolean } {
    if (isUnknown(list)) return { views: [], known: false };
    if (!Array.isArray(list)) return { views: [], known: true };
    const views = list.map((c, i): ContainerView => {
        const name = field(c, "name");
        const image = field(c, "image");
        return {
            name: typeof name === "string" && name ? name : `#${i}`,
            init,
            sidecar: init && field(c, "restartPolicy") === "Always",
            image: isUnknown(image) ? UNKNOWN : str(image),
            resources: isUnknown(c) ? UNKNOWN : field(c, "resources"),
        };
    });
    return { views, known: true };
}

/**
 * @param obj materialized props of a workload resource (the Kubernetes object).
 * @param fallbackName the Pulumi resource name, used when metadata.name is unset or unknown (auto-naming).
 */
export function extractWorkload(kind: WorkloadKind, obj: unknown, fallbackName: string): Workload {
    const name = str(path(obj, "metadata", "name")) ?? fallbackName;
    const namespace = str(path(obj, "metadata", "namespace"));
    const templatePath = podTemplatePath(kind);
    const template = templatePath.length ? path(obj, ...templatePath) : obj;
    const podSpec = field(template, "spec");
    const rc = field(podSpec, "runtimeClassName");
    const init = containerList(field(podSpec, "initContainers"), true);
    const main = containerList(field(podSpec, "containers"), false);
    return {
        kind,
        name,
        ...(namespace !== undefined ? { namespace } : {}),
        podSpec,
        podLabels: path(template, "metadata", "labels"),
        runtimeClassName: isUnknown(rc) ? UNKNOWN : str(rc),
        containers: [...init.views, ...main.views],
        containersKnown: init.known && main.known && !isUnknown(podSpec),
        replicas: replicasOf(kind, obj),
        perNode: kind === "DaemonSet",
    };
}

/** "Deployment edge-system/tracking" */
export function workloadLabel(w: Pick<Workload, "kind" | "name" | "namespace">): string {
    return `${w.kind} ${w.namespace ?? "(default namespace)"}/${w.name}`;
}

/** Reads resources.<section>.<resource> of one container. */
export function readAmount(resources: unknown, section: "requests" | "limits", resource: ResourceName): Amount {
    const raw = field(field(resources, section), resource);
    if (isUnknown(raw)) return { state: "unknown" };
    if (raw === undefined || raw === null || raw === "") return { state: "missing" };
    if (typeof raw !== "string" && typeof raw !== "number") {
        return { state: "invalid", raw, error: `${JSON.stringify(raw)} is not a Kubernetes quantity` };
    }
    try {
        return { state: "ok", raw, value: parse(raw) };
    } catch (e) {
        if (e instanceof QuantityError) return { state: "invalid", raw, error: e.message };
        throw e;
    }
}

/**
 * What the scheduler reserves for a container: its request, or its limit when only a limit is set (the API
 * server defaults requests to limits). `known` is false when the value cannot be known yet.
 */
export function effectiveRequest(c: ContainerView, resource: ResourceName, maxLimitRequestRatio?: number): { value: Quantity; known: boolean } {
    if (isUnknown(c.resources)) return { value: ZERO, known: false };
    const req = readAmount(c.resources, "requests", resource);
    const lim = readAmount(c.resources, "limits", resource);
    if (req.state === "unknown") return { value: ZERO, known: false };
    if (req.state === "ok") {
        // A pod can really take its limit: a request far below it (0, 1m) is counted as limit / ratio at least,
        // so zero-request overcommit cannot slip past the capacity check.
        if (maxLimitRequestRatio && lim.state === "ok") return { value: max(req.value, divide(lim.value, maxLimitRequestRatio)), known: true };
        return { value: req.value, known: lim.state !== "unknown" || !maxLimitRequestRatio };
    }
    if (lim.state === "ok") return { value: lim.value, known: true };
    return { value: ZERO, known: lim.state !== "unknown" };
}

function divide(q: Quantity, n: number): Quantity {
    return { num: q.num, den: q.den * BigInt(n) };
}

export interface PodRequests {
    cpu: Quantity;
    memory: Quantity;
    /** False when some container's value is unknown: the figures are then a lower bound. */
    complete: boolean;
}

/**
 * The pod's scheduling request as Kubernetes 1.30 computes it (resource helpers PodRequests, sidecars on):
 * max(sum of app containers + sidecars, the largest init step incl. sidecars started before it) + overhead.
 */
export function podRequests(w: Workload, opts: { maxLimitRequestRatio?: number; runtimeClassOverhead?: (name: string) => Partial<Record<ResourceName, Quantity>> | undefined } = {}): PodRequests {
    const out: PodRequests = { cpu: ZERO, memory: ZERO, complete: w.containersKnown };
    for (const resource of ["cpu", "memory"] as const) {
        let steady = ZERO;
        let sidecars = ZERO;
        let initPeak = ZERO;
        for (const c of w.containers) {
            const { value, known } = effectiveRequest(c, resource, opts.maxLimitRequestRatio);
            if (!known) out.complete = false;
            if (!c.init) {
                steady = add(steady, value);
            } else if (c.sidecar) {
                steady = add(steady, value);
                sidecars = add(sidecars, value);
                initPeak = max(initPeak, sidecars);
            } else {
                initPeak = max(initPeak, add(value, sidecars));
            }
        }
        let total = max(steady, initPeak);
        const overhead = field(field(w.podSpec, "overhead"), resource);
        // The RuntimeClass admission controller sets spec.overhead from the class's overhead.podFixed.
        const fromClass = typeof w.runtimeClassName === "string" && (overhead === undefined || overhead === null) ? opts.runtimeClassOverhead?.(w.runtimeClassName)?.[resource] : undefined;
        if (fromClass) total = add(total, fromClass);
        if (isUnknown(overhead)) out.complete = false;
        else if (typeof overhead === "string" || typeof overhead === "number") {
            try {
                total = add(total, parse(overhead));
            } catch (e) {
                if (!(e instanceof QuantityError)) throw e;
            }
        }
        out[resource] = total;
    }
    return out;
}
