// Bonus end to end with the real Prometheus binary (Debian 2.42): two site agents running the generated agent
// config remote-write to a hub running the generated hub config, web config (bcrypt basic auth) and alert rules.
// Site A has the right password, site B a wrong one: the hub stores A's samples, refuses B's, and EdgeSiteDown
// fires for B only. Kubernetes SD blocks are swapped for file SD in the test copy (see promtool.ts).
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentConfig, hubConfig, hubWebConfig, renderYaml } from "../../../../components/addons/monitoring/prometheus-config";
import { alertRulesFile } from "../../../../components/addons/monitoring/rules";
import { forPromtool, hasBinary, scratchDir, writeYaml } from "./promtool";
import { freePort } from "../../../support/net";

const PASSWORD = "edge-test-password"; // plaintext of fixtures/bcrypt-hash.txt
const HASH = fs.readFileSync(path.join(__dirname, "fixtures", "bcrypt-hash.txt"), "utf8").trim();
const REGION = "cn-east";
const children: ChildProcess[] = [];
let dir: string;
let hubPort: number;


function start(name: string, args: string[]): void {
    const log = fs.openSync(path.join(dir, `${name}.log`), "w");
    const child = spawn("prometheus", args, { stdio: ["ignore", log, log] });
    children.push(child);
}

const auth = (user: string, password: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` });

async function hubGet(pathAndQuery: string, headers: Record<string, string> = auth("reader", PASSWORD)) {
    const res = await fetch(`http://127.0.0.1:${hubPort}${pathAndQuery}`, { headers });
    const json = res.status === 200 && (res.headers.get("content-type") ?? "").includes("json");
    return { status: res.status, body: json ? ((await res.json()) as any) : undefined };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 45_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        try {
            const v = await probe();
            if (v !== undefined) return v;
        } catch {
            // not up yet
        }
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; logs in ${dir}`);
        await new Promise((r) => setTimeout(r, 500));
    }
}

const available = hasBinary("prometheus");

beforeAll(async () => {
    if (!available) throw new Error("prometheus is not installed: apt-get install --no-install-recommends prometheus");
    dir = scratchDir("prom-e2e");
    hubPort = await freePort();

    // Hub: the generated config, faster intervals for the test, rules and web config in the scratch dir.
    const { config: hub } = forPromtool(hubConfig({ region: REGION, hubSiteId: "site-a", readerUser: "reader" }) as Record<string, any>, dir);
    hub.global.scrape_interval = "1s";
    hub.global.evaluation_interval = "1s";
    hub.rule_files = [path.join(dir, "rules", "*.yml")];
    hub.scrape_configs[0].static_configs[0].targets = [`127.0.0.1:${hubPort}`];
    fs.writeFileSync(hub.scrape_configs[0].basic_auth.password_file, PASSWORD);
    writeYaml(path.join(dir, "rules", "alerts.yml"), alertRulesFile(REGION, ["site-a", "site-b"]));
    writeYaml(path.join(dir, "hub.yml"), hub);
    fs.writeFileSync(path.join(dir, "web.yml"), renderYaml(hubWebConfig({ "site-site-a": HASH, "site-site-b": HASH, reader: HASH })));
    start("hub", [
        `--config.file=${path.join(dir, "hub.yml")}`,
        `--storage.tsdb.path=${path.join(dir, "hub-data")}`,
        "--web.enable-remote-write-receiver",
        `--web.config.file=${path.join(dir, "web.yml")}`,
        `--web.listen-address=127.0.0.1:${hubPort}`,
    ]);

    for (const [site, password] of [["site-a", PASSWORD], ["site-b", "not-the-password"]] as const) {
        const port = await freePort();
        const siteDir = path.join(dir, site);
        fs.mkdirSync(siteDir);
        const generated = agentConfig({ region: REGION, siteId: site, remoteWriteUrl: `http://127.0.0.1:${hubPort}/api/v1/write`, remoteWriteUser: `site-${site}`, trackingPort: 8080 });
        const { config: agent } = forPromtool(generated as Record<string, any>, siteDir);
        agent.global.scrape_interval = "1s";
        agent.global.scrape_timeout = "1s";
        agent.remote_write[0].queue_config.batch_send_deadline = "1s";
        agent.scrape_configs.find((j: any) => j.job_name === "prometheus-agent").static_configs[0].targets = [`127.0.0.1:${port}`];
        fs.writeFileSync(agent.remote_write[0].basic_auth.password_file, password);
        writeYaml(path.join(siteDir, "agent.yml"), agent);
        start(site, [
            `--config.file=${path.join(siteDir, "agent.yml")}`,
            "--enable-feature=agent",
            `--storage.agent.path=${path.join(siteDir, "wal")}`,
            `--web.listen-address=127.0.0.1:${port}`,
        ]);
    }
    await until("the hub", async () => ((await hubGet("/-/ready")).status === 200 ? true : undefined));
}, 60_000);

afterAll(() => {
    // SIGKILL: an agent whose remote write is refused would otherwise wait a minute to flush on SIGTERM.
    for (const c of children) if (c.pid && c.exitCode === null) process.kill(c.pid, "SIGKILL");
});

describe.runIf(available)("agent -> hub end to end", () => {
    it("the hub refuses unauthenticated and wrongly authenticated requests", async () => {
        expect((await hubGet("/api/v1/status/config", {})).status).toBe(401);
        expect((await hubGet("/api/v1/status/config", auth("reader", "wrong"))).status).toBe(401);
    });

    it("site A's agent heartbeat arrives with region and site labels; site B's (wrong password) never does", async () => {
        const series = await until("site-a's up series", async () => {
            const r = await hubGet(`/api/v1/query?query=${encodeURIComponent('up{job="prometheus-agent"}')}`);
            const result = r.body?.data?.result ?? [];
            return result.length > 0 ? result : undefined;
        });
        expect(series.map((s: any) => s.metric)).toEqual([{ __name__: "up", instance: expect.any(String), job: "prometheus-agent", region: REGION, site: "site-a" }]);
        const b = await hubGet(`/api/v1/query?query=${encodeURIComponent('count(up{site="site-b"})')}`);
        expect(b.body.data.result).toEqual([]);
    });

    it("EdgeSiteDown fires on the hub for site B and not for site A", async () => {
        // Both fire at the first evaluation (neither has sent yet); A's resolves once its samples arrive.
        const firingSites = async () => {
            const r = await hubGet("/api/v1/alerts");
            return (r.body?.data?.alerts ?? []).filter((a: any) => a.labels.alertname === "EdgeSiteDown" && a.state === "firing").map((a: any) => a.labels.site as string).sort();
        };
        await until("EdgeSiteDown for site-b only", async () => ((await firingSites()).join() === "site-b" ? true : undefined));
        // And it stays that way over further evaluations (1 s interval).
        await new Promise((r) => setTimeout(r, 3000));
        expect(await firingSites()).toEqual(["site-b"]);
        const rules = await hubGet("/api/v1/rules");
        expect(rules.body.data.groups.map((g: any) => g.name).sort()).toEqual(["edge-broker", "edge-budget", "edge-certificates-and-backups", "edge-site-heartbeat", "edge-tracking-slo"]);
    });
});
