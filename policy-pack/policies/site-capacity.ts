/**
 * Stack policy: per site (= per Kubernetes provider), the workloads' pod requests times the pods that run at once
 * must fit the site's allocatable capacity, hosts x host capacity - K3s reserve per role. DaemonSets count once
 * per host. Also every single pod must fit on the site's largest host, or it can never be scheduled.
 *
 * How many hosts (and which roles) a site has comes, in this order, from the policy config `sites.<id>`, from
 * the site's `edge-system/edge-site-info` ConfigMap (the program writes `hosts: "srv-a:server,wrk-a:agent"` there
 * for every site, on the same provider), or from `defaultSite` (one server: the smallest site).
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import type { Quantity } from "../../components/config/quantity";
import { parseProviderName } from "../../components/naming";
import { add, cmp, format, max, sub, times, ZERO, type ResourceName } from "../amount";
import { isUnknown, materialize, path } from "../known";
import { extractWorkload, podRequests, workloadKindOfType, workloadLabel, type PodRequests, type Workload } from "../workloads";
import { resolveSiteCapacityConfig, siteCapacitySchema, type SiteCapacityConfig, type SiteHosts } from "./config";

export const SITE_CAPACITY = "site-capacity";
export const K8S_PROVIDER_TYPE = "pulumi:providers:kubernetes";
export const SITE_INFO_NAMESPACE = "edge-system";
export const SITE_INFO_NAME = "edge-site-info";

interface Entry {
    workload: Workload;
    pod: PodRequests;
    replicas: number | undefined;
}

interface Site {
    id: string;
    providerUrn?: string;
    entries: Entry[];
    siteInfo?: SiteHosts;
}

/** Site id from the provider: the program names each site's provider `<siteId>-k8s`. */
export function siteIdOfProvider(provider: { name: string } | undefined): string {
    if (!provider) return "(default provider)";
    return parseProviderName(provider.name) ?? provider.name;
}

/** Host roles from the edge-site-info ConfigMap's `hosts` entry ("srv-a:server,wrk-a:agent"). */
export function parseSiteInfoHosts(value: unknown): SiteHosts | undefined {
    if (typeof value !== "string" || !value.trim()) return undefined;
    const out = { servers: 0, agents: 0 };
    for (const item of value.split(",")) {
        const role = item.trim().split(":")[1];
        if (role === "server") out.servers++;
        else if (role === "agent") out.agents++;
        else return undefined;
    }
    return out;
}

function isSiteInfo(r: PolicyResource): SiteHosts | undefined {
    if (r.type !== "kubernetes:core/v1:ConfigMap") return undefined;
    const props = materialize(r.props);
    if (path(props, "metadata", "name") !== SITE_INFO_NAME || path(props, "metadata", "namespace") !== SITE_INFO_NAMESPACE) return undefined;
    return parseSiteInfoHosts(path(props, "data", "hosts"));
}

function groupBySite(resources: PolicyResource[]): Site[] {
    const sites = new Map<string, Site>();
    for (const r of resources) {
        const kind = workloadKindOfType(r.type);
        const info = kind ? undefined : isSiteInfo(r);
        if (!kind && !info) continue;
        const key = r.provider?.urn ?? "";
        let site = sites.get(key);
        if (!site) {
            site = { id: siteIdOfProvider(r.provider), ...(r.provider ? { providerUrn: r.provider.urn } : {}), entries: [] };
            sites.set(key, site);
        }
        if (info) {
            site.siteInfo = info;
            continue;
        }
        const workload = extractWorkload(kind!, materialize(r.props), r.name);
        site.entries.push({ workload, pod: podRequests(workload), replicas: isUnknown(workload.replicas) ? undefined : workload.replicas });
    }
    return [...sites.values()];
}

function describeHosts(h: SiteHosts): string {
    const part = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
    return [h.servers ? part(h.servers, "server") : "", h.agents ? part(h.agents, "agent") : ""].filter(Boolean).join(" + ");
}

const RESOURCE_TITLE: Record<ResourceName, string> = { cpu: "CPU", memory: "memory" };

