// The generated Prometheus configs (components/addons/monitoring/prometheus-config.ts) checked by the real
// promtool. Debian's promtool has no kubernetes_sd_configs: see promtool.ts for the test-copy rewrite.
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { loadStackFile } from "../../../../components/config/load";
import { JOBS, TRACKING_POD_LABEL } from "../../../../components/addons/monitoring/names";
import { agentConfig, hubConfig, hubWebConfig, KEEP_METRICS, LOCKED_BCRYPT_HASH, renderYaml } from "../../../../components/addons/monitoring/prometheus-config";
import { remoteWriteUrl } from "../../../../components/addons/monitoring/objects";
import { alertRulesFile } from "../../../../components/addons/monitoring/rules";
import { forPromtool, promtool, requirePromtool, scratchDir, writeYaml } from "./promtool";
import { planSite } from "../../../../components/plan";

const root = path.join(__dirname, "..", "..", "..", "..");
const { config } = loadStackFile(path.join(root, "Pulumi.prod.yaml"));
const nonHub = config.sites.find((s) => s.id !== config.monitoring.hubSite)!;
const hubSite = config.sites.find((s) => s.id === config.monitoring.hubSite)!;

const agentFor = (site = nonHub) =>
    agentConfig({
        region: config.region,
        siteId: site.id,
        remoteWriteUrl: remoteWriteUrl(planSite(config, site)),
        remoteWriteUser: `site-${site.id}`,
        trackingPort: config.tracking.httpPort,
    }) as Record<string, any>;

beforeAll(() => requirePromtool());

