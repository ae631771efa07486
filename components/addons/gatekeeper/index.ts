/**
 * OPA Gatekeeper on one site: namespace, the pinned chart (helm.v4.Chart, rendered by the provider so every
 * chart object is a real resource the policy pack sees at preview), then our ConstraintTemplates, then the
 * Constraints (the templates create the constraint CRDs: dependsOn). Under unit-test mocks (and synth) the Chart
 * is one component with its inputs and no children.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { gatekeeperChartName } from "../../naming";
import { SiteAddon, type SiteAddonArgs } from "../addon";
import { PROJECT_ROOT } from "../tracking/image";
import { gatekeeperChartSource, gatekeeperChartValues, gatekeeperNamespace } from "./chart";
import { buildConstraints, buildConstraintTemplates, GATEKEEPER_NAMESPACE } from "./policy";

export type GatekeeperArgs = SiteAddonArgs;

export class Gatekeeper extends SiteAddon {
    declare readonly chart: k8s.helm.v4.Chart;
    declare readonly templates: pulumi.CustomResource[];
    declare readonly constraints: pulumi.CustomResource[];

    constructor(name: string, args: GatekeeperArgs, opts: pulumi.ComponentResourceOptions & { parent: pulumi.Resource }) {
        super("edge-estate:addons:Gatekeeper", name, opts);
        const { config, site, versions } = args.plan;
        const { source, warning } = gatekeeperChartSource(config, versions.gatekeeper, PROJECT_ROOT);
        if (warning) pulumi.log.warn(`site ${site.id}: ${warning}`);
        const [namespace] = this.applyObjects(args, [gatekeeperNamespace()], args.foundation).values();
        // The chart's own children are registered by the provider under it; they inherit the chart's alias.
        const chart = new k8s.helm.v4.Chart(
            gatekeeperChartName(site.id),
            { ...source, namespace: GATEKEEPER_NAMESPACE, values: gatekeeperChartValues(config), skipCrds: false },
            { provider: args.provider, dependsOn: [namespace], ...this.childOpts },
        );
        const templates = [...this.applyObjects(args, buildConstraintTemplates(), [chart]).values()];
        const constraints = [...this.applyObjects(args, buildConstraints(config), templates).values()];
        this.chart = chart;
        this.templates = templates;
        this.constraints = constraints;
        this.registerOutputs({});
    }
}
