// Which host label keys the kubelet accepts in --node-labels and which the program keeps for itself; the
// answers are written out (the kubelet's rule: kubernetes.io/k8s.io namespaces only for its own labels and the
// kubelet.kubernetes.io / node.kubernetes.io namespaces).
import { describe, expect, it } from "vitest";
import { nodeLabelKeyProblem, PROGRAM_NODE_LABELS } from "../../../components/config/node-labels";

describe("nodeLabelKeyProblem", () => {
    it("the program's own node labels", () => {
        expect(PROGRAM_NODE_LABELS).toEqual(["edge-estate/region", "edge-estate/site", "edge-estate/wave", "edge-estate/host"]);
        expect(nodeLabelKeyProblem("edge-estate/site")).toBe(
            "is one of the node labels edge-estate sets itself (edge-estate/region, edge-estate/site, edge-estate/wave, edge-estate/host); use another key",
        );
    });

    it("accepts plain keys, other prefixes, the kubelet's own namespaces and well-known labels", () => {
        for (const k of ["dock", "edge-estate/dock", "example.com/role", "node.kubernetes.io/pool", "kubelet.kubernetes.io/x", "topology.kubernetes.io/zone", "kubernetes.io/arch"])
            expect(nodeLabelKeyProblem(k), k).toBeUndefined();
    });

    it("refuses other kubernetes.io and k8s.io keys, subdomains included", () => {
        expect(nodeLabelKeyProblem("node-role.kubernetes.io/worker")).toBe(
            "is in the kubernetes.io namespace, which the kubelet refuses in --node-labels (the node would not register); use your own prefix (e.g. example.com/role) or node.kubernetes.io/<name>",
        );
        expect(nodeLabelKeyProblem("k8s.io/x")).toMatch(/^is in the k8s\.io namespace/);
        expect(nodeLabelKeyProblem("Example.K8S.io/x")).toMatch(/^is in the k8s\.io namespace/);
    });
});
