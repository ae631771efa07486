/**
 * Which server bootstraps a site's cluster: a pure function of the validated site, never of list positions.
 *
 * `bootstrapServer` in the site's config names it explicitly (validated: a host of the site with role server).
 * Without it the rule is the server with the lowest id (plain string order). Reordering hosts or sites in the stack
 * file therefore never moves `cluster-init`, the joiners' `server:`, the kubeconfig host, the broker's node or the
 * hub address. Changing the choice on a live HA site initialises a second cluster: the choice is sticky by design.
 */
import type { HostConfig, SiteConfig } from "./types";

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The server that runs `cluster-init` (HA) or the only server; every other node of the site joins it. */
export function bootstrapServer(site: SiteConfig): HostConfig {
    const servers = site.hosts.filter((h) => h.role === "server");
    if (site.bootstrapServer !== undefined) {
        const chosen = servers.find((h) => h.id === site.bootstrapServer);
        if (chosen) return chosen;
    }
    const lowest = [...servers].sort(byId)[0];
    if (!lowest) throw new Error(`site ${site.id} has no server (validation should have refused it)`);
    return lowest;
}

/** Sorts by id in place and returns the list: the canonical order of sites and hosts in a validated config. */
export function sortById<T extends { id: string }>(list: T[]): T[] {
    return list.sort(byId);
}
