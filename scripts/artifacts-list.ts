/**
 * Prints the artifacts a stack's hosts install, one per line: "<file name> <sha256|UNPINNED> <url>".
 * Used by scripts/fetch-artifacts.sh (airgap cache) so the list has one source: components/host/steps.ts.
 *   npx tsx scripts/artifacts-list.ts (--stack NAME | --config-file PATH)
 */
import { loadStackFile } from "../components/config/load";
import { artifactListLine, hostArtifacts } from "../components/host/steps";
import { planEstate } from "../components/plan";
import { parseArgs, runTool, stackSource } from "./lib/cli";

runTool("artifacts-list", "usage: artifacts-list.ts (--stack NAME | --config-file PATH)", () => {
    const { file } = stackSource(parseArgs(process.argv.slice(2), { values: ["--stack", "--config-file"] }));
    const { config } = loadStackFile(file);
    const lines = new Set<string>();
    for (const plan of planEstate(config).sites) for (const a of hostArtifacts(config, plan.versions)) lines.add(artifactListLine(a));
    console.log(`# cacheDir ${config.artifacts.cacheDir} arch ${config.artifacts.arch}`);
    for (const l of lines) console.log(l);
    return 0;
});
