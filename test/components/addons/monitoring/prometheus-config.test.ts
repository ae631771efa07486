// The generated Prometheus configs (components/addons/monitoring/prometheus-config.ts) checked by the real
// promtool. Debian's promtool has no kubernetes_sd_configs: see promtool.ts for the test-copy rewrite.
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { loadStackFile } from "../../../../components/config/load";
import { JOBS, TRACKING_POD_LABEL } from "../../../../components/addons/monitoring/names";
import { agentConfig, hubConfig, hubWebConfig, KEEP_METRICS, LOCKED_BCRYPT_HASH, renderYaml } from "../../../../components/addons/monitoring/prometheus-config";
import { remoteWriteServerName, remoteWriteUrl } from "../../../../components/addons/monitoring/objects";
import { grafanaDatasources, hubServiceName } from "../../../../components/addons/monitoring/grafana";
import { serviceDnsNames, siteServerNames } from "../../../../components/addons/broker/tls";
import { makeOpensslCa, opensslVerify } from "../../../support/openssl-ca";
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
        remoteWriteServerName: remoteWriteServerName(planSite(config, site)),
        trackingPort: config.tracking.httpPort,
    }) as Record<string, any>;
const hubFor = () => hubConfig({ region: config.region, hubSiteId: hubSite.id, readerUser: "reader", serverName: hubServiceName() }) as Record<string, any>;

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

    it("labels every sample with region and site and remote-writes over TLS (region CA pinned) with basic auth to the hub NodePort", () => {
        const c = agentFor();
        expect(c.global.external_labels).toEqual({ region: "cn-east", site: nonHub.id });
        const hubAddress = hubSite.hosts.find((h) => h.role === "server")!.address;
        expect(c.remote_write).toHaveLength(1);
        expect(c.remote_write[0].url).toBe(`https://${hubAddress}:30990/api/v1/write`);
        expect(c.remote_write[0].tls_config).toEqual({ ca_file: "/etc/prometheus/region-ca/ca.crt", server_name: hubAddress, min_version: "TLS12" });
        expect(c.remote_write[0].tls_config.insecure_skip_verify).toBeUndefined();
        expect(c.remote_write[0].basic_auth.username).toBe(`site-${nonHub.id}`);
        expect(c.remote_write[0].basic_auth.password_file).toMatch(/^\/etc\/prometheus\//);
        // The hub site itself writes to the in-cluster Service.
        expect(agentFor(hubSite).remote_write[0].url).toBe("https://prometheus-hub.edge-monitoring.svc:9090/api/v1/write");
        expect(agentFor(hubSite).remote_write[0].tls_config.server_name).toBe("prometheus-hub.edge-monitoring.svc");
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
        const { config: copy } = forPromtool(hubFor(), dir);
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
        // promtool loads the key pair, so the TLS files must be a real certificate and its key.
        const ca = makeOpensslCa(path.join(dir, "ca"), "edge-estate cn-east TLS CA");
        const leaf = ca.issue("hub", "prometheus-hub", ["127.0.0.1"]);
        const tlsFiles = { certFile: leaf.chainFile, keyFile: leaf.keyFile };
        fs.writeFileSync(file, renderYaml(hubWebConfig({ "site-a": hash, reader: hash, "site-b": LOCKED_BCRYPT_HASH }, tlsFiles)));
        const r = promtool(["check", "web-config", file], dir);
        expect(r.code, r.output).toBe(0);
        expect(yaml.load(fs.readFileSync(file, "utf8"))).toEqual({
            tls_server_config: { cert_file: leaf.chainFile, key_file: leaf.keyFile, min_version: "TLS12" },
            basic_auth_users: { "site-a": hash, reader: hash, "site-b": LOCKED_BCRYPT_HASH },
        });
        // promtool itself refuses an empty hash, which is why a missing hash becomes the locked one.
        // The deployed file names the in-pod paths of the hub's TLS Secret.
        expect(hubWebConfig({ "site-a": hash }).tls_server_config).toEqual({ cert_file: "/etc/prometheus/tls/tls.crt", key_file: "/etc/prometheus/tls/tls.key", min_version: "TLS12" });
        // A key that is not the certificate's, or a missing certificate, is refused by promtool.
        const other = ca.issue("other", "other", ["127.0.0.1"]);
        fs.writeFileSync(file, renderYaml(hubWebConfig({ "site-a": hash }, { certFile: leaf.chainFile, keyFile: other.keyFile })));
        expect(promtool(["check", "web-config", file], dir).output).toMatch(/private key does not match public key/);
        fs.writeFileSync(file, renderYaml(hubWebConfig({ "site-a": hash }, { certFile: path.join(dir, "missing.crt"), keyFile: leaf.keyFile })));
        expect(promtool(["check", "web-config", file], dir).code).toBe(1);
        fs.writeFileSync(file, renderYaml({ basic_auth_users: { "site-a": "" } }));
        expect(promtool(["check", "web-config", file], dir).output).toMatch(/hashedSecret too short/);
        expect(() => hubWebConfig({ "site-a": "plaintext-password" })).toThrow(/site-a is not a bcrypt hash/);
        expect(() => hubWebConfig({})).toThrow(/switch authentication off/);
    });
});

