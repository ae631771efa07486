/**
 * A real Prometheus (Debian's binary) for the rollout tests, scraping a test exporter that serves, per site, what
 * the hub receives from a site's agent: the agent heartbeat, the tracking service's latency histogram, the
 * kubelet per node, node memory, the broker's and Gatekeeper's webhook containers and readiness metrics. Every target carries `region` and
 * `site` labels as the agents' external labels do. The project's own alert rules are loaded, with every `for:`
 * cut to 1s in this test copy so an alert can fire within a test.
 *
 * Each site has a behaviour the test can switch at any time: healthy, agent down, slow tracking, host memory
 * nearly full, one kubelet down.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as path from "node:path";
import { alertRulesFile } from "../../../components/addons/monitoring/rules";
import { JOBS } from "../../../components/addons/monitoring/names";
import { hasBinary, scratchDir, writeYaml } from "../../components/addons/monitoring/promtool";
import { freePort } from "../../support/net";

export type SiteBehaviour = "healthy" | "agent-down" | "slow" | "memory-full" | "kubelet-down";

export interface LabSite {
    id: string;
    nodes: string[];
}

export const prometheusAvailable = hasBinary("prometheus");


// Histogram buckets of the tracking service (seconds).
const BUCKETS = [0.001, 0.005, 0.01, 0.015, 0.03, 0.05, 0.1, 0.25, 1];

export class PromLab {
    readonly behaviour = new Map<string, SiteBehaviour>();
    private readonly counters = new Map<string, { buckets: number[]; count: number; sum: number; probes: number }>();
    private server?: http.Server;
    private prom?: ChildProcess;
    dir = "";
    promUrl = "";

    constructor(
        readonly region: string,
        readonly sites: LabSite[],
    ) {
        for (const s of sites) this.behaviour.set(s.id, "healthy");
    }

    private metrics(site: string, job: string, node: string | undefined): string | undefined {
        const b = this.behaviour.get(site) ?? "healthy";
        if (job === JOBS.agent) return b === "agent-down" ? undefined : "# agent self-metrics\nprometheus_build_info 1\n";
        if (job === JOBS.kubelet) return b === "kubelet-down" && node === this.sites.find((s) => s.id === site)!.nodes.at(-1) ? undefined : `kubelet_node_name{node="${node}"} 1\n`;
        if (job === JOBS.nodeExporter) {
            const total = 4 * 2 ** 30;
            const avail = b === "memory-full" ? 0.05 * total : 0.6 * total;
            return `node_memory_MemTotal_bytes ${total}\nnode_memory_MemAvailable_bytes ${avail}\n`;
        }
        const c = this.counters.get(site) ?? { buckets: BUCKETS.map(() => 0), count: 0, sum: 0, probes: 0 };
        this.counters.set(site, c);
        if (job === JOBS.tracking) {
            // 200 requests per scrape: healthy = 99.5% under 10 ms; slow = 5% between 50 and 100 ms (p99 ~ 90 ms).
            const slowShare = b === "slow" ? 0.05 : 0.005;
            const n = 200;
            const slow = Math.round(n * slowShare);
            const latencies = [...Array(n - slow).fill(0.004), ...Array(slow).fill(b === "slow" ? 0.08 : 0.012)];
            for (const l of latencies) {
                BUCKETS.forEach((le, i) => {
                    if (l <= le) c.buckets[i]++;
                });
                c.count++;
                c.sum += l;
            }
            const lines = BUCKETS.map((le, i) => `tracking_http_request_duration_seconds_bucket{le="${le}"} ${c.buckets[i]}`);
            lines.push(`tracking_http_request_duration_seconds_bucket{le="+Inf"} ${c.count}`, `tracking_http_request_duration_seconds_count ${c.count}`, `tracking_http_request_duration_seconds_sum ${c.sum}`);
            return `${lines.join("\n")}\n`;
        }
        // The broker and Gatekeeper's webhook (the controller's manager container) run and pass readiness.
        const gatekeeper = `container="manager",namespace="gatekeeper-system",pod="gatekeeper-controller-manager-0"`;
        if (job === JOBS.cadvisor)
            return [
                `container_memory_working_set_bytes{container="mosquitto",namespace="edge-broker",pod="mqtt-broker-0"} ${20 * 2 ** 20}`,
                `container_spec_memory_limit_bytes{container="mosquitto",namespace="edge-broker",pod="mqtt-broker-0"} ${128 * 2 ** 20}`,
                `container_memory_working_set_bytes{${gatekeeper}} ${120 * 2 ** 20}`,
                `container_spec_memory_limit_bytes{${gatekeeper}} ${512 * 2 ** 20}`,
                "",
            ].join("\n");
        if (job === JOBS.probes) {
            c.probes += 1;
            return [
                `prober_probe_total{container="mosquitto",namespace="edge-broker",pod="mqtt-broker-0",probe_type="Readiness",result="successful"} ${c.probes}`,
                `prober_probe_total{${gatekeeper},probe_type="Readiness",result="successful"} ${c.probes}`,
                "",
            ].join("\n");
        }
        return undefined;
    }

    async start(): Promise<void> {
        if (!prometheusAvailable) throw new Error("prometheus is not installed: apt-get install --no-install-recommends prometheus");
        this.dir = scratchDir("rollout-prom");
        this.server = http.createServer((req, res) => {
            const [, site, job, node] = (req.url ?? "").split("?")[0].split("/");
            const body = this.metrics(site, job, node || undefined);
            if (body === undefined) {
                res.writeHead(503).end("down\n");
                return;
            }
            res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4" }).end(body);
        });
        const exporterPort = await freePort();
        await new Promise<void>((r) => this.server!.listen(exporterPort, "127.0.0.1", () => r()));
        const promPort = await freePort();
        const target = `127.0.0.1:${exporterPort}`;
        const perSite = (job: string) => this.sites.map((s) => ({ targets: [target], labels: { region: this.region, site: s.id, __metrics_path__: `/${s.id}/${job}` } }));
        const perNode = (job: string) =>
            this.sites.flatMap((s) => s.nodes.map((n) => ({ targets: [target], labels: { region: this.region, site: s.id, node: n, __metrics_path__: `/${s.id}/${job}/${n}` } })));
        const config = {
            global: { scrape_interval: "1s", scrape_timeout: "900ms", evaluation_interval: "1s" },
            rule_files: [path.join(this.dir, "rules.yml")],
            scrape_configs: [
                { job_name: JOBS.agent, static_configs: perSite(JOBS.agent) },
                { job_name: JOBS.tracking, static_configs: perSite(JOBS.tracking) },
                { job_name: JOBS.cadvisor, static_configs: perSite(JOBS.cadvisor) },
                { job_name: JOBS.probes, static_configs: perSite(JOBS.probes) },
                { job_name: JOBS.kubelet, static_configs: perNode(JOBS.kubelet) },
                { job_name: JOBS.nodeExporter, static_configs: perNode(JOBS.nodeExporter) },
            ],
        };
        const rules = alertRulesFile(this.region, this.sites.map((s) => s.id));
        for (const g of rules.groups) for (const r of g.rules) if (r.for) r.for = "1s";
        writeYaml(path.join(this.dir, "rules.yml"), rules);
        writeYaml(path.join(this.dir, "prometheus.yml"), config);
        const log = fs.openSync(path.join(this.dir, "prometheus.log"), "w");
        this.prom = spawn(
            "prometheus",
            [`--config.file=${path.join(this.dir, "prometheus.yml")}`, `--storage.tsdb.path=${path.join(this.dir, "data")}`, `--web.listen-address=127.0.0.1:${promPort}`],
            { stdio: ["ignore", log, log] },
        );
        this.promUrl = `http://127.0.0.1:${promPort}`;
        const deadline = Date.now() + 45_000;
        for (;;) {
            try {
                const r = await fetch(`${this.promUrl}/-/ready`);
                if (r.status === 200) break;
            } catch {
                // not listening yet
            }
            if (Date.now() > deadline) throw new Error(`prometheus did not become ready; log in ${this.dir}`);
            await new Promise((r) => setTimeout(r, 300));
        }
    }

    /**
     * Waits for the first scrape of every site's targets (Prometheus starts scraping a few seconds after it is
     * ready), then `seconds` more, so a gate window of that length lies after start-up.
     */
    async warmUp(seconds: number): Promise<void> {
        const want = this.sites.length;
        const deadline = Date.now() + 30_000;
        for (;;) {
            const r = (await (await fetch(`${this.promUrl}/api/v1/query?query=${encodeURIComponent(`count(up{job="${JOBS.tracking}"})`)}`)).json()) as any;
            if (Number(r.data?.result?.[0]?.value?.[1] ?? 0) >= want) break;
            if (Date.now() > deadline) throw new Error(`targets were never scraped; log in ${this.dir}`);
            await new Promise((res) => setTimeout(res, 250));
        }
        await new Promise((res) => setTimeout(res, seconds * 1000));
    }

    stop(): void {
        if (this.prom?.pid && this.prom.exitCode === null) process.kill(this.prom.pid, "SIGKILL");
        this.server?.close();
    }
}
