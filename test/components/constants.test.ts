// components/constants.ts: the values Gatekeeper, the policy pack and the add-ons share, written out as literals.
import { describe, expect, it } from "vitest";
import { componentLabels, configChecksum, imageRepository, LOCAL_IMAGE_REPOSITORY, selectorLabels, siteLabels, WASM_POD_LABEL, WASM_RUNTIME_CLASS, wasmRepositories } from "../../components/constants";

describe("shared constants", () => {
    it("the Wasm runtime class is the one K3s ships, the marker label is edge-estate/runtime=wasm", () => {
        expect(WASM_RUNTIME_CLASS).toBe("wasmedge");
        expect(WASM_POD_LABEL).toEqual({ key: "edge-estate/runtime", value: "wasm" });
    });

    it("names an image's repository the way containerd resolves it", () => {
        expect(imageRepository("eclipse-mosquitto:2.0.18@sha256:d12c")).toBe("docker.io/library/eclipse-mosquitto");
        expect(imageRepository("prom/prometheus:v2.53.0")).toBe("docker.io/prom/prometheus");
        expect(imageRepository("registry.example.com:5000/a/b:1")).toBe("registry.example.com:5000/a/b");
        expect(imageRepository("localhost/x")).toBe("localhost/x");
        expect(imageRepository(`${LOCAL_IMAGE_REPOSITORY}@sha256:00`)).toBe("edge-estate.local/logistics-system");
    });

    it("Wasm repositories: the imported tracking image, plus a registry image when configured", () => {
        expect(wasmRepositories()).toEqual(["edge-estate.local/logistics-system"]);
        expect(wasmRepositories("registry.example.com/edge/logistics-system:1.0")).toEqual(["edge-estate.local/logistics-system", "registry.example.com/edge/logistics-system"]);
    });

    it("labels, in the order objects carry them", () => {
        expect(siteLabels("hz-xihu")).toEqual({ "app.kubernetes.io/managed-by": "edge-estate", "edge-estate/site": "hz-xihu" });
        expect(Object.entries(componentLabels("hz-xihu", "tracking"))).toEqual([
            ["app.kubernetes.io/name", "tracking"],
            ["app.kubernetes.io/part-of", "edge-estate"],
            ["app.kubernetes.io/managed-by", "edge-estate"],
            ["edge-estate/site", "hz-xihu"],
        ]);
        expect(componentLabels("a", "grafana", "edge-monitoring")["app.kubernetes.io/part-of"]).toBe("edge-monitoring");
        expect(selectorLabels("tracking")).toEqual({ "app.kubernetes.io/name": "tracking", "app.kubernetes.io/part-of": "edge-estate" });
    });

    it("the restart-on-change checksum is sha256 hex (the FIPS 180-2 test vector for \"abc\")", () => {
        expect(configChecksum("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    });
});
