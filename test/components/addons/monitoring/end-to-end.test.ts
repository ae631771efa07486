// End to end with the real Prometheus binary (Debian 2.42): site agents running the generated agent config
// remote-write over TLS to a hub running the generated hub config, web config (TLS from the region CA, bcrypt
// basic auth) and alert rules. The region CA and the hub's certificate are made with openssl (the @pulumi/tls
// provider cannot run here) for the names the program requests. Site A has the right password and pins the region
// CA: its samples arrive. Site B has a wrong password, site C pins another CA: the hub stores nothing of theirs,
// and EdgeSiteDown fires for B and C only. Plain HTTP and clients that do not trust the region CA are refused.
// Kubernetes SD blocks are swapped for file SD in the test copy (see promtool.ts).
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import { isIP } from "node:net";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentConfig, hubConfig, hubWebConfig, renderYaml } from "../../../../components/addons/monitoring/prometheus-config";
import { alertRulesFile } from "../../../../components/addons/monitoring/rules";
import { hubServiceName } from "../../../../components/addons/monitoring/grafana";
import { forPromtool, hasBinary, scratchDir, writeYaml } from "./promtool";
import { freePort } from "../../../support/net";
import { makeOpensslCa, type OpensslCa } from "../../../support/openssl-ca";

const PASSWORD = "edge-test-password"; // plaintext of fixtures/bcrypt-hash.txt
const HASH = fs.readFileSync(path.join(__dirname, "fixtures", "bcrypt-hash.txt"), "utf8").trim();
const REGION = "cn-east";
const children: ChildProcess[] = [];
let dir: string;
let hubPort: number;
let regionCa: OpensslCa;
let rogueCa: OpensslCa;


function start(name: string, args: string[]): void {
    const log = fs.openSync(path.join(dir, `${name}.log`), "w");
    const child = spawn("prometheus", args, { stdio: ["ignore", log, log] });
    children.push(child);
}

