/**
 * Node labels the kubelet will accept in `--node-labels` (K3s `node-label:`) and that do not collide with the
 * labels this program sets itself. The grammar (qualified name, 63-character value) is grammar.ts; this is the
 * namespace rule on top of it.
 *
 * The kubelet refuses any label in the kubernetes.io / k8s.io namespaces (including subdomains such as
 * node-role.kubernetes.io) except its own well-known ones and the kubelet.kubernetes.io / node.kubernetes.io
 * namespaces: the node would never register. `edge-estate/region|site|wave|host` are the program's own labels: a
 * host label with one of those keys would silently overwrite one the policies and selectors rely on (other
 * `edge-estate/*` keys, like `edge-estate/dock`, are free for the inventory).
 */
import { NODE_LABELS } from "../constants";

const KUBELET_ALLOWED = new Set([
    "kubernetes.io/hostname",
    "kubernetes.io/instance-type",
    "kubernetes.io/os",
    "kubernetes.io/arch",
    "beta.kubernetes.io/instance-type",
    "beta.kubernetes.io/os",
    "beta.kubernetes.io/arch",
    "failure-domain.beta.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/region",
    "topology.kubernetes.io/zone",
    "topology.kubernetes.io/region",
    "node.kubernetes.io/instance-type",
]);
const KUBELET_NAMESPACES = ["kubelet.kubernetes.io", "node.kubernetes.io"];
/** The node labels k3s-config writes itself (components/host/steps.ts k3sConfigYaml). */
export const PROGRAM_NODE_LABELS: string[] = Object.values(NODE_LABELS);

/** Why a host label key cannot be used, or undefined when it can. */
export function nodeLabelKeyProblem(key: string): string | undefined {
    const slash = key.indexOf("/");
    if (slash < 0) return undefined;
    const prefix = key.slice(0, slash).toLowerCase();
    if (PROGRAM_NODE_LABELS.includes(key)) return `is one of the node labels edge-estate sets itself (${PROGRAM_NODE_LABELS.join(", ")}); use another key`;
    const k8s = (ns: string) => prefix === ns || prefix.endsWith(`.${ns}`);
    if (!k8s("kubernetes.io") && !k8s("k8s.io")) return undefined;
    if (KUBELET_ALLOWED.has(key) || KUBELET_NAMESPACES.some((ns) => prefix === ns || prefix.endsWith(`.${ns}`))) return undefined;
    return (
        `is in the ${k8s("kubernetes.io") ? "kubernetes.io" : "k8s.io"} namespace, which the kubelet refuses in --node-labels (the node would not register); ` +
        `use your own prefix (e.g. example.com/role) or node.kubernetes.io/<name>`
    );
}