describe("hub and Grafana TLS names", () => {
    // The names the program puts on the hub's and Grafana's certificates (components/addons/monitoring/index.ts)
    // on a real certificate from an openssl CA: every name a client checks must verify with `openssl verify`.
    const dir = scratchDir("hub-tls");
    const ca = makeOpensslCa(path.join(dir, "ca"), "edge-estate cn-east TLS CA");
    const hubPlan = planSite(config, hubSite);
    const sans = (names: { dnsNames: string[]; ipAddresses: string[] }) => [...names.dnsNames, ...names.ipAddresses];
    const hubCert = ca.issue("hub", `prometheus-hub.${hubSite.id}`, sans(siteServerNames(hubPlan, serviceDnsNames("prometheus-hub", "edge-monitoring"))));
    const grafanaCert = ca.issue("grafana", `grafana.${hubSite.id}`, sans(siteServerNames(hubPlan, serviceDnsNames("grafana", "edge-monitoring"))));

    it("the hub's certificate verifies for the server_name of every site's agent and of the hub's self-scrape", () => {
        const names = new Set([...config.sites.map((s) => agentFor(s).remote_write[0].tls_config.server_name as string), hubFor().scrape_configs[0].tls_config.server_name as string]);
        expect(names.size).toBeGreaterThan(1);
        for (const name of names) {
            const v = opensslVerify(ca.caFile, hubCert.certFile, name);
            expect(v.ok, `${name}: ${v.output}`).toBe(true);
        }
        // openssl does check the name: another host, or Grafana's Service name, does not verify.
        expect(opensslVerify(ca.caFile, hubCert.certFile, "prometheus-hub.elsewhere.svc").ok).toBe(false);
        expect(opensslVerify(ca.caFile, hubCert.certFile, "grafana.edge-monitoring.svc").ok).toBe(false);
    });

    it("Grafana's certificate verifies for every hub-site host address (NodePort 30300) and its Service name", () => {
        for (const h of hubSite.hosts) expect(opensslVerify(ca.caFile, grafanaCert.certFile, h.address).ok, h.address).toBe(true);
        expect(opensslVerify(ca.caFile, grafanaCert.certFile, "grafana.edge-monitoring.svc").ok).toBe(true);
        // The datasource checks the hub's certificate for the hub's Service name.
        const ds = grafanaDatasources().datasources[0];
        expect(ds.url).toBe("https://prometheus-hub.edge-monitoring.svc:9090");
        expect(ds.jsonData).toMatchObject({ tlsAuthWithCACert: true, serverName: "prometheus-hub.edge-monitoring.svc" });
        expect(opensslVerify(ca.caFile, hubCert.certFile, ds.jsonData.serverName).ok).toBe(true);
    });

    it("a chain from another CA does not verify against the region CA", () => {
        const rogue = makeOpensslCa(path.join(dir, "rogue"), "someone else");
        const forged = rogue.issue("hub", "prometheus-hub", ["prometheus-hub.edge-monitoring.svc"]);
        expect(opensslVerify(ca.caFile, forged.certFile, "prometheus-hub.edge-monitoring.svc").ok).toBe(false);
    });
});
