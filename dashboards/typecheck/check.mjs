// Type-checks the dashboards and the provisioning files.
//
//   node check.mjs --modules DIR [--dashboards DIR] [--provisioning DIR] [--work DIR]
//
// --modules is the node_modules folder holding this package's pinned
// dependencies (check.sh installs them under target/). Each dashboard panel
// becomes a typed TypeScript constant (see grafana.ts), each provisioning
// file a constant of the plugin's documented shape (see clickhouse.ts), and
// the TypeScript compiler checks them, with its excess-property checks, once
// per pinned Grafana schema. Exits 1 and prints every error, located by file
// and panel, when anything does not fit.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => {
    if (arg.startsWith('--')) pairs.push([arg.slice(2), all[i + 1]]);
    return pairs;
  }, []),
);
const modules = path.resolve(args.modules ?? path.join(here, 'node_modules'));
const provisioning = path.resolve(args.provisioning ?? path.join(here, '..', 'provisioning'));
const dashboards = path.resolve(args.dashboards ?? path.join(provisioning, 'dashboards', 'reshimu'));
const work = path.resolve(args.work ?? path.join(modules, '..', 'generated'));

const load = async (file) => (await import(pathToFileURL(path.join(modules, file)).href)).default;
const ts = await load('typescript/lib/typescript.js');
const YAML = await load('yaml/dist/index.js');

/** The Grafana schemas to check against: alias in package.json -> label. */
const SCHEMAS = { 'grafana-schema-12': 'Grafana 12.4', 'grafana-schema-13': 'Grafana 13.2' };

/** Generated source, and which dashboard file and panel each line came from. */
function generate() {
  const lines = [
    `import type { DashboardWithoutPanels, Panels } from ${JSON.stringify(path.join(here, 'grafana'))};`,
    `import type { DashboardProvidersFile, DataSourcesFile } from ${JSON.stringify(path.join(here, 'clickhouse'))};`,
  ];
  const origin = [null, null];
  const emit = (where, text) => {
    for (const line of text.split('\n')) {
      lines.push(line);
      origin.push(where);
    }
  };
  let n = 0;
  const files = fs.readdirSync(dashboards).filter((f) => f.endsWith('.json')).sort();
  if (files.length === 0) throw new Error(`no dashboards in ${dashboards}`);
  for (const file of files) {
    const where = path.relative(process.cwd(), path.join(dashboards, file));
    const { panels = [], ...rest } = JSON.parse(fs.readFileSync(path.join(dashboards, file), 'utf8'));
    emit(where, `export const d${n}: DashboardWithoutPanels = ${JSON.stringify(rest, null, 2)};`);
    for (const panel of panels) {
      const at = `${where}: panel ${JSON.stringify(panel.title ?? panel.id)}`;
      const kind = JSON.stringify(String(panel.type));
      emit(at, `export const d${n}p${panel.id}: Panels[${kind}] = ${JSON.stringify(panel, null, 2)};`);
    }
    n += 1;
  }
  for (const [sub, type] of [
    ['datasources', 'DataSourcesFile'],
    ['dashboards', 'DashboardProvidersFile'],
  ]) {
    const dir = path.join(provisioning, sub);
    for (const file of fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
      const where = path.relative(process.cwd(), path.join(dir, file));
      const value = YAML.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
      emit(where, `export const p${n}: ${type} = ${JSON.stringify(value, null, 2)};`);
      n += 1;
    }
  }
  return { source: lines.join('\n') + '\n', origin };
}

function check(alias, label, generated) {
  const dir = path.join(work, alias);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'dashboards.ts');
  fs.writeFileSync(file, generated.source);
  const schema = path.join(modules, alias, 'dist', 'types');
  const options = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    types: [],
    baseUrl: dir,
    paths: {
      '@grafana/schema': [path.join(schema, 'index.d.ts')],
      'schema/*': [path.join(schema, '*')],
    },
  };
  const program = ts.createProgram([file], options);
  const errors = ts.getPreEmitDiagnostics(program);
  for (const d of errors) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n    ');
    if (d.file && d.file.fileName === file && d.start !== undefined) {
      const { line } = d.file.getLineAndCharacterOfPosition(d.start);
      const text = generated.source.split('\n')[line]?.trim();
      console.error(`${label}: ${generated.origin[line] ?? file}: ${message}\n    at: ${text}`);
    } else {
      const where = d.file ? d.file.fileName : '(options)';
      console.error(`${label}: ${where}: ${message}`);
    }
  }
  return errors.length;
}

const generated = generate();
let failures = 0;
for (const [alias, label] of Object.entries(SCHEMAS)) {
  if (!fs.existsSync(path.join(modules, alias))) {
    console.error(`${alias} is not installed in ${modules}: run dashboards/typecheck/check.sh`);
    process.exit(2);
  }
  failures += check(alias, label, generated);
}
const count = generated.source.match(/^export const /gm)?.length ?? 0;
if (failures > 0) {
  console.error(`dashboard type check: ${failures} errors`);
  process.exit(1);
}
console.log(
  `dashboard type check: ${count} dashboards, panels and provisioning files fit ${Object.values(SCHEMAS).join(' and ')} and the ClickHouse plugin`,
);
