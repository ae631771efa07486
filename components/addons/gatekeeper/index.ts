/**
 * Pulumi wiring of OPA Gatekeeper on one site: namespace, the pinned chart (helm.v4.Chart, rendered by the
 * provider so every chart object is a real resource the policy pack sees at preview), then our
 * ConstraintTemplates, then the Constraints (the templates create the constraint CRDs: dependsOn).
 * Under unit-test mocks (and synth) the Chart is one component with its inputs and no children.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { applyObjects } from "../../k8s/apply";
import type { SiteAddonsArgs } from "../index";
import { PROJECT_ROOT } from "../tracking/image";
import { gatekeeperChartSource, gatekeeperChartValues, gatekeeperNamespace } from "./chart";
import { buildConstraints, buildConstraintTemplates, GATEKEEPER_NAMESPACE } from "./policy";

export interface GatekeeperResources {
    chart: k8s.helm.v4.Chart;
    templates: pulumi.CustomResource[];
    constraints: pulumi.CustomResource[];
}

export function deployGatekeeper(parent: pulumi.ComponentResource, args: SiteAddonsArgs): GatekeeperResources {
    const { config, site, versions, provider } = args;
    const base = { siteId: site.id, provider, parent };
    const { source, warning } = gatekeeperChartSource(config, versions.gatekeeper, PROJECT_ROOT);
    if (warning) pulumi.log.warn(`site ${site.id}: ${warning}`);
    const [namespace] = applyObjects([gatekeeperNamespace()], { ...base, dependsOn: args.foundation }).values();
    const chart = new k8s.helm.v4.Chart(
        `${site.id}-gatekeeper`,
        {
            ...source,
            namespace: GATEKEEPER_NAMESPACE,
            values: gatekeeperChartValues(config),
            skipCrds: false,
        },
        { provider, parent, dependsOn: [namespace] },
    );
    const templates = [...applyObjects(buildConstraintTemplates(), { ...base, dependsOn: [chart] }).values()];
    const constraints = [...applyObjects(buildConstraints(config), { ...base, dependsOn: templates }).values()];
    return { chart, templates, constraints };
}
