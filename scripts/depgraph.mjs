#!/usr/bin/env node
// The module map, generated from the imports and checked (`npm run depgraph`, part of `npm run lint`
// and `npm test`):
//   1. dependency-cruiser applies .dependency-cruiser.cjs: no upward edge between the layers of
//      scripts/lib/module-layers.cjs, no cycle between modules, no library importing an app or test/;
//   2. every folder in libs/ and apps/ has a layer;
//   3. docs/module-graph.md (the Mermaid graph) and the "imports" column of the module table in
//      docs/architecture.md equal what the imports say.
// `npm run depgraph:write` rewrites both documents from the code instead of comparing them.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const layers = createRequire(import.meta.url)('./lib/module-layers.cjs');
const write = process.argv.includes('--write');
const GRAPH_FILE = 'docs/module-graph.md';
const MAP_FILE = 'docs/architecture.md';
const TABLE_START = '<!-- module table: the imports column is checked by npm run depgraph -->';
const TABLE_END = '<!-- end of module table -->';

const problems = [];
const cruise = cruiseImports();
reportViolations(cruise);
checkEveryModuleHasALayer();
const edges = moduleEdges(cruise);
syncFile(GRAPH_FILE, renderGraph(edges));
syncFile(MAP_FILE, withImportsColumn(readFileSync(join(root, MAP_FILE), 'utf8'), edges));
if (problems.length > 0) {
  for (const problem of problems) console.error(`depgraph: ${problem}`);
  process.exit(1);
}
const edgeCount = [...edges.values()].reduce((sum, targets) => sum + targets.size, 0);
console.log(
  `depgraph: ${edges.size} modules, ${edgeCount} edges, no upward edge or cycle; ${GRAPH_FILE} and ${MAP_FILE} ${write ? 'written' : 'current'}`,
);

function cruiseImports() {
  // Run by this Node (the LTS in npm test): dependency-cruiser refuses Node 20, the machine's default.
  const bin = join(root, 'node_modules/dependency-cruiser/bin/dependency-cruiser.mjs');
  const result = spawnSync(process.execPath, [bin, 'libs', 'apps', '--output-type', 'json'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  // depcruise exits non-zero when a rule is broken; the JSON still says which.
  if (!result.stdout) throw new Error(`depcruise failed: ${result.stderr || result.error}`);
  return JSON.parse(result.stdout);
}

function reportViolations({ summary }) {
  for (const violation of summary.violations.filter(({ rule }) => rule.severity === 'error')) {
    const path = violation.cycle ? violation.cycle.map((step) => step.name ?? step).join(' → ') : violation.to;
    problems.push(`${violation.rule.name}: ${violation.from} → ${path}`);
  }
}

function checkEveryModuleHasALayer() {
  const layered = new Set(layers.flatMap((layer) => layer.modules));
  for (const top of ['libs', 'apps']) {
    for (const entry of readdirSync(join(root, top), { withFileTypes: true })) {
      const name = `${top}/${entry.name}`;
      if (entry.isDirectory() && !layered.has(name)) {
        problems.push(`${name} has no layer: add it to scripts/lib/module-layers.cjs and to ${MAP_FILE}`);
      }
    }
  }
}

/** Module → the other modules it imports (libs/x or apps/x; unit specs are not in the cruise). */
function moduleEdges({ modules }) {
  const moduleOf = (path) => /^(?:libs|apps)\/[^/]+/.exec(path)?.[0];
  const edges = new Map(layers.flatMap((layer) => layer.modules.map((name) => [name, new Set()])));
  for (const { source, dependencies } of modules) {
    const from = moduleOf(source);
    for (const { resolved } of dependencies) {
      const to = moduleOf(resolved);
      if (from && to && from !== to) edges.get(from)?.add(to);
    }
  }
  return edges;
}

function exists(name) {
  return existsSync(join(root, name));
}
/** `config` for libs/config, `apps/server` for an app. */
function label(name) {
  return name.replace(/^libs\//, '');
}
function nodeId(name) {
  return name.replace(/[^a-z0-9]/gi, '_');
}

function renderGraph(edges) {
  const lines = [
    '# Module graph',
    '',
    `Generated from the imports by \`npm run depgraph:write\`; \`npm run lint\` and \`npm test\` fail when it`,
    `differs from the code. An arrow points from a module to one it imports; layers are drawn top`,
    `(apps) to bottom (foundation), and no arrow points up. The layers are explained in`,
    `[architecture.md](architecture.md#module-map).`,
    '',
    '```mermaid',
    'flowchart TB',
  ];
  [...layers].reverse().forEach((layer) => {
    const index = layers.indexOf(layer);
    lines.push(`  subgraph layer${index}["${index} · ${layer.name}"]`);
    for (const name of layer.modules.filter(exists)) lines.push(`    ${nodeId(name)}["${label(name)}"]`);
    lines.push('  end');
  });
  for (const [from, targets] of edges) {
    for (const to of [...targets].sort()) lines.push(`  ${nodeId(from)} --> ${nodeId(to)}`);
  }
  lines.push('```', '');
  return lines.join('\n');
}

/** The module table's last column ("imports") rewritten from the edges; other columns are prose. */
function withImportsColumn(text, edges) {
  const start = text.indexOf(TABLE_START);
  const end = text.indexOf(TABLE_END);
  if (start < 0 || end < start) {
    problems.push(`${MAP_FILE}: the module table markers are missing`);
    return text;
  }
  const listed = new Set();
  const rows = text
    .slice(start, end)
    .split('\n')
    .map((line) => {
      // the first cell naming a module (`libs/x`, `apps/x`) says whose row it is
      const name = /`((?:libs|apps)\/[^`/]+)`/.exec(line)?.[1];
      if (!line.startsWith('| ') || !name) return line;
      const cells = line.split(' | ');
      listed.add(name);
      if (!edges.has(name)) problems.push(`${MAP_FILE}: ${name} is in the module table but has no layer`);
      const imports = [...(edges.get(name) ?? [])].sort().map(label);
      cells[cells.length - 1] = `${imports.length > 0 ? imports.join(', ') : '—'} |`;
      return cells.join(' | ');
    });
  for (const name of edges.keys()) {
    if (exists(name) && !listed.has(name)) problems.push(`${MAP_FILE}: ${name} is missing from the module table`);
  }
  return text.slice(0, start) + rows.join('\n') + text.slice(end);
}

function syncFile(file, expected) {
  const path = join(root, file);
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '';
  if (current === expected) return;
  if (write) writeFileSync(path, expected);
  else problems.push(`${file} is stale: run npm run depgraph:write and commit it`);
}
