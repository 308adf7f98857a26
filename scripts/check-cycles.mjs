// Import cycles in the broker (or the folder given), at two levels:
//   1. files: no file reaches itself through its imports (madge --circular);
//   2. feature folders: collapse every file to its first folder under apps/broker/src
//      (grants, requests, …) and require that folder graph to be acyclic, so a feature can
//      be read, tested and split without the one it depends on depending back on it.
// Type-only imports count: a folder that needs another's types is coupled to it all the same.
// One kind of edge is left out of the folder graph: database/ importing the features' entity
// classes, the list the DataSource is built from (composition, like app.module.ts, which is
// its own "(root)" node that nothing imports).
// Specs are left out (a test may reach across folders to set a scene).
// Usage: node scripts/check-cycles.mjs [folder]   (default apps/broker/src) — exits 1 and
// prints each cycle with one import per hop that makes it.
import madge from 'madge';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const SOURCE = (process.argv[2] ?? 'apps/broker/src').replace(/\/$/, '');

const result = await madge(`${root}${SOURCE}`, {
  baseDir: `${root}${SOURCE}`,
  fileExtensions: ['ts'],
  tsConfig: `${root}tsconfig.json`,
  excludeRegExp: [/\.spec\.ts$/, /\.int-spec\.ts$/, /\.e2e-spec\.ts$/],
  detectiveOptions: { ts: { skipTypeImports: false }, tsx: { skipTypeImports: false } },
});

let failed = false;

const fileCycles = result.circular();
if (fileCycles.length > 0) {
  failed = true;
  console.error(`${fileCycles.length} import cycle(s) between files of ${SOURCE}:`);
  for (const cycle of fileCycles) console.error(`  ${[...cycle, cycle[0]].join(' -> ')}`);
}

/** The feature folder of a path relative to apps/broker/src; null outside it (libs). */
function folderOf(file) {
  if (file.startsWith('..')) return null;
  const slash = file.indexOf('/');
  return slash < 0 ? '(root)' : file.slice(0, slash);
}

/** folder -> folder -> one file-level import that makes the edge (the first found). */
const edges = new Map();
for (const [file, deps] of Object.entries(result.obj())) {
  const from = folderOf(file);
  if (from === null) continue;
  for (const dep of deps) {
    const to = folderOf(dep);
    if (to === null || to === from) continue;
    if (from === 'database' && dep.endsWith('.entity.ts')) continue;
    if (!edges.has(from)) edges.set(from, new Map());
    if (!edges.get(from).has(to)) edges.get(from).set(to, `${file} -> ${dep}`);
  }
}

// Tarjan's strongly connected components: every component of more than one folder is a cycle.
const index = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
const components = [];
let next = 0;
function connect(folder) {
  index.set(folder, next);
  low.set(folder, next);
  next += 1;
  stack.push(folder);
  onStack.add(folder);
  for (const to of edges.get(folder)?.keys() ?? []) {
    if (!index.has(to)) {
      connect(to);
      low.set(folder, Math.min(low.get(folder), low.get(to)));
    } else if (onStack.has(to)) {
      low.set(folder, Math.min(low.get(folder), index.get(to)));
    }
  }
  if (low.get(folder) === index.get(folder)) {
    const component = [];
    let member;
    do {
      member = stack.pop();
      onStack.delete(member);
      component.push(member);
    } while (member !== folder);
    if (component.length > 1) components.push(component.sort());
  }
}
for (const folder of [...edges.keys()].sort()) if (!index.has(folder)) connect(folder);

/** One shortest cycle through `start` inside its component (breadth-first), as folder names. */
function shortestCycle(start, members) {
  const previous = new Map([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const folder = queue.shift();
    for (const to of edges.get(folder)?.keys() ?? []) {
      if (!members.has(to)) continue;
      if (to === start) {
        const path = [folder];
        for (let at = previous.get(folder); at !== null; at = previous.get(at)) path.unshift(at);
        return [...path, start];
      }
      if (!previous.has(to)) {
        previous.set(to, folder);
        queue.push(to);
      }
    }
  }
  return [start];
}

if (components.length > 0) {
  failed = true;
  console.error(`import cycle(s) between feature folders of ${SOURCE}:`);
  for (const component of components) {
    const members = new Set(component);
    console.error(`  folders that reach each other: ${component.join(', ')}`);
    const shown = new Set();
    for (const start of component) {
      const cycle = shortestCycle(start, members);
      const key = [...cycle.slice(0, -1)].sort().join(',');
      if (shown.has(key)) continue;
      shown.add(key);
      console.error(`    ${cycle.join(' -> ')}`);
      for (let i = 0; i + 1 < cycle.length; i += 1) {
        console.error(`      ${edges.get(cycle[i]).get(cycle[i + 1])}`);
      }
    }
  }
}

if (failed) process.exit(1);
console.log(
  `no import cycles: ${Object.keys(result.obj()).length} files, ${edges.size} folders in ${SOURCE}`,
);
