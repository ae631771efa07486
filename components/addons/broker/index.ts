/**
 * Pulumi wiring of the MQTT broker on one site: one random password per client class (secret), the mosquitto
 * password file hashed here in TypeScript ($7$ PBKDF2-SHA512, proven against the real mosquitto in the tests),
 * and the objects from objects.ts on the site's provider.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { siteTopology } from "../../host/steps";
import { applyObjects } from "../../k8s/apply";
import type { SiteAddonsArgs } from "../index";
import { componentBudget } from "../common";
import { buildPasswordFile, CLIENT_CLASSES, mqttUsername } from "./config";
import { BROKER_NAME, buildBrokerObjects, credentialsSecretName } from "./objects";

export interface BrokerResources {
    /** The broker Service (the tracking Deployment reads its service-link variables). */
    service: pulumi.Resource;
    all: pulumi.Resource[];
    /** Secret name with the tracking service's MQTT credentials. */
    trackingCredentialsSecret: string;
}

export function deployBroker(parent: pulumi.ComponentResource, args: SiteAddonsArgs & { namespace: string }): BrokerResources {
    const { config, site, versions } = args;
    const passwords = Object.fromEntries(
        CLIENT_CLASSES.map((cls) => [
            cls,
            pulumi.secret(new random.RandomPassword(`${site.id}-mqtt-${cls}`, { length: 32, special: false }, { parent }).result),
        ]),
    );
    const passwordFile = pulumi.secret(
        pulumi.all(passwords).apply((p) => {
            // Under mocks an unset result arrives empty; never hash an empty password into the file.
            const known = Object.fromEntries(Object.entries(p).filter(([, v]) => typeof v === "string" && v.length > 0).map(([cls, v]) => [mqttUsername(cls as never), v]));
            return buildPasswordFile(known);
        }),
    );
    const objects = buildBrokerObjects({
        site,
        namespace: args.namespace,
        mosquittoVersion: versions.mosquitto,
        resources: componentBudget(config.budget.components, "broker"),
        pinnedHostId: siteTopology(site).firstServer.id,
        passwordFile,
        credentials: Object.fromEntries(CLIENT_CLASSES.map((cls) => [cls, { username: mqttUsername(cls), password: passwords[cls] }])),
    });
    const applied = applyObjects(objects, { siteId: site.id, provider: args.provider, parent, dependsOn: args.foundation });
    const service = applied.get(`${site.id}-service-${args.namespace}-${BROKER_NAME}`);
    if (!service) throw new Error(`broker Service ${BROKER_NAME} was not built for site ${site.id}`);
    return { service, all: [...applied.values()], trackingCredentialsSecret: credentialsSecretName("tracking") };
}
