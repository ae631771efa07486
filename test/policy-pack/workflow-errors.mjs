// Prints, as JSON, the errors GitHub's workflow parser finds in the workflow read from stdin (argv[2] names it).
// Run through tsx: the parser imports its JSON schema without an import attribute, which plain Node 20 refuses.
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from "@actions/workflow-parser";

let content = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) content += chunk;
const parsed = parseWorkflow({ name: process.argv[2] ?? "workflow.yml", content }, new NoOperationTraceWriter());
let errors = parsed.context.errors.getErrors().map((e) => e.message);
if (!errors.length && parsed.value) {
    const template = await convertWorkflowTemplate(parsed.context, parsed.value);
    errors = (template.errors ?? []).map((e) => e.Message);
}
process.stdout.write(JSON.stringify(errors));
