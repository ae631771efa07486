/**
 * Pulumi wiring of the monitoring stack: secrets from @pulumi/random, objects from the pure builders, applied on
 * the site's provider. Called by the add-ons entry point (components/addons/index.ts) for every site.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { EstateConfig } from "../../config/types";
import { applyObjects } from "../../k8s/apply";
import type { SiteAddonsArgs } from "../index";
import { HUB_READER_USER, MONITORING_NAMESPACE, remoteWriteUser } from "./names";
import { hubMonitoringObjects, siteMonitoringObjects } from "./objects";
import { hubWebConfig, LOCKED_BCRYPT_HASH, renderYaml } from "./prometheus-config";

interface HubCredential {
    password: random.RandomPassword;
}

/**
 * One remote-write password per site, created on first use by whichever site needs it first (the site itself or
 * the hub, which needs every site's hash). Keyed by the config object so each program run has its own set, and
 * named by site id so the URN never depends on site order.
 */
const credentials = new WeakMap<EstateConfig, Map<string, HubCredential>>();

function credential(config: EstateConfig, user: string, name: string): HubCredential {
    let perRun = credentials.get(config);
    if (!perRun) credentials.set(config, (perRun = new Map()));
    let c = perRun.get(user);
    if (!c) {
        // At stack level on purpose: the password belongs to the pair (site, hub), not to either component.
        c = { password: new random.RandomPassword(name, { length: 32, special: false }) };
        perRun.set(user, c);
    }
    return c;
}

const siteCredential = (config: EstateConfig, siteId: string) => credential(config, remoteWriteUser(siteId), `${config.region}-${siteId}-monitoring-remote-write`);
const readerCredential = (config: EstateConfig) => credential(config, HUB_READER_USER, `${config.region}-monitoring-hub-reader`);

/** Registers the site's agent and node-exporter, and on the hub site the regional Prometheus and Grafana. */
export function deployMonitoring(parent: pulumi.ComponentResource, args: SiteAddonsArgs): void {
    const { config, site, versions, provider } = args;
    const own = siteCredential(config, site.id);
    const applyOpts = { siteId: site.id, provider, parent, dependsOn: args.foundation };
    const siteObjects = applyObjects(siteMonitoringObjects(config, site, versions, pulumi.secret(own.password.result)), applyOpts);
    if (site.id !== config.monitoring.hubSite) return;

    const reader = readerCredential(config);
    const users = [...config.sites.map((s) => [remoteWriteUser(s.id), siteCredential(config, s.id)] as const), [HUB_READER_USER, reader] as const];
    const webConfigYaml = pulumi.secret(
        pulumi.all(users.map(([, c]) => c.password.bcryptHash)).apply((hashes) => {
            const missing = users.filter((_, i) => !hashes[i]).map(([u]) => u);
            // Only possible when the engine returned no hash (mocks): those users stay locked out.
            if (missing.length > 0) pulumi.log.debug(`monitoring hub: no bcrypt hash for ${missing.join(", ")}; they stay locked out`, parent);
            return renderYaml(hubWebConfig(Object.fromEntries(users.map(([u], i) => [u, hashes[i] || LOCKED_BCRYPT_HASH]))));
        }),
    );
    const grafanaAdmin = new random.RandomPassword(`${config.region}-grafana-admin`, { length: 24, special: false }, { parent });
    const hubObjects = hubMonitoringObjects(config, versions, {
        webConfigYaml,
        readerPassword: pulumi.secret(reader.password.result),
        grafanaAdminPassword: pulumi.secret(grafanaAdmin.result),
    });
    // The hub objects live in the namespace the site objects create.
    const namespace = [...siteObjects].filter(([name]) => name === `${site.id}-namespace-${MONITORING_NAMESPACE}`).map(([, r]) => r);
    applyObjects(hubObjects, { ...applyOpts, dependsOn: [...args.foundation, ...namespace] });
}
