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
