/**
 * The derived site plan: everything the components, builders and tools compute from a site's validated config,
 * computed once here (first server, roles, API URL, schedulable hosts, replica counts, versions of the site's
 * wave, hub address, budgets). Components and pure builders read the plan; none of them derives these again.
 */
import { bootstrapServer } from "./config/topology";
import type { ContainerResources, EstateConfig, HostConfig, RolloutConfig, SiteConfig, Versions } from "./config/types";

/** K3s supervisor/API port on every server. */
export const K3S_API_PORT = 6443;

/** An address as it stands in a URL: IPv6 literals in brackets, IPv4 and DNS names as they are. */
export function urlHost(address: string): string {
    return address.includes(":") ? `[${address}]` : address;
}

/** K3s' datastore: embedded etcd on a site with several servers (the first has cluster-init), SQLite on one server. */
export type Datastore = "etcd" | "sqlite";

export interface SitePlan {
    /** The validated config of the whole region (read-only). */
    config: EstateConfig;
    site: SiteConfig;
    /** Versions this site installs: its wave's, honouring an in-progress rollout. */
    versions: Versions;
    /** The server that runs `cluster-init` (HA) or the only server; every other node joins it. */
    firstServer: HostConfig;
    servers: HostConfig[];
    agents: HostConfig[];
    datastore: Datastore;
    /** The K3s API of the site, e.g. `https://10.0.0.1:6443` or `https://[fd00::1]:6443`. */
    apiUrl: string;
    /** Hosts the scheduler may place ordinary pods on (no NoSchedule/NoExecute taint). */
    schedulableHosts: HostConfig[];
    /** Tracking-service replicas on this site (site override or the region default). */
    trackingReplicas: number;
    /** This site runs the regional Prometheus + Grafana hub. */
    isHub: boolean;
    /** The hub site and the address its first server is reached at in a URL (bracketed when IPv6). */
    hub: { siteId: string; urlHost: string };
}

export interface EstatePlan {
    config: EstateConfig;
    /** One plan per site, in config order. */
    sites: SitePlan[];
    /** Plan of the hub site. */
    hub: SitePlan;
}

/** The versions the sites after `rollout.throughWave` keep: `versions` with `rollout.previousVersions` over them. */
export function laggingVersions(versions: Versions, rollout: RolloutConfig): Versions {
    return { ...versions, ...(rollout.previousVersions ?? {}) };
}

/** The versions a given site installs, honouring an in-progress wave rollout. */
export function versionsForSite(config: EstateConfig, site: SiteConfig): Versions {
    const { throughWave } = config.rollout;
    if (throughWave === undefined || site.wave <= throughWave) return config.versions;
    return laggingVersions(config.versions, config.rollout);
}

/** The bootstrap server is chosen by id (components/config/topology.ts), never by list position. */
const firstServerOf = bootstrapServer;

/** The region's monitoring hub: its site id and its first server's address as it stands in a URL. */
export function hubOf(config: EstateConfig): SitePlan["hub"] {
    const hubSite = config.sites.find((s) => s.id === config.monitoring.hubSite);
    if (!hubSite) throw new Error(`edge-estate:monitoring.hubSite ${JSON.stringify(config.monitoring.hubSite)} is not a site of this region`);
    return { siteId: hubSite.id, urlHost: urlHost(firstServerOf(hubSite).address) };
}

export function planSite(config: EstateConfig, site: SiteConfig): SitePlan {
    const firstServer = firstServerOf(site);
    const hub = hubOf(config);
    const servers = site.hosts.filter((h) => h.role === "server");
    return {
        config,
        site,
        versions: versionsForSite(config, site),
        firstServer,
        servers,
        agents: site.hosts.filter((h) => h.role === "agent"),
        datastore: servers.length > 1 ? "etcd" : "sqlite",
        apiUrl: `https://${urlHost(firstServer.address)}:${K3S_API_PORT}`,
        schedulableHosts: site.hosts.filter((h) => !h.taints.some((t) => t.effect === "NoSchedule" || t.effect === "NoExecute")),
        trackingReplicas: site.trackingReplicas ?? config.tracking.replicas,
        isHub: site.id === hub.siteId,
        hub,
    };
}

export function planEstate(config: EstateConfig): EstatePlan {
    const sites = config.sites.map((s) => planSite(config, s));
    const hub = sites.find((p) => p.isHub)!;
    return { config, sites, hub };
}

/** Looks up a component's budget; a missing key is a config error, not a crash deep in a builder. */
export function componentBudget(config: EstateConfig, key: string): ContainerResources {
    const r = config.budget.components[key];
    if (!r) throw new Error(`edge-estate:budget.components.${key} is missing; every add-on container needs requests and limits from the budget`);
    // A copy: builders place it in objects, and nothing may ever mutate the config through them.
    return { requests: { ...r.requests }, limits: { ...r.limits } };
}
