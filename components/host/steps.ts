/**
 * The ordered provisioning steps of one host, as pure data (config in, steps out). host.ts turns each step into
 * a remote.Command; synth writes each as sites/<site>/hosts/<host>/NN-<name>.sh.
 */
import * as yaml from "js-yaml";
import { etcdSnapshotEnv } from "../addons/backups/datastore";
import { k3sAssetNames, shimAssetName } from "../config/defaults";
import { isArtifactName } from "../config/grammar";
import { toBytes } from "../config/quantity";
import type { EstateConfig, HostConfig, SiteConfig, Versions } from "../config/types";
import { NODE_LABELS } from "../constants";
import { nodeName, stepOrder } from "../naming";
import type { SitePlan } from "../plan";
import { renderRemoteScript } from "./remote-script";

export const EDGE_STATE_DIR = "/var/lib/edge-estate";

/** The host's own provisioning steps, in order (add-on steps follow them; see ExtraHostStep). */
export const HOST_STEP_NAMES = ["preflight", "fetch-artifacts", "wasmedge-shim", "k3s-config", "k3s-install", "verify-wasm", "kubeconfig"] as const;
export type HostStepName = (typeof HOST_STEP_NAMES)[number];

export interface HostStep {
    /** Two-digit order within the host, e.g. "03". */
    order: string;
    /** e.g. "k3s-config"; with order it names the Command and the synth file. */
    name: HostStepName;
    /** scripts/remote/<file> */
    file: string;
    env: Record<string, string>;
    /** The step reads the K3s token from stdin. */
    stdinToken: boolean;
    /** stdout carries a secret (the kubeconfig). */
    secretStdout: boolean;
}

/** Non-secret part of /etc/rancher/k3s/config.yaml; the token is appended on the host from stdin. */
export function k3sConfigYaml(plan: SitePlan, host: HostConfig): string {
    const { config, site, firstServer } = plan;
    const labels = {
        [NODE_LABELS.region]: config.region,
        [NODE_LABELS.site]: site.id,
        [NODE_LABELS.wave]: String(site.wave),
        [NODE_LABELS.host]: host.id,
        ...host.labels,
    };
    const doc: Record<string, unknown> = {
        "node-name": nodeName(site.id, host.id),
        "node-label": Object.entries(labels).map(([k, v]) => `${k}=${v}`),
    };
    if (host.taints.length > 0) doc["node-taint"] = host.taints.map((t) => `${t.key}${t.value !== undefined ? `=${t.value}` : ""}:${t.effect}`);
    const reserve = config.budget.k3sReserve[host.role];
    // Reserve what K3s itself needs so the scheduler's allocatable matches the budget the policies check.
    doc["kubelet-arg"] = [`system-reserved=cpu=${reserve.cpu},memory=${Math.floor(toBytes(reserve.memory) / 2 ** 20)}Mi`];
    if (host.role === "server") {
        doc["tls-san"] = [host.address];
        // Secrets at rest in the datastore are encrypted (AES-CBC key K3s generates and keeps in bootstrap data).
        doc["secrets-encryption"] = true;
        doc["disable"] = ["traefik", "servicelb"];
        // 0600: the admin kubeconfig is cluster-admin; never world-readable.
        doc["write-kubeconfig-mode"] = "0600";
        if (host.id === firstServer.id) {
            if (plan.datastore === "etcd") doc["cluster-init"] = true;
        } else {
            doc["server"] = plan.apiUrl;
        }
    } else {
        doc["server"] = plan.apiUrl;
    }
    return `# Managed by edge-estate (site ${site.id}, host ${host.id}). Local edits are overwritten.\n${yaml.dump(doc, { lineWidth: -1, sortKeys: false })}`.trimEnd();
}

export function registriesYaml(config: EstateConfig): string {
    if (!config.registries || Object.keys(config.registries.mirrors).length === 0) return "";
    return yaml.dump({ mirrors: config.registries.mirrors }, { lineWidth: -1 }).trimEnd();
}

function artifactUrl(base: string, tag: string, asset: string): string {
    return `${base}/${encodeURIComponent(tag)}/${asset}`;
}

