// Pulumi's secret wire envelope as synth reads and redacts it. The signature is checked against the SDK's own
// wire constants (@pulumi/pulumi runtime/rpc), not against ours.
import { describe, expect, it } from "vitest";
import { isSecretEnvelope, redactSecrets, REDACTED, secretEnvelope } from "../../../scripts/synth/secrets";

const rpc = require("@pulumi/pulumi/runtime/rpc");

describe("secret envelope", () => {
    it("uses the SDK's own signature for a secret value", () => {
        const wire = { [rpc.specialSigKey]: rpc.specialSecretSig, value: "hunter2" };
        expect(secretEnvelope("hunter2")).toEqual(wire);
        expect(isSecretEnvelope(wire)).toBe(true);
        // Another special value (an asset, a resource reference) is not a secret.
        expect(isSecretEnvelope({ [rpc.specialSigKey]: rpc.specialAssetSig, path: "x" })).toBe(false);
        expect(isSecretEnvelope("hunter2")).toBe(false);
    });

    it("redacts every secret, however deep, and leaves the rest as it is", () => {
        const input = { a: secretEnvelope("k"), b: [1, { c: secretEnvelope({ nested: true }) }], d: "plain", e: null };
        expect(redactSecrets(input)).toEqual({ a: REDACTED, b: [1, { c: REDACTED }], d: "plain", e: null });
        expect(REDACTED).toBe("[secret]");
    });
});
