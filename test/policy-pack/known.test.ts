import { describe, expect, it } from "vitest";
import { isUnknownValueError, materialize, UNKNOWN, UNKNOWN_SENTINELS } from "../../policy-pack/known";
import { UNKNOWN_NUMBER, UNKNOWN_STRING, unknownCheckingProxy, UnknownValueError } from "./helpers";

// The sentinels as the policy runtime itself defines them (proxy.js, loaded without its empty .d.ts).
const proxyModule = require("@pulumi/policy/proxy") as Record<string, unknown>;

describe("known values under the preview proxy", () => {
    it("recognises exactly the runtime's unknown sentinels", () => {
        const runtime = Object.entries(proxyModule).filter(([k]) => /^unknown.*Value$/.test(k)).map(([, v]) => v);
        expect(runtime).toHaveLength(7);
        expect([...UNKNOWN_SENTINELS].sort()).toEqual([...(runtime as string[])].sort());
    });

    it("the real proxy throws UnknownValueError on an unknown field, and isUnknownValueError recognises it", () => {
        const props = unknownCheckingProxy({ spec: { replicas: UNKNOWN_NUMBER } });
        let caught: unknown;
        try {
            void props.spec.replicas;
        } catch (e) {
            caught = e;
        }
        expect(caught).toBeInstanceOf(UnknownValueError);
        expect(isUnknownValueError(caught)).toBe(true);
        expect(isUnknownValueError(new Error("other"))).toBe(false);
    });

    it("materialize copies proxied props into plain data with UNKNOWN markers, keeping everything known", () => {
        const props = unknownCheckingProxy({
            metadata: { name: UNKNOWN_STRING, labels: { a: "b" } },
            spec: { replicas: 2, list: [1, UNKNOWN_NUMBER, { x: UNKNOWN_STRING }] },
        });
        expect(materialize(props)).toEqual({
            metadata: { name: UNKNOWN, labels: { a: "b" } },
            spec: { replicas: 2, list: [1, UNKNOWN, { x: UNKNOWN }] },
        });
        // Not proxied: raw sentinel strings are unknown too.
        expect(materialize({ a: UNKNOWN_STRING })).toEqual({ a: UNKNOWN });
    });
});
