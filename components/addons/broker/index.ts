/**
 * The MQTT broker on one site: one random password per client class (secret), the mosquitto password file
 * hashed here in TypeScript ($7$ PBKDF2-SHA512, proven against the real mosquitto in the tests), and the objects
 * from objects.ts on the site's provider.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { mqttPasswordName, objectResourceName } from "../../naming";
import { componentBudget } from "../../plan";
import { SiteAddon, type SiteAddonArgs } from "../addon";
import { buildPasswordFile, CLIENT_CLASSES, mqttUsername } from "./config";
import { BROKER_DEVICES_SERVICE, BROKER_NAME, buildBrokerObjects, credentialsSecretName } from "./objects";
import { configChecksum } from "../../constants";
import { brokerServerCert, type RegionTlsCa, serviceDnsNames } from "./tls";

export interface BrokerArgs extends SiteAddonArgs {
    namespace: string;
    /** The region TLS CA that signs the broker's server certificate (device listener). */
    regionTls: RegionTlsCa;
}

export class Broker extends SiteAddon {
    /** The broker Service (the tracking Deployment reads its service-link variables). */
    declare readonly service: pulumi.Resource;
    declare readonly all: pulumi.Resource[];
    /** Secret name with the tracking service's MQTT credentials. */
    declare readonly trackingCredentialsSecret: string;

    constructor(name: string, args: BrokerArgs, opts: pulumi.ComponentResourceOptions & { parent: pulumi.Resource }) {
        super("edge-estate:addons:Broker", name, opts);
        const { config, site, versions, firstServer } = args.plan;
        const passwords = Object.fromEntries(
            CLIENT_CLASSES.map((cls) => [cls, pulumi.secret(new random.RandomPassword(mqttPasswordName(site.id, cls), { length: 32, special: false }, this.childOpts).result)]),
        );
        const passwordFile = pulumi.secret(
            pulumi.all(passwords).apply((p) => {
                // Under mocks an unset result arrives empty; never hash an empty password into the file.
                const known = Object.fromEntries(Object.entries(p).filter(([, v]) => typeof v === "string" && v.length > 0).map(([cls, v]) => [mqttUsername(cls as never), v]));
                return buildPasswordFile(known);
            }),
        );
        const devices = config.devices;
        const serviceNames = [BROKER_NAME, BROKER_DEVICES_SERVICE].flatMap((n) => serviceDnsNames(n, args.namespace));
        const server = devices ? brokerServerCert(args.plan, args.regionTls, serviceNames, this.childOpts) : undefined;
        const objects = buildBrokerObjects({
            site,
            namespace: args.namespace,
            mosquittoVersion: versions.mosquitto,
            resources: componentBudget(config, "broker"),
            pinnedHostId: firstServer.id,
            passwordFile,
            credentials: Object.fromEntries(CLIENT_CLASSES.map((cls) => [cls, { username: mqttUsername(cls), password: passwords[cls] }])),
            ...(devices && server
                ? {
                      deviceTls: {
                          chainPem: server.chainPem,
                          keyPem: server.keyPem,
                          deviceCaPem: devices.caCert,
                          ...(devices.crl !== undefined ? { crlPem: devices.crl } : {}),
                          certHash: server.chainPem.apply((c) => configChecksum(c)),
                      },
                  }
                : {}),
        });
        const applied = this.applyObjects(args, objects, args.foundation);
        const service = applied.get(objectResourceName(site.id, { kind: "Service", metadata: { name: BROKER_NAME, namespace: args.namespace } }));
        if (!service) throw new Error(`broker Service ${BROKER_NAME} was not built for site ${site.id}`);
        this.service = service;
        this.all = [...applied.values()];
        this.trackingCredentialsSecret = credentialsSecretName("tracking");
        this.registerOutputs({});
    }
}