describe("agent config", () => {
    it("passes `promtool check config --agent` (k8s SD swapped for file SD in the test copy)", () => {
        const dir = scratchDir("agent");
        const { config: copy, swapped } = forPromtool(agentFor(), dir);
        expect(swapped).toBe(6);
        const file = writeYaml(path.join(dir, "agent.yml"), copy);
        const r = promtool(["check", "config", "--agent", file], dir);
        expect(r.output).toContain("SUCCESS");
        expect(r.code, r.output).toBe(0);
    });

    it("is rejected by promtool when broken, so the check above can fail", () => {
        const dir = scratchDir("agent-bad");
        const { config: copy } = forPromtool(agentFor(), dir);
        copy.global.scrape_interval = "30 seconds";
        const r = promtool(["check", "config", "--agent", writeYaml(path.join(dir, "agent.yml"), copy)], dir);
        expect(r.code).toBe(1);
        expect(r.output).toMatch(/not a valid duration string/);
        // Agent mode forbids rule evaluation: a rule_files entry must be refused.
        const { config: withRules } = forPromtool({ ...agentFor(), rule_files: ["x.yml"] }, dir);
        expect(promtool(["check", "config", "--agent", writeYaml(path.join(dir, "agent2.yml"), withRules)], dir).code).toBe(1);
    });

    it("labels every sample with region and site and remote-writes with basic auth to the hub NodePort", () => {
        const c = agentFor();
        expect(c.global.external_labels).toEqual({ region: "cn-east", site: nonHub.id });
        const hubAddress = hubSite.hosts.find((h) => h.role === "server")!.address;
        expect(c.remote_write).toHaveLength(1);
        expect(c.remote_write[0].url).toBe(`http://${hubAddress}:30990/api/v1/write`);
        expect(c.remote_write[0].basic_auth.username).toBe(`site-${nonHub.id}`);
        expect(c.remote_write[0].basic_auth.password_file).toMatch(/^\/etc\/prometheus\//);
        // The hub site itself writes to the in-cluster Service.
        expect(agentFor(hubSite).remote_write[0].url).toBe("http://prometheus-hub.edge-monitoring.svc:9090/api/v1/write");
    });

    it("scrapes node-exporter, kubelet, cAdvisor, probes, the API server and the tracking service", () => {
        const jobs = Object.fromEntries(agentFor().scrape_configs.map((j: any) => [j.job_name, j]));
        expect(Object.keys(jobs).sort()).toEqual(Object.values(JOBS).filter((j) => j !== JOBS.hub).sort());
        for (const job of [JOBS.kubelet, JOBS.cadvisor, JOBS.probes]) {
            expect(jobs[job].kubernetes_sd_configs).toEqual([{ role: "node" }]);
            expect(jobs[job].scheme).toBe("https");
            expect(jobs[job].tls_config.insecure_skip_verify).toBeUndefined();
        }
        expect(jobs[JOBS.tracking].kubernetes_sd_configs[0].selectors[0].label).toBe(`${TRACKING_POD_LABEL.key}=${TRACKING_POD_LABEL.value}`);
        const trackingAddress = jobs[JOBS.tracking].relabel_configs.find((r: any) => r.target_label === "__address__");
        expect(trackingAddress.replacement).toBe("$1:8080");
        // The K3s endpoints share one registry; only the allowlisted names are kept.
        expect(jobs[JOBS.cadvisor].metric_relabel_configs[0]).toEqual({ source_labels: ["__name__"], regex: `(${KEEP_METRICS.cadvisor.join("|")})`, action: "keep" });
    });

    it("uses only kubernetes_sd_configs keys and roles Prometheus 2.53 documents", () => {
        const allowed = new Set(["role", "namespaces", "selectors", "api_server", "kubeconfig_file", "attach_metadata"]);
        for (const job of agentFor().scrape_configs) {
            for (const sd of job.kubernetes_sd_configs ?? []) {
                for (const k of Object.keys(sd)) expect(allowed.has(k), `${job.job_name}: ${k}`).toBe(true);
                expect(["node", "pod", "service", "endpoints", "endpointslice", "ingress"]).toContain(sd.role);
                for (const sel of sd.selectors ?? []) expect(sel.role).toBe(sd.role);
            }
        }
    });
});

describe("hub config", () => {
    it("passes `promtool check config`, which also checks the alert rules it loads", () => {
        const dir = scratchDir("hub");
        const { config: copy } = forPromtool(hubConfig({ region: config.region, hubSiteId: hubSite.id, readerUser: "reader" }) as Record<string, any>, dir);
        copy.rule_files = [path.join(dir, "rules", "*.yml")];
        writeYaml(path.join(dir, "rules", "alerts.yml"), alertRulesFile(config.region, config.sites.map((s) => s.id)));
        const r = promtool(["check", "config", writeYaml(path.join(dir, "hub.yml"), copy)], dir);
        expect(r.code, r.output).toBe(0);
        expect(r.output).toMatch(/SUCCESS: \d+ rules found/);
    });

    it("web config with real bcrypt hashes passes `promtool check web-config`; bad or no hashes are refused", () => {
        const dir = scratchDir("web");
        // A real bcrypt hash from the system's libcrypt (the same format @pulumi/random's bcryptHash has).
        const hash = fs.readFileSync(path.join(__dirname, "fixtures", "bcrypt-hash.txt"), "utf8").trim();
        const file = path.join(dir, "web.yml");
        fs.writeFileSync(file, renderYaml(hubWebConfig({ "site-a": hash, reader: hash, "site-b": LOCKED_BCRYPT_HASH })));
        const r = promtool(["check", "web-config", file], dir);
        expect(r.code, r.output).toBe(0);
        expect(yaml.load(fs.readFileSync(file, "utf8"))).toEqual({ basic_auth_users: { "site-a": hash, reader: hash, "site-b": LOCKED_BCRYPT_HASH } });
        // promtool itself refuses an empty hash, which is why a missing hash becomes the locked one.
        fs.writeFileSync(file, renderYaml({ basic_auth_users: { "site-a": "" } }));
        expect(promtool(["check", "web-config", file], dir).output).toMatch(/hashedSecret too short/);
        expect(() => hubWebConfig({ "site-a": "plaintext-password" })).toThrow(/site-a is not a bcrypt hash/);
        expect(() => hubWebConfig({})).toThrow(/switch authentication off/);
    });
});
