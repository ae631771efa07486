/**
 * YAML read the way kubectl reads it, so `policy:check` judges the object the cluster will get.
 *
 * kubectl turns YAML into JSON with sigs.k8s.io/yaml, whose parser (a go-yaml v2 fork) applies a mapping's keys in
 * order: a merge key (`<<: *anchor`) writes every key of the merged mapping over what came before it, and a later
 * explicit key writes over the merge; a merged list `[*a, *b]` lets earlier entries win. Duplicate keys are not an
 * error (the last one wins). js-yaml's own merge support lets explicit keys win whatever their position, so
 *
 *     resources:
 *       limits: {cpu: 500m, memory: 256Mi}
 *       <<: *big            # big = {limits: {cpu: "8", memory: 8Gi}}
 *
 * would read 500m/256Mi where kubectl reads 8 CPU / 8Gi. Here js-yaml parses with the core schema (a `<<` key stays
 * a plain key, in document order) and the merges are applied afterwards with go-yaml v2's rules. JSON is YAML, so
 * `.json` manifests go through the same function.
 */
import * as yaml from "js-yaml";

const MERGE = "<<";

type Obj = Record<string, unknown>;
const isMap = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Applies merge keys recursively; shared (aliased) nodes are resolved once, so alias bombs stay linear. */
function resolver() {
    const done = new WeakMap<object, unknown>();
    const resolve = (v: unknown): unknown => {
        if (typeof v !== "object" || v === null) return v;
        const cached = done.get(v);
        if (cached !== undefined) return cached;
        if (Array.isArray(v)) {
            const out: unknown[] = [];
            done.set(v, out);
            for (const e of v) out.push(resolve(e));
            return out;
        }
        const out: Obj = {};
        done.set(v, out);
        for (const [k, raw] of Object.entries(v as Obj)) {
            if (k !== MERGE) {
                out[k] = resolve(raw);
                continue;
            }
            const sources = Array.isArray(raw) ? [...raw].reverse() : [raw];
            for (const src of sources) {
                const m = resolve(src);
                if (!isMap(m)) throw new Error("a merge key (<<) must name a mapping or a list of mappings");
                for (const [mk, mv] of Object.entries(m)) out[mk] = mv;
            }
        }
        return out;
    };
    return resolve;
}

/** All documents of a YAML (or JSON) text, as kubectl would send them. Throws js-yaml's errors for bad syntax. */
export function loadKubeYaml(text: string, filename?: string): unknown[] {
    const docs = yaml.loadAll(text, undefined, { schema: yaml.CORE_SCHEMA, json: true, ...(filename ? { filename } : {}) });
    const resolve = resolver();
    return docs.map((d) => resolve(d));
}
