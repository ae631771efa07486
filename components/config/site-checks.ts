/**
 * Checks that need the whole validated config: placements and budgets that would otherwise crash deep in a
 * builder or be accepted and fail on the cluster. They run inside validateEstateConfig, after the per-key checks,
 * so every problem of every site is reported at once and before any resource is registered. Each names the key
 * the user wrote (or, for a value that comes from a default, the key to set) and the value.
 */
import { siteBudget } from "../addons/budget";
import { planSite } from "../plan";
import { formatBytes, formatMilliCpu } from "./quantity";
import type { EstateConfig } from "./types";

export interface SiteProblem {
    key: string;
    message: string;
}

const show = (v: unknown) => JSON.stringify(v);

/** Tracking replicas: one per schedulable host (each owns its node's data directory). */
export function trackingPlacementProblems(config: EstateConfig, rawTrackingReplicasSet: boolean): SiteProblem[] {
    const problems: SiteProblem[] = [];
    for (const site of config.sites) {
        const plan = planSite(config, site);
        const replicas = plan.trackingReplicas;
        const schedulable = plan.schedulableHosts;
        if (replicas <= schedulable.length) continue;
        const own = site.trackingReplicas !== undefined;
        const key = own ? `sites[id=${site.id}].trackingReplicas` : "tracking.replicas";
        const where = schedulable.length
            ? `its ${schedulable.length} schedulable host(s) (${schedulable.map((h) => h.id).join(", ")})`
            : `0 schedulable hosts (every host has a NoSchedule/NoExecute taint: ${site.hosts.map((h) => h.id).join(", ")})`;
        problems.push({
            key,
            message:
                `${replicas} tracking replica(s) on site ${show(site.id)} is more than ${where}; each replica owns one node's data directory` +
                (own || !rawTrackingReplicasSet ? "" : `; set sites[id=${site.id}].trackingReplicas to at most ${schedulable.length}`) +
                (!own && !rawTrackingReplicasSet ? ` (the default tracking.replicas is ${replicas}; set sites[id=${site.id}].trackingReplicas: ${schedulable.length})` : ""),
        });
    }
    return problems;
}

/**
 * Site budgets: requests above a site's capacity leave pods Pending forever, memory limits above it invite the
 * OOM killer. The hub site carries the regional Prometheus and Grafana too, so a one-host hub is caught here.
 */
export function siteBudgetProblems(config: EstateConfig): SiteProblem[] {
    const problems: SiteProblem[] = [];
    for (const site of config.sites) {
        const plan = planSite(config, site);
        const b = siteBudget(plan);
        const hub = plan.isHub ? " (it is the monitoring hub: it also runs the regional Prometheus and Grafana)" : "";
        const over: string[] = [];
        if (b.headroom.cpuRequest < 0) over.push(`CPU requests ${formatMilliCpu(b.total.cpuRequest)} > capacity ${formatMilliCpu(b.capacity.cpu)}`);
        if (b.headroom.memoryRequest < 0) over.push(`memory requests ${formatBytes(b.total.memoryRequest)} > capacity ${formatBytes(b.capacity.memory)}`);
        if (b.headroom.memoryLimit < 0) over.push(`memory limits ${formatBytes(b.total.memoryLimit)} > capacity ${formatBytes(b.capacity.memory)}`);
        if (!over.length) continue;
        problems.push({
            key: hub ? "monitoring.hubSite" : "budget",
            message:
                `site ${show(site.id)} with ${site.hosts.length} host(s) of ${show(config.budget.host)} does not fit its budget${hub}: ${over.join(", ")}; ` +
                (hub ? "choose a hub site with more hosts, " : "") +
                "lower budget.components / budget.k3sReserve, raise budget.host, or add hosts (npm run budget -- --site " + site.id + " shows the table)",
        });
    }
    return problems;
}
