/**
 * Prints the artifacts a stack's hosts install, one per line: "<file name> <sha256|UNPINNED> <url>".
 * Used by scripts/fetch-artifacts.sh (airgap cache) so the list has one source: components/host/steps.ts.
 *   npx tsx scripts/artifacts-list.ts (--stack NAME | --config-file PATH)
 */
import { loadStackFile } from "../components/config/load";
import { ConfigError, versionsForSite } from "../components/config/validate";
import { artifactListLine, hostArtifacts } from "../components/host/steps";

const [flag, value] = process.argv.slice(2);
if (!value || (flag !== "--stack" && flag !== "--config-file")) {
    console.error("usage: artifacts-list.ts (--stack NAME | --config-file PATH)");
    process.exit(2);
}
try {
    const { config } = loadStackFile(flag === "--stack" ? `Pulumi.${value}.yaml` : value);
    const lines = new Set<string>();
    for (const site of config.sites) for (const a of hostArtifacts(config, versionsForSite(config, site))) lines.add(artifactListLine(a));
    console.log(`# cacheDir ${config.artifacts.cacheDir} arch ${config.artifacts.arch}`);
    for (const l of lines) console.log(l);
} catch (e) {
    if (e instanceof ConfigError) {
        console.error(e.message);
        process.exit(1);
    }
    throw e;
}
