/**
 * Pure inputs of the Gatekeeper Helm chart per site: where the chart comes from (the official chart repository,
 * or the locally cached, sha256-verified .tgz in air-gapped regions) and the values for a 2 vCPU / 4 GiB host.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { EstateConfig } from "../../config/types";
import { componentBudget } from "../../plan";
import { GATEKEEPER_CHART_SHA256 } from "../../pins";
import { resourcesBlock } from "../common";
import { GATEKEEPER_NAMESPACE } from "./policy";

export const GATEKEEPER_CHART_REPO = "https://open-policy-agent.github.io/gatekeeper/charts";

export const chartFileName = (version: string) => `gatekeeper-${version}.tgz`;

export class ChartSourceError extends Error {}

export interface ChartSource {
    chart: string;
    version?: string;
    repositoryOpts?: { repo: string };
}

export interface ChartSourceResult {
    source: ChartSource;
    /** Set when the air-gapped chart is not cached yet: synth and previews go on, the install cannot. */
    warning?: string;
}

/**
 * download mode: the pinned version from the official repository (the provider fetches it at preview/up).
 * airgap mode: the .tgz that scripts/fetch-gatekeeper-chart.sh cached. A cached file whose sha256 is not the pin
 * is an error; a chart not cached yet is a warning (like the other air-gapped artifacts: synth and PR previews
 * still render, the install itself needs the file).
 */
export function gatekeeperChartSource(config: EstateConfig, version: string, projectRoot: string): ChartSourceResult {
    if (config.artifacts.mode !== "airgap") return { source: { chart: "gatekeeper", version, repositoryOpts: { repo: GATEKEEPER_CHART_REPO } } };
    const pin = GATEKEEPER_CHART_SHA256[version];
    if (!pin) throw new ChartSourceError(`edge-estate:versions.gatekeeper ${JSON.stringify(version)} has no pinned chart sha256 (pinned: ${Object.keys(GATEKEEPER_CHART_SHA256).join(", ")})`);
    const file = path.resolve(projectRoot, config.artifacts.cacheDir, chartFileName(version));
    const fix = `run scripts/fetch-gatekeeper-chart.sh --version ${version} --cache-dir ${config.artifacts.cacheDir} on a connected machine`;
    if (!fs.existsSync(file)) {
        return { source: { chart: file }, warning: `air-gapped mode needs the Gatekeeper chart ${path.join(config.artifacts.cacheDir, chartFileName(version))}: ${fix}` };
    }
    const actual = createHash("sha256").update(fs.readFileSync(file)).digest("hex");
    if (actual !== pin) throw new ChartSourceError(`${file} has sha256 ${actual}, not the pinned ${pin}: delete it and ${fix}`);
    return { source: { chart: file } };
}

/**
 * Values for a small host. Keys follow the chart's values.yaml of the 3.15 line. One controller replica (the
 * webhook) and the audit pod with requests/limits from the budget; mutation is off (no mutators are used);
 * Helm hooks (namespace labelling, webhook probe, CRD upgrade job) are off because Pulumi owns the namespace
 * and the CRDs, and a hook rendered as a plain Job would only pull extra images.
 */
export function gatekeeperChartValues(config: EstateConfig): Record<string, unknown> {
    const controller = componentBudget(config, "gatekeeperController");
    const audit = componentBudget(config, "gatekeeperAudit");
    return {
        replicas: 1,
        auditInterval: 300,
        constraintViolationsLimit: 20,
        auditFromCache: false,
        disableMutation: true,
        validatingWebhookFailurePolicy: "Ignore",
        validatingWebhookTimeoutSeconds: 3,
        logLevel: "INFO",
        controllerManager: { resources: resourcesBlock(controller) },
        audit: { resources: resourcesBlock(audit) },
        // One replica: a PDB with minAvailable 1 would block every node drain.
        pdb: { controllerManager: { minAvailable: 0 } },
        postInstall: { labelNamespace: { enabled: false }, probeWebhook: { enabled: false } },
        postUpgrade: { labelNamespace: { enabled: false } },
        preUninstall: { deleteWebhookConfigurations: { enabled: false } },
        upgradeCRDs: { enabled: false },
    };
}

/** The namespace the chart installs into, labelled so Gatekeeper's own webhook never reviews it. */
export function gatekeeperNamespace() {
    return {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: {
            name: GATEKEEPER_NAMESPACE,
            labels: { "admission.gatekeeper.sh/ignore": "no-self-managing", "app.kubernetes.io/managed-by": "edge-estate" },
        },
    };
}
