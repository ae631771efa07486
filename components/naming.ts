/**
 * Every resource and object name the program registers, built and parsed here and nowhere else.
 *
 * Names are part of the deployed state: a resource's URN is its type, its parents' types and its name, so a
 * changed name is a delete and a create. Keep every format below as it is; synth, the on-call summariser and the
 * policy pack parse names through the `parse*` functions of this module (plain string splitting, no patterns).
 *
 * | resource | name |
 * |---|---|
 * | Estate component | `<region>` |
 * | Site component | `<site>` |
 * | Host component | `<site>.<host>` |
 * | host step command | `<site>.<host>.<NN>-<step>` |
 * | host probe | `<site>.<host>.probe` |
 * | airgap artifact push | `<site>.<host>.push-<artifact>` |
 * | tracking image push | `<site>.<host>.push-tracking-image` |
 * | site Kubernetes provider | `<site>-k8s` |
 * | Kubernetes object | `<site>-<kind>-<namespace>-<name>` (cluster-scoped: `<site>-<kind>-<name>`) |
 * | K3s token | `<site>-k3s-token` |
 * | K3s agent token | `<site>-k3s-agent-token` |
 * | K3s cluster CA (key, certificate) | `<site>-k3s-<ca>-key`, `<site>-k3s-<ca>` (ca: server-ca, client-ca, request-header-ca) |
 * | MQTT client password | `<site>-mqtt-<class>` |
 * | remote-write password | `<region>-<site>-monitoring-remote-write` |
 * | hub reader password | `<region>-monitoring-hub-reader` |
 * | Grafana admin password | `<region>-grafana-admin` |
 * | Gatekeeper chart | `<site>-gatekeeper` |
 * | add-on component | `<site>-<addon>` (tracking, gatekeeper, broker, monitoring, monitoring-hub) |
 */

export const PROVIDER_SUFFIX = "-k8s";
const PROBE_SUFFIX = "probe";

export const siteResourceName = (siteId: string): string => siteId;
export const hostResourceName = (siteId: string, hostId: string): string => `${siteId}.${hostId}`;

/** Resource name of a host step: `<site>.<host>.<NN>-<step>`; NN is two digits. */
export function stepResourceName(siteId: string, hostId: string, order: string, step: string): string {
    return `${siteId}.${hostId}.${order}-${step}`;
}

/** Two-digit order of a step from its position (`7` -> `"07"`). */
export const stepOrder = (index: number): string => String(index).padStart(2, "0");

export const probeResourceName = (siteId: string, hostId: string): string => `${siteId}.${hostId}.${PROBE_SUFFIX}`;
export const artifactPushName = (siteId: string, hostId: string, artifact: string): string => `${siteId}.${hostId}.push-${artifact}`;
export const trackingImagePushName = (siteId: string, hostId: string): string => artifactPushName(siteId, hostId, "tracking-image");

export const providerResourceName = (siteId: string): string => `${siteId}${PROVIDER_SUFFIX}`;

/** The site id a provider name belongs to; undefined when the name is not `<site>-k8s`. */
export function parseProviderName(name: string): string | undefined {
    if (!name.endsWith(PROVIDER_SUFFIX) || name.length === PROVIDER_SUFFIX.length) return undefined;
    return name.slice(0, -PROVIDER_SUFFIX.length);
}

/** Stable name of a Kubernetes object on a site: `<site>-<kind>-<namespace>-<name>`, never a list position. */
export function objectResourceName(siteId: string, obj: { kind: string; metadata: { name: string; namespace?: string } }): string {
    const ns = obj.metadata.namespace ? `${obj.metadata.namespace}-` : "";
    return `${siteId}-${obj.kind.toLowerCase()}-${ns}${obj.metadata.name}`;
}

export const k3sTokenName = (siteId: string): string => `${siteId}-k3s-token`;
export const k3sAgentTokenName = (siteId: string): string => `${siteId}-k3s-agent-token`;
export const k3sCaName = (siteId: string, ca: string): string => `${siteId}-k3s-${ca}`;
export const k3sCaKeyName = (siteId: string, ca: string): string => `${siteId}-k3s-${ca}-key`;
export const mqttPasswordName = (siteId: string, clientClass: string): string => `${siteId}-mqtt-${clientClass}`;
export const remoteWritePasswordName = (region: string, siteId: string): string => `${region}-${siteId}-monitoring-remote-write`;
export const hubReaderPasswordName = (region: string): string => `${region}-monitoring-hub-reader`;
export const grafanaAdminPasswordName = (region: string): string => `${region}-grafana-admin`;
export const gatekeeperChartName = (siteId: string): string => `${siteId}-gatekeeper`;

export type AddonName = "tracking" | "gatekeeper" | "broker" | "monitoring" | "monitoring-hub";
export const addonResourceName = (siteId: string, addon: AddonName): string => `${siteId}-${addon}`;

/** Node name K3s registers for a host: `<site>-<host>`. */
export const nodeName = (siteId: string, hostId: string): string => `${siteId}-${hostId}`;

export interface StepName {
    site: string;
    host: string;
    /** "00".."99" */
    order: string;
    step: string;
}

const isDigits = (s: string) => s.length > 0 && [...s].every((c) => c >= "0" && c <= "9");
const isLabel = (s: string) => s.length > 0 && [...s].every((c) => (c >= "a" && c <= "z") || (c >= "0" && c <= "9") || c === "-");

/** Inverse of stepResourceName; undefined for any other name (a probe, a push, a Kubernetes object ...). */
export function parseStepName(name: string): StepName | undefined {
    const parts = name.split(".");
    if (parts.length !== 3) return undefined;
    const [site, host, last] = parts;
    const order = last.slice(0, 2);
    const step = last.slice(3);
    if (!isLabel(site) || !isLabel(host) || !isDigits(order) || last[2] !== "-" || !isLabel(step)) return undefined;
    return { site, host, order, step };
}

/** Inverse of probeResourceName. */
export function parseProbeName(name: string): { site: string; host: string } | undefined {
    const parts = name.split(".");
    if (parts.length !== 3 || parts[2] !== PROBE_SUFFIX || !isLabel(parts[0]) || !isLabel(parts[1])) return undefined;
    return { site: parts[0], host: parts[1] };
}

/**
 * URN patterns (`pulumi up --exclude`) that match every resource of a site: `<site>` (the Site component),
 * `<site>.*` (its hosts and their commands) and `<site>-*` (provider, objects, tokens, add-ons).
 */
export function siteResourceGlobs(siteId: string): string[] {
    return [`**::${siteId}`, `**::${siteId}.*`, `**::${siteId}-*`];
}

/** Other sites whose resources `<site>-*` matches too: ids that start with `<site>-`. */
export function siteGlobOverlaps(siteId: string, siteIds: string[]): string[] {
    return siteIds.filter((o) => o !== siteId && o.startsWith(`${siteId}-`));
}

/** The last segment of a URN: the resource's name. */
export const nameOfUrn = (urn: string): string => urn.slice(urn.lastIndexOf("::") + 2);
