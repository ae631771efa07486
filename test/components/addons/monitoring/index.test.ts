// The monitoring components (components/addons/monitoring/index.ts) in the whole program under mocks, for every site of the prod stack:
// what is registered where, the secrets, and every object against the strict Kubernetes 1.30 schema.
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { loadStackFile } from "../../../../components/config/load";
import { runProgramUnderMocks } from "../../../../scripts/synth/run";
import { isSecretEnvelope, secretEnvelope } from "../../../../scripts/synth/secrets";
import { K8sValidator } from "../../../support/k8s-schema";

const root = path.join(__dirname, "..", "..", "..", "..");
const { config } = loadStackFile(path.join(root, "Pulumi.prod.yaml"));
const HASH = fs.readFileSync(path.join(__dirname, "fixtures", "bcrypt-hash.txt"), "utf8").trim();

function unwrapSecrets(v: unknown): unknown {
    if (isSecretEnvelope(v)) return unwrapSecrets(v.value);
    if (Array.isArray(v)) return v.map(unwrapSecrets);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]));
    return v;
}

interface Registered {
    type: string;
    name: string;
    /** Type of the component the resource is registered under. */
    parentType: string | undefined;
    inputs: Record<string, any>;
    /** Inputs as the engine gets them, secret envelopes kept. */
    raw: Record<string, any>;
}
let registered: Registered[] = [];
const MONITORING_COMPONENTS = ["edge-estate:addons:Monitoring", "edge-estate:addons:MonitoringHub"];
const k8sObjects = () => registered.filter((r) => r.type.startsWith("kubernetes:") && MONITORING_COMPONENTS.includes(r.parentType ?? ""));
const objectsOf = (siteId: string) => k8sObjects().filter((r) => r.name.startsWith(`${siteId}-`));
const find = (siteId: string, kind: string, name: string): Record<string, any> => objectsOf(siteId).find((r) => r.inputs.kind === kind && r.inputs.metadata?.name === name)?.inputs as Record<string, any>;

beforeAll(async () => {
    // The whole program under the synth mock runner; passwords get known values and the fixture's real bcrypt hash.
    const all = await runProgramUnderMocks(config, "test", "-----BEGIN OPENSSH PRIVATE KEY-----\nKEY\n-----END OPENSSH PRIVATE KEY-----\n", {
        state: (args) =>
            args.type === "random:index/randomPassword:RandomPassword" ? { result: secretEnvelope(`password-of-${args.name}`), bcryptHash: secretEnvelope(HASH) } : undefined,
    });
    // Secret inputs arrive in Pulumi's wire envelope; unwrap them to check the values.
    const typeOf = new Map(all.map((r) => [r.urn, r.type]));
    registered = all.map((r) => ({ type: r.type, name: r.name, parentType: r.parent ? typeOf.get(r.parent) : undefined, inputs: unwrapSecrets(r.inputs) as Record<string, any>, raw: r.inputs }));
});

