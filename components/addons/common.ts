/** Small pure helpers shared by the add-on payload builders. */
import type { ContainerResources, SiteConfig } from "../config/types";
import { componentLabels, selectorLabels } from "../constants";

/** Labels every add-on object carries: who manages it and which site it belongs to. */
export const addonLabels = (site: SiteConfig, component: string): Record<string, string> => componentLabels(site.id, component);

export { selectorLabels };

/** Kubernetes `resources` block from a budget entry (copies, so callers can never mutate the config). */
export function resourcesBlock(r: ContainerResources) {
    return {
        requests: { cpu: r.requests.cpu, memory: r.requests.memory },
        limits: { cpu: r.limits.cpu, memory: r.limits.memory },
    };
}
