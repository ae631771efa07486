/**
 * A kind the pack does not know that still runs pods (Argo Rollout, KEDA ScaledJob, Knative Service, any CRD
 * with a pod template) would count as zero workloads: no requests/limits check, no class ceiling, nothing against
 * site capacity. Such an object is reported, never silently counted as zero. A pod template is a mapping with a
 * `containers` list of mappings that name an `image`, found anywhere under the object's spec.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isUnknown, materialize } from "../known";
import { WORKLOAD_KINDS, workloadKindOfType } from "../workloads";

export const UNKNOWN_POD_TEMPLATES = "unknown-kinds-with-pod-templates";

/** Kubernetes kinds that hold a pod template without running it, and wrappers the engine expands itself. */
const NOT_RUNNING = /^kubernetes:(core\/v1:PodTemplate|helm\.sh\/.*|yaml.*|kustomize.*)$/;

/** Dotted paths of every pod spec inside `v` (depth-limited; shared nodes visited once). */
export function podTemplatePaths(v: unknown, at = "", seen = new Set<unknown>(), depth = 0): string[] {
    if (typeof v !== "object" || v === null || isUnknown(v) || seen.has(v) || depth > 12) return [];
    seen.add(v);
    if (Array.isArray(v)) return v.flatMap((e, i) => podTemplatePaths(e, `${at}[${i}]`, seen, depth + 1));
    const o = v as Record<string, unknown>;
    const found: string[] = [];
    const list = o.containers;
    if (Array.isArray(list) && list.some((c) => typeof c === "object" && c !== null && typeof (c as { image?: unknown }).image === "string")) found.push(at || "(top)");
    for (const [k, e] of Object.entries(o)) {
        if (k === "containers" || k === "initContainers" || k === "status") continue;
        found.push(...podTemplatePaths(e, at ? `${at}.${k}` : k, seen, depth + 1));
    }
    return found;
}

export const unknownPodTemplatesPolicy: ResourceValidationPolicy = {
    name: UNKNOWN_POD_TEMPLATES,
    description: `Objects of kinds other than ${WORKLOAD_KINDS.join(", ")} that carry a pod template are reported: the pack cannot count their pods.`,
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (!args.type.startsWith("kubernetes:") || workloadKindOfType(args.type) || NOT_RUNNING.test(args.type)) return;
        const props = materialize(args.props) as Record<string, unknown>;
        const spec = props?.spec;
        const paths = podTemplatePaths(spec, "spec");
        if (!paths.length) return;
        const md = (props?.metadata ?? {}) as Record<string, unknown>;
        const kind = typeof props?.kind === "string" ? props.kind : args.type.split(":").pop();
        const name = typeof md.name === "string" ? md.name : args.name;
        const ns = typeof md.namespace === "string" ? md.namespace : "(default namespace)";
        report(
            `${kind} ${ns}/${name} (${typeof props?.apiVersion === "string" ? props.apiVersion : args.type}) carries a pod template at ${paths.join(", ")}, ` +
                `but the pack only counts ${WORKLOAD_KINDS.join(", ")}: its pods would escape the requests/limits, class and site-capacity checks. ` +
                "Run it as a built-in workload kind, or keep it out of the site's stack.",
        );
    },
};