describe("monitoring wiring under mocks", () => {
    it("every registered Kubernetes object validates against the strict 1.30 schema", () => {
        const validator = new K8sValidator();
        const objects = k8sObjects();
        expect(objects.length).toBeGreaterThan(config.sites.length * 8);
        const failures = objects.map((o) => ({ o, r: validator.validate(o.inputs) })).filter(({ r }) => !r.ok);
        expect(failures.map(({ o, r }) => `${o.name}: ${r.errors.join("; ")}`)).toEqual([]);
    });

    it("each site gets the agent and node-exporter; only the hub site gets the hub Prometheus and Grafana", () => {
        for (const site of config.sites) {
            expect(find(site.id, "Deployment", "prometheus-agent"), site.id).toBeDefined();
            expect(find(site.id, "DaemonSet", "node-exporter"), site.id).toBeDefined();
            const isHub = site.id === config.monitoring.hubSite;
            expect(!!find(site.id, "Deployment", "prometheus-hub"), site.id).toBe(isHub);
            expect(!!find(site.id, "Deployment", "grafana"), site.id).toBe(isHub);
        }
        const hub = config.monitoring.hubSite;
        expect(find(hub, "Service", "prometheus-hub").spec).toMatchObject({ type: "NodePort", ports: [{ nodePort: 30990, port: 9090 }] });
        expect(find(hub, "Service", "grafana").spec).toMatchObject({ type: "NodePort", ports: [{ nodePort: 30300, port: 3000 }] });
    });

    it("takes requests and limits from the budget", () => {
        const b = config.budget.components;
        const site = config.sites[0].id;
        expect(find(site, "Deployment", "prometheus-agent").spec.template.spec.containers[0].resources).toEqual(b.prometheusAgent);
        expect(find(site, "DaemonSet", "node-exporter").spec.template.spec.containers[0].resources).toEqual(b.nodeExporter);
        const hub = config.monitoring.hubSite;
        expect(find(hub, "Deployment", "prometheus-hub").spec.template.spec.containers[0].resources).toEqual(b.prometheusHub);
        expect(find(hub, "Deployment", "grafana").spec.template.spec.containers[0].resources).toEqual(b.grafana);
    });

    it("creates one remote-write password per site (named by site id) plus the hub reader and Grafana admin", () => {
        const passwords = registered
            .filter((r) => r.type === "random:index/randomPassword:RandomPassword" && /monitoring|grafana/.test(r.name))
            .map((r) => r.name)
            .sort();
        expect(passwords).toEqual(
            [...config.sites.map((s) => `${config.region}-${s.id}-monitoring-remote-write`), `${config.region}-monitoring-hub-reader`, `${config.region}-grafana-admin`].sort(),
        );
    });

    it("each agent gets its own password; the hub web config lists every site user and the reader with bcrypt hashes", () => {
        for (const site of config.sites) {
            expect(find(site.id, "Secret", "prometheus-agent-remote-write").stringData.password).toBe(`password-of-${config.region}-${site.id}-monitoring-remote-write`);
        }
        const hub = config.monitoring.hubSite;
        const web = yaml.load(find(hub, "Secret", "prometheus-hub-auth").stringData["web.yml"]) as { basic_auth_users: Record<string, string> };
        expect(Object.keys(web.basic_auth_users).sort()).toEqual([...config.sites.map((s) => `site-${s.id}`), "reader"].sort());
        for (const h of Object.values(web.basic_auth_users)) expect(h).toBe(HASH);
        // No secret value lands in a ConfigMap.
        for (const o of k8sObjects().filter((x) => x.inputs.kind === "ConfigMap")) expect(JSON.stringify(o.inputs)).not.toContain("password-of-");
    });

    it("references images by digest only", () => {
        for (const o of k8sObjects()) {
            for (const c of o.inputs.spec?.template?.spec?.containers ?? []) expect(c.image, o.name).toMatch(/^[a-z0-9./-]+:[\w.-]+@sha256:[a-f0-9]{64}$/);
        }
    });

    it("the hub's receiver and Grafana get server certificates from the region TLS CA that name what their clients check", () => {
        const hub = config.monitoring.hubSite;
        const hubSite = config.sites.find((s) => s.id === hub)!;
        const regionCa = registered.find((r) => r.type === "tls:index/selfSignedCert:SelfSignedCert" && r.name === `${config.region}-tls-ca`)!;
        expect(regionCa).toBeDefined();
        // The mock engine's stand-in certificate of the region CA resource (scripts/synth/run.ts).
        const caPem = `-----BEGIN CERTIFICATE-----\nsynth-stand-in-${Buffer.from(regionCa.name).toString("base64")}\n-----END CERTIFICATE-----\n`;
        for (const [name, service] of [["prometheus-hub-tls", "prometheus-hub"], ["grafana-tls", "grafana"]] as const) {
            const csr = registered.find((r) => r.type === "tls:index/certRequest:CertRequest" && r.name === `${hub}-${name}-csr`)!;
            const cert = registered.find((r) => r.type === "tls:index/locallySignedCert:LocallySignedCert" && r.name === `${hub}-${name}`)!;
            expect(csr.parentType, name).toBe("edge-estate:addons:MonitoringHub");
            // Signed by the region CA, the one the broker certificates use: no second CA.
            expect(cert.inputs.caCertPem, name).toBe(caPem);
            expect(cert.inputs.allowedUses).toEqual(["digital_signature", "key_encipherment", "server_auth"]);
            const names = [...csr.inputs.dnsNames, ...(csr.inputs.ipAddresses ?? [])];
            for (const h of hubSite.hosts) expect(names, `${name}: ${h.id}`).toContain(h.address);
            expect(names).toContain(`${service}.edge-monitoring.svc`);
            // The Secret: the chain (leaf, then the region CA) and the key, which stays secret on the wire.
            const secretObj = registered.find((r) => r.name === `${hub}-secret-edge-monitoring-${name}`)!;
            expect(secretObj.inputs.type).toBe("kubernetes.io/tls");
            expect(secretObj.inputs.stringData["tls.crt"].endsWith(caPem)).toBe(true);
            expect(secretObj.inputs.stringData["tls.crt"].length).toBeGreaterThan(caPem.length);
            expect(isSecretEnvelope(secretObj.raw.stringData), name).toBe(true);
            expect(secretObj.inputs.stringData["tls.key"]).toMatch(/^-----BEGIN PRIVATE KEY-----/);
        }
        // Every site's agent checks the hub's certificate for a name the hub's CSR carries.
        const hubCsr = registered.find((r) => r.name === `${hub}-prometheus-hub-tls-csr`)!;
        const hubNames = [...hubCsr.inputs.dnsNames, ...(hubCsr.inputs.ipAddresses ?? [])];
        for (const site of config.sites) {
            const agent = yaml.load(find(site.id, "ConfigMap", "prometheus-agent-config").data["prometheus.yml"]) as any;
            expect(agent.remote_write[0].url, site.id).toMatch(/^https:\/\//);
            expect(hubNames, site.id).toContain(agent.remote_write[0].tls_config.server_name);
            expect(find(site.id, "ConfigMap", "region-tls-ca").data["ca.crt"], site.id).toBe(caPem);
        }
        const web = yaml.load(find(hub, "Secret", "prometheus-hub-auth").stringData["web.yml"]) as any;
        expect(web.tls_server_config).toEqual({ cert_file: "/etc/prometheus/tls/tls.crt", key_file: "/etc/prometheus/tls/tls.key", min_version: "TLS12" });
    });
});