export interface ArtifactEntry {
    name: string;
    sha256: string;
    url: string;
}

/** Every artifact a host needs for these versions, with its pinned digest and where download mode fetches it. */
export function hostArtifacts(config: EstateConfig, versions: Versions): ArtifactEntry[] {
    const { arch, checksums } = config.artifacts;
    const k3s = k3sAssetNames(arch);
    const shim = shimAssetName(arch);
    const tag = (name: string, v: string) => `${name}-${v.replace(/\+/g, "-")}`;
    const entries: ArtifactEntry[] = [
        { name: tag("k3s", versions.k3s), sha256: checksums.k3s[versions.k3s]?.[arch] ?? "UNPINNED", url: artifactUrl(config.artifacts.k3sBaseUrl, versions.k3s, k3s.binary) },
        {
            name: tag("k3s-install", versions.k3s) + ".sh",
            sha256: checksums.k3sInstallScript[versions.k3s] ?? "UNPINNED",
            url: `${config.artifacts.k3sInstallScriptBaseUrl}/${encodeURIComponent(versions.k3s)}/install.sh`,
        },
        {
            name: tag("containerd-shim-wasmedge", versions.wasmedgeShim) + ".tar.gz",
            sha256: checksums.wasmedgeShim[versions.wasmedgeShim]?.[arch] ?? "UNPINNED",
            url: artifactUrl(config.artifacts.shimBaseUrl, `containerd-shim-wasmedge/${versions.wasmedgeShim}`, shim),
        },
    ];
    if (config.artifacts.mode === "airgap") {
        entries.push({
            name: k3s.airgapImages.replace(".tar.zst", `-${versions.k3s.replace(/\+/g, "-")}.tar.zst`),
            sha256: checksums.k3sAirgapImages[versions.k3s]?.[arch] ?? "UNPINNED",
            url: artifactUrl(config.artifacts.k3sBaseUrl, versions.k3s, k3s.airgapImages),
        });
    }
    return entries;
}

/**
 * One "name sha256 url" line per artifact. Built only from checked parts: a name without '/' or '..', a digest
 * (or UNPINNED) and a URL without whitespace, so no value can add a line (an entry) or a field, or point a
 * name outside the artifacts folder. Throws on anything else: that is a bug, not a config problem.
 */
export function artifactListLine(a: ArtifactEntry): string {
    if (!isArtifactName(a.name)) throw new Error(`artifact name ${JSON.stringify(a.name)} is not a plain file name`);
    if (!/^([a-f0-9]{64}|UNPINNED)$/.test(a.sha256)) throw new Error(`artifact ${a.name}: digest ${JSON.stringify(a.sha256)} is not a sha256`);
    if (!/^https?:\/\/[\x21-\x7e]+$/.test(a.url)) throw new Error(`artifact ${a.name}: URL ${JSON.stringify(a.url)} holds whitespace or control characters`);
    return `${a.name} ${a.sha256} ${a.url}`;
}

export function artifactList(artifacts: ArtifactEntry[]): string {
    return artifacts.map(artifactListLine).join("\n");
}

/** Minimum memory per role checked by preflight (below this K3s will not run reliably). */
const MIN_MEMORY_MIB = { server: 1800, agent: 900 } as const;

/** The environment every step script of a host starts with. */
function hostEnv(plan: SitePlan, host: HostConfig): Record<string, string> {
    return { EDGE_REGION: plan.config.region, EDGE_SITE_ID: plan.site.id, EDGE_HOST_ID: host.id, EDGE_ROLE: host.role, EDGE_STATE_DIR };
}

