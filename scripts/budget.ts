/**
 * The per-site budget table (components/addons/budget.ts) as Markdown, for every site or one:
 *
 *   npm run budget -- (--stack NAME | --config-file PATH) [--site ID]
 *
 * Exit codes: 0 printed, 1 invalid stack config or unknown site, 2 usage error.
 */
import { budgetMarkdown, siteBudget } from "../components/addons/budget";
import { loadStackFile } from "../components/config/load";
import { planEstate } from "../components/plan";
import { parseArgs, runTool, stackSource } from "./lib/cli";

const USAGE = "usage: npm run budget -- (--stack NAME | --config-file PATH) [--site ID]";

runTool("budget", USAGE, () => {
    const args = parseArgs(process.argv.slice(2), { values: ["--stack", "--config-file", "--site"] });
    const { file } = stackSource(args);
    const siteId = args.values.get("--site");
    const { config } = loadStackFile(file);
    const plans = planEstate(config).sites.filter((p) => siteId === undefined || p.site.id === siteId);
    if (plans.length === 0) {
        console.error(`budget: no site ${JSON.stringify(siteId)} in ${file}; sites: ${config.sites.map((s) => s.id).join(", ")}`);
        return 1;
    }
    console.log(plans.map((p) => budgetMarkdown(siteBudget(p))).join("\n\n"));
    return 0;
});