const auth = (user: string, password: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` });

/** GET on the hub over TLS, trusting only `ca` (the region CA by default) and checking the name `servername`. */
function hubGet(pathAndQuery: string, headers: Record<string, string> = auth("reader", PASSWORD), ca = regionCa.caPem, servername = "127.0.0.1") {
    return new Promise<{ status: number; body: any }>((resolve, reject) => {
        const req = https.get({ host: "127.0.0.1", port: hubPort, path: pathAndQuery, headers, ca, timeout: 5000, ...(isIP(servername) ? {} : { servername }) }, (res) => {
            let text = "";
            res.setEncoding("utf8");
            res.on("data", (d) => (text += d));
            res.on("end", () => {
                const json = res.statusCode === 200 && (res.headers["content-type"] ?? "").includes("json");
                resolve({ status: res.statusCode ?? 0, body: json ? JSON.parse(text) : undefined });
            });
        });
        req.on("error", reject);
        req.on("timeout", () => req.destroy(new Error("timeout")));
    });
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
    // The hub's certificate names what its clients check: the address the sites dial and its Service name (self-scrape).
    regionCa = makeOpensslCa(path.join(dir, "region-ca"), `edge-estate ${REGION} TLS CA`);
    const hubCert = regionCa.issue("hub", "prometheus-hub.site-a", ["127.0.0.1", hubServiceName()]);
    rogueCa = makeOpensslCa(path.join(dir, "rogue-ca"), "not the region CA");

    // Hub: the generated config, faster intervals for the test, rules and web config in the scratch dir.
    const { config: hub } = forPromtool(hubConfig({ region: REGION, hubSiteId: "site-a", readerUser: "reader", serverName: hubServiceName() }) as Record<string, any>, dir);
    hub.global.scrape_interval = "1s";
    hub.global.evaluation_interval = "1s";
    hub.rule_files = [path.join(dir, "rules", "*.yml")];
    hub.scrape_configs[0].static_configs[0].targets = [`127.0.0.1:${hubPort}`];
    fs.writeFileSync(hub.scrape_configs[0].basic_auth.password_file, PASSWORD);
    fs.writeFileSync(hub.scrape_configs[0].tls_config.ca_file, regionCa.caPem);
    writeYaml(path.join(dir, "rules", "alerts.yml"), alertRulesFile(REGION, ["site-a", "site-b", "site-c"]));
    writeYaml(path.join(dir, "hub.yml"), hub);
    fs.writeFileSync(path.join(dir, "web.yml"), renderYaml(hubWebConfig({ "site-site-a": HASH, "site-site-b": HASH, "site-site-c": HASH, reader: HASH }, { certFile: hubCert.chainFile, keyFile: hubCert.keyFile })));
    start("hub", [
        `--config.file=${path.join(dir, "hub.yml")}`,
        `--storage.tsdb.path=${path.join(dir, "hub-data")}`,
        "--web.enable-remote-write-receiver",
        `--web.config.file=${path.join(dir, "web.yml")}`,
        `--web.listen-address=127.0.0.1:${hubPort}`,
    ]);

    for (const [site, password, ca] of [["site-a", PASSWORD, regionCa], ["site-b", "not-the-password", regionCa], ["site-c", PASSWORD, rogueCa]] as const) {
        const port = await freePort();
        const siteDir = path.join(dir, site);
        fs.mkdirSync(siteDir);
        const generated = agentConfig({
            region: REGION,
            siteId: site,
            remoteWriteUrl: `https://127.0.0.1:${hubPort}/api/v1/write`,
            remoteWriteUser: `site-${site}`,
            remoteWriteServerName: "127.0.0.1",
            trackingPort: 8080,
        });
        const { config: agent } = forPromtool(generated as Record<string, any>, siteDir);
        agent.global.scrape_interval = "1s";
        agent.global.scrape_timeout = "1s";
        agent.remote_write[0].queue_config.batch_send_deadline = "1s";
        agent.scrape_configs.find((j: any) => j.job_name === "prometheus-agent").static_configs[0].targets = [`127.0.0.1:${port}`];
        fs.writeFileSync(agent.remote_write[0].basic_auth.password_file, password);
        fs.writeFileSync(agent.remote_write[0].tls_config.ca_file, ca.caPem);
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
        expect((await hubGet("/api/v1/status/config")).status).toBe(200);
    });

    it("the hub speaks TLS only: plain HTTP gets no data, and a client that does not trust the region CA or checks another name is refused", async () => {
        const plain = await fetch(`http://127.0.0.1:${hubPort}/api/v1/query?query=up`, { headers: auth("reader", PASSWORD) });
        expect(plain.status).toBe(400);
        expect(await plain.text()).toMatch(/HTTP request to an HTTPS server/);
        await expect(hubGet("/api/v1/query?query=up", auth("reader", PASSWORD), rogueCa.caPem)).rejects.toThrow(/self[- ]signed|unable to (verify|get local issuer)/i);
        await expect(hubGet("/api/v1/query?query=up", auth("reader", PASSWORD), regionCa.caPem, "prometheus-hub.elsewhere.svc")).rejects.toThrow(/altnames|does not match/i);
    });

    it("the hub's self-scrape checks its own certificate for the Service name and succeeds", async () => {
        const up = await until("the hub's self-scrape", async () => {
            const r = await hubGet(`/api/v1/query?query=${encodeURIComponent('up{job="prometheus-hub"}')}`);
            return r.body?.data?.result?.[0]?.value?.[1];
        });
        expect(up).toBe("1");
    });

    it("site A's agent heartbeat arrives over TLS with region and site labels; site B's (wrong password) and site C's (another CA) never do", async () => {
        const series = await until("site-a's up series", async () => {
            const r = await hubGet(`/api/v1/query?query=${encodeURIComponent('up{job="prometheus-agent"}')}`);
            const result = r.body?.data?.result ?? [];
            return result.length > 0 ? result : undefined;
        });
        expect(series.map((s: any) => s.metric)).toEqual([{ __name__: "up", instance: expect.any(String), job: "prometheus-agent", region: REGION, site: "site-a" }]);
        for (const refused of ["site-b", "site-c"]) {
            // Any series of that site except the hub's own alert series about it.
            const r = await hubGet(`/api/v1/query?query=${encodeURIComponent(`count({site="${refused}", __name__!~"ALERTS|ALERTS_FOR_STATE"})`)}`);
            expect(r.body.data.result, refused).toEqual([]);
        }
        // Site C's agent did try: it failed the TLS handshake (its log names the certificate), not the network.
        await until("site C's refused handshake in its log", async () => (/x509: certificate signed by unknown authority/.test(fs.readFileSync(path.join(dir, "site-c.log"), "utf8")) ? true : undefined));
    });

    it("EdgeSiteDown fires on the hub for sites B and C and not for site A", async () => {
        // Both fire at the first evaluation (neither has sent yet); A's resolves once its samples arrive.
        const firingSites = async () => {
            const r = await hubGet("/api/v1/alerts");
            return (r.body?.data?.alerts ?? []).filter((a: any) => a.labels.alertname === "EdgeSiteDown" && a.state === "firing").map((a: any) => a.labels.site as string).sort();
        };
        await until("EdgeSiteDown for site-b and site-c only", async () => ((await firingSites()).join() === "site-b,site-c" ? true : undefined));
        // And it stays that way over further evaluations (1 s interval).
        await new Promise((r) => setTimeout(r, 3000));
        expect(await firingSites()).toEqual(["site-b", "site-c"]);
        const rules = await hubGet("/api/v1/rules");
        expect(rules.body.data.groups.map((g: any) => g.name).sort()).toEqual(["edge-broker", "edge-budget", "edge-certificates-and-backups", "edge-gatekeeper", "edge-site-heartbeat", "edge-tracking-slo"]);
    });
});
