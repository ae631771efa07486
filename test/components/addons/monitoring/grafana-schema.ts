/**
 * Strict JSON schema of a Grafana 11.2 dashboard, generated at test time from @grafana/schema@11.2.0's
 * `Dashboard` type (ts-json-schema-generator, additionalProperties:false) and cached under .cache/.
 * Panel `options`, `targets` and `fieldConfig.defaults.custom` are plugin-defined maps in that type, so the
 * schema checks their shape (object / list of objects) but not their keys.
 */
import * as path from "node:path";
import Ajv from "ajv";
import { cachedSchema, formatErrors, generateSchema, packageVersion } from "../../../support/k8s-schema";

const TYPES = path.join(__dirname, "..", "..", "..", "..", "node_modules", "@grafana", "schema", "dist", "esm", "raw", "dashboard", "x", "dashboard_types.gen.d.ts");

export function grafanaDashboardValidator(): (dashboard: unknown) => string[] {
    const schema = cachedSchema("grafana-dashboard", [packageVersion("@grafana/schema"), packageVersion("ts-json-schema-generator"), "v1"], () => generateSchema(TYPES, "Dashboard"));
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    return (dashboard) => (validate(dashboard) ? [] : formatErrors(validate.errors));
}
