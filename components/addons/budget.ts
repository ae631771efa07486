/**
 * The per-site budget table: K3s reserve + every add-on container + the tracking service, summed against the
 * site's host capacity, all from edge-estate:budget (the one place for the numbers). Pure; scripts/budget.ts prints
 * it as Markdown (`npm run budget -- --stack prod [--site ID]`).
 */
import { formatBytes, formatMilliCpu, toBytes, toMilliCpu } from "../config/quantity";
import type { ContainerResources } from "../config/types";
import { componentBudget, type SitePlan } from "../plan";

export interface BudgetRow {
    component: string;
    count: number;
    /** Totals for `count` instances: millicores / bytes. */
    cpuRequest: number;
    memoryRequest: number;
    cpuLimit: number;
    memoryLimit: number;
}

export interface SiteBudget {
    site: string;
    hosts: number;
    rows: BudgetRow[];
    total: Omit<BudgetRow, "component" | "count">;
    capacity: { cpu: number; memory: number };
    /** capacity - totals (negative = over). */
    headroom: { cpuRequest: number; memoryRequest: number; cpuLimit: number; memoryLimit: number };
    warnings: string[];
}

function row(component: string, count: number, r: ContainerResources): BudgetRow {
    return {
        component,
        count,
        cpuRequest: count * toMilliCpu(r.requests.cpu),
        memoryRequest: count * toBytes(r.requests.memory),
        cpuLimit: count * toMilliCpu(r.limits.cpu),
        memoryLimit: count * toBytes(r.limits.memory),
    };
}

/** What runs on one site, per add-on, and how many instances. */
export function siteBudget(plan: SitePlan): SiteBudget {
    const { config, site } = plan;
    const need = (key: string) => componentBudget(config, key);
    const servers = plan.servers.length;
    const agents = plan.agents.length;
    const reserve = (role: "server" | "agent", count: number): BudgetRow => {
        const r = config.budget.k3sReserve[role];
        // The reserve is kept from the kubelet's allocatable: it counts as both request and limit.
        return row(`K3s ${role} + OS (reserve)`, count, { requests: r, limits: r });
    };
    const rows: BudgetRow[] = [
        ...(servers ? [reserve("server", servers)] : []),
        ...(agents ? [reserve("agent", agents)] : []),
        row("Gatekeeper controller (webhook)", 1, need("gatekeeperController")),
        row("Gatekeeper audit", 1, need("gatekeeperAudit")),
        row("Mosquitto broker", 1, need("broker")),
        row("Tracking service (Wasm)", plan.trackingReplicas, need("tracking")),
        row("Prometheus agent", 1, need("prometheusAgent")),
        row("node-exporter (per host)", site.hosts.length, need("nodeExporter")),
    ];
    if (plan.isHub) {
        rows.push(row("Prometheus hub (region)", 1, need("prometheusHub")), row("Grafana (region)", 1, need("grafana")));
    }
    const sum = (k: keyof Omit<BudgetRow, "component" | "count">) => rows.reduce((a, r) => a + r[k], 0);
    const total = { cpuRequest: sum("cpuRequest"), memoryRequest: sum("memoryRequest"), cpuLimit: sum("cpuLimit"), memoryLimit: sum("memoryLimit") };
    const capacity = { cpu: site.hosts.length * toMilliCpu(config.budget.host.cpu), memory: site.hosts.length * toBytes(config.budget.host.memory) };
    const headroom = {
        cpuRequest: capacity.cpu - total.cpuRequest,
        memoryRequest: capacity.memory - total.memoryRequest,
        cpuLimit: capacity.cpu - total.cpuLimit,
        memoryLimit: capacity.memory - total.memoryLimit,
    };
    const warnings: string[] = [];
    if (headroom.cpuRequest < 0 || headroom.memoryRequest < 0) warnings.push("requests exceed the site's capacity: pods will stay Pending");
    if (headroom.memoryLimit < 0) warnings.push("memory limits exceed the site's capacity: under full load the kernel OOM-kills");
    if (headroom.cpuLimit < 0) warnings.push(`CPU limits exceed capacity by ${formatMilliCpu(-headroom.cpuLimit)} (CPU is throttled, not killed: burst overcommit only)`);
    const schedulable = plan.schedulableHosts.length;
    if (plan.trackingReplicas > schedulable) warnings.push(`more tracking replicas than schedulable hosts (${schedulable})`);
    return { site: site.id, hosts: site.hosts.length, rows, total, capacity, headroom, warnings };
}

const cpu = (m: number) => (m < 0 ? `-${formatMilliCpu(-m)}` : formatMilliCpu(m));
const mem = (b: number) => (b < 0 ? `-${formatBytes(-b)}` : formatBytes(b));

export function budgetMarkdown(b: SiteBudget): string {
    const lines = [
        `Site \`${b.site}\` (${b.hosts} host${b.hosts === 1 ? "" : "s"}):`,
        "",
        "| Component | Instances | CPU request | Memory request | CPU limit | Memory limit |",
        "|---|---:|---:|---:|---:|---:|",
        ...b.rows.map((r) => `| ${r.component} | ${r.count} | ${cpu(r.cpuRequest)} | ${mem(r.memoryRequest)} | ${cpu(r.cpuLimit)} | ${mem(r.memoryLimit)} |`),
        `| **Total** | | **${cpu(b.total.cpuRequest)}** | **${mem(b.total.memoryRequest)}** | **${cpu(b.total.cpuLimit)}** | **${mem(b.total.memoryLimit)}** |`,
        `| Capacity | | ${cpu(b.capacity.cpu)} | ${mem(b.capacity.memory)} | ${cpu(b.capacity.cpu)} | ${mem(b.capacity.memory)} |`,
        `| **Headroom** | | **${cpu(b.headroom.cpuRequest)}** | **${mem(b.headroom.memoryRequest)}** | **${cpu(b.headroom.cpuLimit)}** | **${mem(b.headroom.memoryLimit)}** |`,
    ];
    for (const w of b.warnings) lines.push("", `> ${w}`);
    return lines.join("\n");
}
