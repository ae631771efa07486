// `pulumi up` (runtime config map + the engine's secret-key list) and synth (the stack file) share one loader:
// the same stack is accepted or refused the same way, with the same problems, whichever door it comes through.
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { loadFromRuntimeConfig, loadStackFile } from "../../../components/config/load";
import { ConfigError } from "../../../components/config/validate";
const { isConfigSecret } = require("@pulumi/pulumi/runtime/config") as { isConfigSecret: (k: string) => boolean };

const FIX = path.join(__dirname, "..", "..", "fixtures", "stacks");

/** What the CLI hands the program for a stack file: JSON strings per key, secure keys decrypted and listed. */
function asRuntime(file: string, decrypt: (ciphertext: string) => string = () => "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n") {
    const doc = yaml.load(fs.readFileSync(file, "utf8")) as { config: Record<string, unknown> };
    const all: Record<string, string> = {};
    const secret: string[] = [];
    for (const [k, v] of Object.entries(doc.config)) {
        const secure = typeof v === "object" && v !== null && "secure" in v;
        if (secure) secret.push(k);
        const plain = secure ? decrypt(String((v as { secure: string }).secure)) : v;
        all[k] = typeof plain === "string" ? plain : JSON.stringify(plain);
    }
    // The real runtime store: values and the secret-key list as the language host sets them.
    pulumi.runtime.setAllConfig(all, secret);
    return pulumi.runtime.allConfig();
}

function problems(load: () => unknown): string[] {
    try {
        load();
    } catch (e) {
        if (e instanceof ConfigError) return e.problems;
        throw e;
    }
    return [];
}

const strip = (ps: string[]) => ps.map((p) => p.replace(/^[^:]*\.yaml: |^stack config: /, ""));

describe("one loader for pulumi up and synth", () => {
    it.each(["valid-minimal.yaml", "broken/secure-inventory.yaml", "broken/misspelt-namespace.yaml", "broken/unknown-namespace.yaml", "broken/tracking-replicas-over-hosts.yaml", "broken/label-kubelet-refuses.yaml", "broken/hub-on-one-host.yaml"])(
        "%s gives the same verdict through both doors",
        (f) => {
            const file = path.join(FIX, f);
            const viaFile = problems(() => loadStackFile(file));
            const viaRuntime = problems(() => loadFromRuntimeConfig(asRuntime(file), false, isConfigSecret));
            expect(strip(viaRuntime)).toEqual(strip(viaFile));
            if (f.startsWith("broken/")) expect(viaRuntime.length).toBeGreaterThan(0);
            else expect(viaRuntime).toEqual([]);
        },
    );

    it("a secret inventory key is refused at runtime too (the engine lists it as secret)", () => {
        const all = asRuntime(path.join(FIX, "broken", "secure-inventory.yaml"));
        expect(isConfigSecret("edge-estate:tracking")).toBe(true);
        expect(problems(() => loadFromRuntimeConfig(all, false, isConfigSecret)).join("\n")).toMatch(/^edge-estate:tracking: only sshPrivateKey may be a secret/m);
    });
});
