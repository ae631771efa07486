/**
 * The monitoring components: per site the agent and node-exporter (Monitoring), on the hub site also the regional
 * Prometheus and Grafana (MonitoringHub). The remote-write passwords belong to the pair (site, hub), so the estate
 * creates them once (`MonitoringCredentials`) and hands each site its own and the hub all of them.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { EstateConfig } from "../../config/types";
import { grafanaAdminPasswordName, hubReaderPasswordName, objectResourceName, remoteWritePasswordName } from "../../naming";
import { SiteAddon, type SiteAddonArgs } from "../addon";
import { configChecksum } from "../../constants";
import { grafanaCertName, hubCertName, type RegionTlsCa, regionServerCert, serviceDnsNames, type ServerCertificate } from "../broker/tls";
import { GRAFANA_NAME, HUB_PROMETHEUS_NAME, HUB_READER_USER, MONITORING_NAMESPACE, remoteWriteUser } from "./names";
import { hubMonitoringObjects, siteMonitoringObjects, type TlsPair } from "./objects";
import { hubWebConfig, LOCKED_BCRYPT_HASH, renderYaml } from "./prometheus-config";

/** The region's monitoring passwords: one remote-write password per site and the hub's reader. */
export interface MonitoringCredentials {
    remoteWrite: Map<string, random.RandomPassword>;
    reader: random.RandomPassword;
}

/**
 * Created by the estate (parent). These were registered at the stack root before the estate owned them; the
 * alias keeps that identity. Named by site id so the URN never depends on site order.
 */
export function monitoringCredentials(config: EstateConfig, parent: pulumi.Resource): MonitoringCredentials {
    const opts: pulumi.CustomResourceOptions = { parent, aliases: [{ parent: pulumi.rootStackResource }] };
    const password = (name: string) => new random.RandomPassword(name, { length: 32, special: false }, opts);
    return {
        remoteWrite: new Map(config.sites.map((s) => [s.id, password(remoteWritePasswordName(config.region, s.id))])),
        reader: password(hubReaderPasswordName(config.region)),
    };
}

export interface MonitoringArgs extends SiteAddonArgs {
    /** This site's remote-write password on the hub (secret). */
    remoteWritePassword: pulumi.Output<string>;
    /** The region TLS CA: its certificate is what the agent pins for the hub. */
    regionTls: RegionTlsCa;
}

/** Agent and node-exporter of one site, in the monitoring namespace it creates. */
export class Monitoring extends SiteAddon {
    /** The monitoring namespace (the hub's objects live in it too). */
    declare readonly namespace: pulumi.Resource;

    constructor(name: string, args: MonitoringArgs, opts: pulumi.ComponentResourceOptions & { parent: pulumi.Resource }) {
        super("edge-estate:addons:Monitoring", name, opts);
        const applied = this.applyObjects(args, siteMonitoringObjects(args.plan, args.remoteWritePassword, args.regionTls.certPem), args.foundation);
        const namespace = applied.get(objectResourceName(args.plan.site.id, { kind: "Namespace", metadata: { name: MONITORING_NAMESPACE } }));
        if (!namespace) throw new Error(`site ${args.plan.site.id}: the ${MONITORING_NAMESPACE} namespace was not built`);
        this.namespace = namespace;
        this.registerOutputs({});
    }
}

export interface MonitoringHubArgs extends SiteAddonArgs {
    credentials: MonitoringCredentials;
    /** The namespace the hub site's Monitoring component creates. */
    namespace: pulumi.Resource;
    /** The region TLS CA, which signs the receiver's and Grafana's server certificates. */
    regionTls: RegionTlsCa;
}

const pairOf = (cert: ServerCertificate): TlsPair => ({ chainPem: cert.chainPem, keyPem: cert.keyPem, chainHash: cert.chainPem.apply((c) => configChecksum(c)) });

/** The regional Prometheus receiver and Grafana, on the hub site only. */
export class MonitoringHub extends SiteAddon {
    constructor(name: string, args: MonitoringHubArgs, opts: pulumi.ComponentResourceOptions & { parent: pulumi.Resource }) {
        super("edge-estate:addons:MonitoringHub", name, opts);
        const { config, versions } = args.plan;
        const { remoteWrite, reader } = args.credentials;
        const users = [...config.sites.map((s) => [remoteWriteUser(s.id), remoteWrite.get(s.id)!] as const), [HUB_READER_USER, reader] as const];
        const webConfigYaml = pulumi.secret(
            pulumi.all(users.map(([, p]) => p.bcryptHash)).apply((hashes) => {
                const missing = users.filter((_, i) => !hashes[i]).map(([u]) => u);
                // Only possible when the engine returned no hash (mocks): those users stay locked out.
                if (missing.length > 0) pulumi.log.debug(`monitoring hub: no bcrypt hash for ${missing.join(", ")}; they stay locked out`, this);
                return renderYaml(hubWebConfig(Object.fromEntries(users.map(([u], i) => [u, hashes[i] || LOCKED_BCRYPT_HASH]))));
            }),
        );
        const grafanaAdmin = new random.RandomPassword(grafanaAdminPasswordName(config.region), { length: 24, special: false }, this.childOpts);
        // Both NodePorts are on every hub-site node: each host's address and the Service names are on the certificate.
        const id = args.plan.site.id;
        const hubTls = regionServerCert(hubCertName(id), `${HUB_PROMETHEUS_NAME}.${id}`, args.plan, args.regionTls, serviceDnsNames(HUB_PROMETHEUS_NAME, MONITORING_NAMESPACE), this.childOpts);
        const grafanaTls = regionServerCert(grafanaCertName(id), `${GRAFANA_NAME}.${id}`, args.plan, args.regionTls, serviceDnsNames(GRAFANA_NAME, MONITORING_NAMESPACE), this.childOpts);
        const hubObjects = hubMonitoringObjects(config, versions, {
            webConfigYaml,
            readerPassword: pulumi.secret(reader.result),
            grafanaAdminPassword: pulumi.secret(grafanaAdmin.result),
            hubTls: pairOf(hubTls),
            grafanaTls: pairOf(grafanaTls),
        });
        this.applyObjects(args, hubObjects, [...args.foundation, args.namespace]);
        this.registerOutputs({});
    }
}
