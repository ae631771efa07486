// Builds the tracking service's OCI image archive without Docker, byte-identical from build to build:
//   tsx scripts/build/oci.ts --wasm wasm-app/dist/logistics-system.wasm --config wasm-app/config.json \
//       --out wasm-app/dist/logistics-system.oci.tar [--ref latest] [--layout DIR]
// Prints the manifest digest (sha256:...), which the rollout pins the image by.
import fs from "node:fs";
import path from "node:path";
import { buildOciImage, ociArchive } from "../../wasm-app/oci/image";
import { OutputPathError, writeOutputDir, writeOutputFile } from "../lib/safe-output";

export interface BuildOciOptions {
  wasmPath: string;
  configPath: string;
  /** the .oci.tar to write */
  outPath: string;
  /** org.opencontainers.image.ref.name; default "latest" */
  refName?: string;
  /** also write the unpacked OCI layout directory here */
  layoutDir?: string;
}

export interface BuildOciResult {
  manifestDigest: string;
  outPath: string;
  bytes: number;
}

function readInput(file: string, what: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new Error(`cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Builds the archive (and optionally the layout dir); returns the manifest digest. */
export async function buildOci(opts: BuildOciOptions): Promise<BuildOciResult> {
  const image = await buildOciImage({
    wasm: readInput(opts.wasmPath, "Wasm module"),
    config: readInput(opts.configPath, "config file"),
    refName: opts.refName ?? "latest",
  });
  const archive = await ociArchive(image);
  fs.mkdirSync(path.dirname(path.resolve(opts.outPath)), { recursive: true });
  // An existing archive is replaced only when it is an OCI image archive (a tar whose first entry is blobs/ or
  // oci-layout, as ociArchive writes it); anything else at that path is refused.
  writeOutputFile(opts.outPath, archive, (old) => /^(blobs\/|oci-layout|index\.json)/.test(old.toString("latin1", 0, 100)), "OCI image archive");
  if (opts.layoutDir) {
    // The layout folder is swapped in whole; an existing one is replaced only when a previous build-oci made it.
    await writeOutputDir(opts.layoutDir, "build-oci", (dir) => {
      for (const [name, data] of image.layout) {
        const file = path.join(dir, name);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, data);
      }
      return { publish: true };
    });
  }
  return { manifestDigest: image.manifestDigest, outPath: opts.outPath, bytes: archive.length };
}

const USAGE =
  "usage: scripts/build/oci.ts --wasm FILE.wasm --config config.json --out NAME.oci.tar [--ref latest] [--layout DIR]";

function parseArgs(argv: string[]): BuildOciOptions {
  const values: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i];
    if (!["--wasm", "--config", "--out", "--ref", "--layout"].includes(key)) throw new Error(`unknown argument ${key}`);
    if (i + 1 >= argv.length) throw new Error(`${key} needs a value`);
    values[key.slice(2)] = argv[++i];
  }
  for (const k of ["wasm", "config", "out"]) if (!values[k]) throw new Error(`--${k} is required`);
  return {
    wasmPath: values.wasm,
    configPath: values.config,
    outPath: values.out,
    refName: values.ref,
    layoutDir: values.layout,
  };
}

if (require.main === module) {
  let opts: BuildOciOptions;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`build-oci: ${(e as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  buildOci(opts).then(
    (r) => process.stdout.write(`${r.manifestDigest}\n`),
    (e) => {
      process.stderr.write(`build-oci: ${(e as Error).message}\n`);
      process.exit(e instanceof OutputPathError ? 2 : 1);
    },
  );
}
