/**
 * Stack policy: per site (= per Kubernetes provider), the workloads' pod requests times the pods that run at once
 * must fit the site's allocatable capacity, hosts x host capacity - K3s reserve per role. DaemonSets count once
 * per host. Also every single pod must fit on the site's largest host, or it can never be scheduled.
 *
 * What a pod counts is what it can really take: each container's request, but at least its limit divided by
 * `maxLimitRequestRatio` (so requests of 0 or 1m under large limits cannot overcommit a host), plus the pod's
 * overhead (its own spec.overhead, or the overhead.podFixed of its RuntimeClass when that class is in the stack).
 *
 * How many hosts (and which roles) a site has comes only from the policy config `sites.<id>`, which
 * `policy:check --stack-file F --print-pack-config` and synth fill from the stack config; a site it does not name
 * gets `defaultSite` (one server: the smallest site). Nothing in the manifests (such as a ConfigMap of the
 * program's own name) can change it.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import type { Quantity } from "../../components/config/quantity";
import { parseProviderName } from "../../components/naming";
import { add, cmp, format, max, parse, sub, times, ZERO, type ResourceName } from "../amount";
import { isUnknown, materialize, path } from "../known";
import { extractWorkload, podRequests, workloadKindOfType, workloadLabel, type PodRequests, type Workload } from "../workloads";
import { resolveSiteCapacityConfig, siteCapacitySchema, type SiteCapacityConfig, type SiteHosts } from "./config";

export const SITE_CAPACITY = "site-capacity";
export const K8S_PROVIDER_TYPE = "pulumi:providers:kubernetes";

interface Entry {
    workload: Workload;
    pod: PodRequests;
    replicas: number | undefined;
}

interface Site {
    id: string;
    providerUrn?: string;
    entries: Entry[];
    /** RuntimeClasses of this site by name: their overhead.podFixed. */
    runtimeClasses: Map<string, Partial<Record<ResourceName, Quantity>>>;
}

const RUNTIME_CLASS_TYPE_RE = /^kubernetes:node\.k8s\.io\/[^:]+:RuntimeClass$/;

function runtimeClassOverhead(props: unknown): Partial<Record<ResourceName, Quantity>> {
    const out: Partial<Record<ResourceName, Quantity>> = {};
    for (const r of ["cpu", "memory"] as const) {
        const v = path(props, "overhead", "podFixed", r);
        if (typeof v === "string" || typeof v === "number") {
            try {
                out[r] = parse(v);
            } catch {
                /* an invalid quantity is refused by the API server; nothing to add */
            }
        }
    }
    return out;
}

/** Site id from the provider: the program names each site's provider `<siteId>-k8s`. */
export function siteIdOfProvider(provider: { name: string } | undefined): string {
    if (!provider) return "(default provider)";
    return parseProviderName(provider.name) ?? provider.name;
}

function groupBySite(resources: PolicyResource[], cfg: SiteCapacityConfig): Site[] {
    const sites = new Map<string, Site>();
    const siteOf = (r: PolicyResource) => {
        const key = r.provider?.urn ?? "";
        let site = sites.get(key);
        if (!site) {
            site = { id: siteIdOfProvider(r.provider), ...(r.provider ? { providerUrn: r.provider.urn } : {}), entries: [], runtimeClasses: new Map() };
            sites.set(key, site);
        }
        return site;
    };
    const pending: { site: Site; kind: NonNullable<ReturnType<typeof workloadKindOfType>>; r: PolicyResource }[] = [];
    for (const r of resources) {
        if (RUNTIME_CLASS_TYPE_RE.test(r.type)) {
            const props = materialize(r.props);
            const name = path(props, "metadata", "name");
            if (typeof name === "string") siteOf(r).runtimeClasses.set(name, runtimeClassOverhead(props));
            continue;
        }
        const kind = workloadKindOfType(r.type);
        if (kind) pending.push({ site: siteOf(r), kind, r });
    }
    // Workloads after every RuntimeClass is known (their order in the stack does not matter).
    for (const { site, kind, r } of pending) {
        const workload = extractWorkload(kind, materialize(r.props), r.name);
        const pod = podRequests(workload, { maxLimitRequestRatio: cfg.maxLimitRequestRatio, runtimeClassOverhead: (name) => site.runtimeClasses.get(name) });
        site.entries.push({ workload, pod, replicas: isUnknown(workload.replicas) ? undefined : workload.replicas });
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
    const hosts = configured ?? cfg.defaultSite;
    const source = configured ? "policy config" : "defaultSite";
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
        for (const site of groupBySite(args.resources, cfg)) checkSite(site, cfg, report);
    },
};

/** For tests and the offline report: exposed so a caller can see which sites were considered. */
export function sitesOf(resources: PolicyResource[], config: unknown = {}): { id: string; workloads: number }[] {
    return groupBySite(resources, resolveSiteCapacityConfig(config)).map((s) => ({ id: s.id, workloads: s.entries.length }));
}

