import type { ResourceValidationArgs } from "@pulumi/policy";
import { materialize } from "../known";
import { extractWorkload, WORKLOAD_KINDS, workloadKindOfType, type Workload } from "../workloads";

/** The workload behind a resource policy's args; any other resource type is "not applicable". */
export function workloadFromArgs(args: ResourceValidationArgs): Workload {
    const kind = workloadKindOfType(args.type);
    if (!kind) return args.notApplicable(`applies to workload kinds only (${WORKLOAD_KINDS.join(", ")})`);
    return extractWorkload(kind, materialize(args.props), args.name);
}

export function containerLabel(c: { name: string; init: boolean; sidecar: boolean }): string {
    return `${c.sidecar ? "sidecar init container" : c.init ? "init container" : "container"} "${c.name}"`;
}
