/** Small pure helpers shared by the add-on payload builders. */
import type { ContainerResources, SiteConfig } from "../config/types";

/** Labels every add-on object carries: who manages it and which site it belongs to. */
export function addonLabels(site: SiteConfig, component: string): Record<string, string> {
    return {
        "app.kubernetes.io/name": component,
        "app.kubernetes.io/part-of": "edge-estate",
        "app.kubernetes.io/managed-by": "edge-estate",
        "edge-estate/site": site.id,
    };
}

/** The selector subset of addonLabels (stable across versions: a Deployment selector is immutable). */
export function selectorLabels(component: string): Record<string, string> {
    return { "app.kubernetes.io/name": component, "app.kubernetes.io/part-of": "edge-estate" };
}

/** Kubernetes `resources` block from a budget entry (copies, so callers can never mutate the config). */
export function resourcesBlock(r: ContainerResources) {
    return {
        requests: { cpu: r.requests.cpu, memory: r.requests.memory },
        limits: { cpu: r.limits.cpu, memory: r.limits.memory },
    };
}

/** Looks up a component's budget; a missing key is a config error, not a crash deep in a builder. */
export function componentBudget(components: Record<string, ContainerResources>, key: string): ContainerResources {
    const r = components[key];
    if (!r) throw new Error(`edge-estate:budget.components.${key} is missing; every add-on container needs requests and limits from the budget`);
    return r;
}

/** Hosts the scheduler may place ordinary pods on (no NoSchedule/NoExecute taint). */
export function schedulableHosts(site: SiteConfig) {
    return site.hosts.filter((h) => !h.taints.some((t) => t.effect === "NoSchedule" || t.effect === "NoExecute"));
}
