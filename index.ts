// edge-estate: one region stack of city sites (K3s + WasmEdge over SSH). See README.md.
import * as pulumi from "@pulumi/pulumi";
import { loadFromRuntimeConfig } from "./components/config/load";
// Internal in the SDK's typings, exported at runtime: whether the engine marked a config key secret.
const { isConfigSecret } = require("@pulumi/pulumi/runtime/config") as { isConfigSecret: (key: string) => boolean };
import { ConfigError } from "./components/config/validate";
import { defineEstate, missingAirgapArtifacts } from "./components/program";

function loadConfig() {
    try {
        // `pulumi up` refuses unpinned artifacts; preview only warns so PR checks still render the plan.
        // The same loader as synth: namespaces, secret keys (from the engine's secret-key list) and every check.
        return loadFromRuntimeConfig(pulumi.runtime.allConfig(), !pulumi.runtime.isDryRun(), isConfigSecret);
    } catch (e) {
        // RunError prints the message without a stack trace: config mistakes are user errors.
        if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
        throw e;
    }
}

const config = loadConfig();
const missing = missingAirgapArtifacts(config);
if (missing.length > 0 && !pulumi.runtime.isDryRun()) {
    throw new pulumi.RunError(
        `airgap mode: ${missing.length} artifact(s) missing from ${config.artifacts.cacheDir}: ${missing.join(", ")}. ` +
            `Run scripts/fetch-artifacts.sh --stack ${pulumi.getStack()} on a connected machine first.`,
    );
}
const sshPrivateKey = new pulumi.Config().requireSecret("sshPrivateKey");
const outputs = defineEstate(config, sshPrivateKey);

export const region = outputs.region;
export const sites = outputs.sites;
export const unpinnedArtifacts = outputs.unpinnedArtifacts;
