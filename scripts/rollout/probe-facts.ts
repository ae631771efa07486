/** The host probes' facts from a stack state's resources (a `pulumi stack export` deployment). */
import { HOST_PROBE_TYPE } from "../../components/host/probe";
import type { ProbeFacts } from "./gate";

export function probeFactsFromResources(resources: { type: string; outputs?: Record<string, unknown> }[]): ProbeFacts[] {
    return resources
        .filter((r) => r.type === HOST_PROBE_TYPE && r.outputs)
        .map((r) => {
            const o = r.outputs!;
            return {
                siteId: String(o.siteId ?? ""),
                hostId: String(o.hostId ?? ""),
                status: String(o.status ?? ""),
                k3sVersion: String(o.k3sVersion ?? ""),
                shimPresent: o.shimPresent === true,
                ...(o.lastError ? { lastError: String(o.lastError) } : {}),
            };
        });
}