function checkSite(site: Site, cfg: SiteCapacityConfig, report: (message: string, urn?: string) => void): void {
    const configured = cfg.sites[site.id];
    const hosts = configured ?? site.siteInfo ?? cfg.defaultSite;
    const source = configured ? "policy config" : site.siteInfo ? `${SITE_INFO_NAMESPACE}/${SITE_INFO_NAME}` : "defaultSite";
    const nodes = hosts.servers + hosts.agents;
    const perServer = { cpu: sub(cfg.host.cpu, cfg.k3sReserve.server.cpu), memory: sub(cfg.host.memory, cfg.k3sReserve.server.memory) };
    const perAgent = { cpu: sub(cfg.host.cpu, cfg.k3sReserve.agent.cpu), memory: sub(cfg.host.memory, cfg.k3sReserve.agent.memory) };
    const where = `site ${site.id} (${describeHosts(hosts)}, from ${source})`;
    for (const r of ["cpu", "memory"] as const) {
        const allocatable = add(times(perServer[r], hosts.servers), times(perAgent[r], hosts.agents));
        const largestHost = max(hosts.servers ? perServer[r] : ZERO, hosts.agents ? perAgent[r] : ZERO);
        let total: Quantity = ZERO;
        const parts: { label: string; amount: Quantity }[] = [];
        for (const e of site.entries) {
            const pods = e.workload.perNode ? nodes : e.replicas ?? 0;
            const amount = times(e.pod[r], pods);
            total = add(total, amount);
            const count = e.workload.perNode ? `${nodes} hosts` : e.replicas === undefined ? "replicas unknown" : `${pods}`;
            parts.push({ label: `${workloadLabel(e.workload)} ${count} x ${format(r, e.pod[r])}`, amount });
            // A workload scaled to zero schedules nothing; anything else needs one host that can take a pod.
            if ((pods > 0 || e.replicas === undefined) && cmp(e.pod[r], largestHost) > 0) {
                report(
                    `${where}: one pod of ${workloadLabel(e.workload)} requests ${RESOURCE_TITLE[r]} ${format(r, e.pod[r])} but the largest host ` +
                        `has ${format(r, largestHost)} allocatable; it can never be scheduled`,
                    site.providerUrn,
                );
            }
        }
        if (cmp(total, allocatable) > 0) {
            const top = parts
                .sort((a, b) => cmp(b.amount, a.amount))
                .slice(0, 5)
                .map((p) => p.label)
                .join("; ");
            const reserve =
                `${hosts.servers ? `${hosts.servers} x (${cfg.host.raw[r]} - ${cfg.k3sReserve.server.raw[r]})` : ""}` +
                `${hosts.servers && hosts.agents ? " + " : ""}` +
                `${hosts.agents ? `${hosts.agents} x (${cfg.host.raw[r]} - ${cfg.k3sReserve.agent.raw[r]})` : ""}`;
            const incomplete = site.entries.some((e) => !e.pod.complete || e.replicas === undefined) ? " (at least: some values are not known yet)" : "";
            report(
                `${where}: ${RESOURCE_TITLE[r]} requests ${format(r, total)}${incomplete} exceed the allocatable ${format(r, allocatable)} = ${reserve}; ` +
                    `largest: ${top}`,
                site.providerUrn,
            );
        }
    }
}

export const siteCapacityPolicy: StackValidationPolicy = {
    name: SITE_CAPACITY,
    description: "Per site (Kubernetes provider), replicas x pod requests of all workloads (DaemonSets once per host) fit hosts x capacity - K3s reserve.",
    enforcementLevel: "mandatory",
    configSchema: siteCapacitySchema,
    validateStack: (args, report) => {
        const cfg = resolveSiteCapacityConfig(args.getConfig());
        for (const site of groupBySite(args.resources)) checkSite(site, cfg, report);
    },
};

/** For tests and the offline report: exposed so a caller can see which sites were considered. */
export function sitesOf(resources: PolicyResource[]): { id: string; workloads: number; hostsFromSiteInfo?: SiteHosts }[] {
    return groupBySite(resources).map((s) => ({ id: s.id, workloads: s.entries.length, ...(s.siteInfo ? { hostsFromSiteInfo: s.siteInfo } : {}) }));
}