export function planHostSteps(plan: SitePlan, host: HostConfig): HostStep[] {
    const { config, site, versions, firstServer } = plan;
    const artifacts = hostArtifacts(config, versions);
    const [k3sBin, installScript, shim, airgap] = artifacts;
    const common = hostEnv(plan, host);
    const steps: Omit<HostStep, "order">[] = [
        {
            name: "preflight",
            file: "preflight.sh",
            env: { ...common, EDGE_ARCH: config.artifacts.arch, EDGE_MIN_MEMORY_MIB: String(MIN_MEMORY_MIB[host.role]), EDGE_MIN_DISK_MIB: "4096" },
            stdinToken: false,
            secretStdout: false,
        },
        {
            name: "fetch-artifacts",
            file: "fetch-artifacts.sh",
            env: { ...common, ARTIFACT_MODE: config.artifacts.mode, ARTIFACTS: artifactList(artifacts) },
            stdinToken: false,
            secretStdout: false,
        },
        {
            name: "wasmedge-shim",
            file: "install-shim.sh",
            env: { ...common, SHIM_ARTIFACT: shim.name, SHIM_VERSION: versions.wasmedgeShim },
            stdinToken: false,
            secretStdout: false,
        },
        {
            name: "k3s-config",
            file: "k3s-config.sh",
            env: { ...common, K3S_CONFIG_YAML: k3sConfigYaml(plan, host), K3S_REGISTRIES_YAML: registriesYaml(config), ...etcdSnapshotEnv(plan, host) },
            stdinToken: true,
            secretStdout: false,
        },
        {
            name: "k3s-install",
            file: "k3s-install.sh",
            env: {
                ...common,
                K3S_VERSION: versions.k3s,
                K3S_ARTIFACT: k3sBin.name,
                INSTALL_SCRIPT_ARTIFACT: installScript.name,
                ...(airgap ? { AIRGAP_IMAGES_ARTIFACT: airgap.name } : {}),
            },
            stdinToken: false,
            secretStdout: false,
        },
        { name: "verify-wasm", file: "verify-wasm.sh", env: { ...common, EDGE_WAIT_SECONDS: "240" }, stdinToken: false, secretStdout: false },
    ];
    if (host.id === firstServer.id) {
        steps.push({ name: "kubeconfig", file: "kubeconfig.sh", env: { ...common, EDGE_WAIT_SECONDS: "120" }, stdinToken: false, secretStdout: true });
    }
    return steps.map((s, i) => ({ ...s, order: stepOrder(i), env: { ...s.env, EDGE_STEP: `${stepOrder(i)}-${s.name}` } }));
}

export function renderStep(site: SiteConfig, host: HostConfig, step: HostStep): string {
    return renderRemoteScript({
        file: step.file,
        env: step.env,
        header: [
            `edge-estate step ${step.order}-${step.name} for host ${host.id} (${host.role}) of site ${site.id}; source: scripts/remote/${step.file}`,
            step.stdinToken ? "stdin: the host's K3s join token, the agent token (servers), the cluster CA files (first server) - secret" : "stdin: none",
            ...(step.secretStdout ? ["stdout: secret (kubeconfig), never logged"] : []),
        ],
    });
}

/**
 * A step an add-on asks every host of a site to run after the host's own steps (the one "extra host steps"
 * hook of EdgeHost). Its NN continues the host's numbering, so synth writes it next to the host's steps.
 */
export interface ExtraHostStep {
    /** e.g. "import-image" */
    name: string;
    /** scripts/remote/<file> */
    file: string;
    env: Record<string, string>;
    /** A local file pushed to the host (CopyToRemote) before the step runs. */
    push?: { resourceName: string; source: string; remotePath: string; triggers: string[] };
    /** Inputs whose change re-runs the step (the host's re-provisioning is added by the host). */
    triggers: string[];
    /** Create/update timeout, e.g. "10m". */
    timeout: string;
}

/** Order, environment and script of an extra step, numbered after the host's `hostSteps` own steps. */
export function renderExtraStep(plan: SitePlan, host: HostConfig, hostSteps: number, index: number, extra: ExtraHostStep): { order: string; script: string } {
    const { site } = plan;
    const order = stepOrder(hostSteps + index);
    const env = { ...hostEnv(plan, host), ...extra.env, EDGE_STEP: `${order}-${extra.name}` };
    const script = renderRemoteScript({
        file: extra.file,
        env,
        header: [`edge-estate add-on step ${order}-${extra.name} for host ${host.id} (${host.role}) of site ${site.id}; source: scripts/remote/${extra.file}`, "stdin: none"],
    });
    return { order, script };
}
