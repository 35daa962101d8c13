// Build the labextension into ../eager_jupyter/labextension (shipped in the wheel).
//
//   node scripts/build.mjs                 production build
//   node scripts/build.mjs --development   unminified, with source maps (editable installs)
//
// Steps: copy the version from eager_jupyter/_version.py into package.json, compile TypeScript, then
// run @jupyterlab/builder's `build-labextension` against JupyterLab's core metadata. The metadata comes
// from the pinned @jupyterlab/core-meta devDependency (the same file as jupyterlab/staging/package.json),
// so the build needs no Python JupyterLab and no network, and gives the same output everywhere.
// `jupyter labextension build` would do the same, but JupyterLab 4.6 resolves that metadata over
// the network when it is not next to a new-style builder.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = name => join(root, 'node_modules', '.bin', process.platform === 'win32' ? `${name}.cmd` : name);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

run(process.execPath, [join(root, 'scripts', 'sync-version.mjs')]);
run(bin('tsc'), ['-b']);

const core = mkdtempSync(join(tmpdir(), 'eager-jupyter-core-'));
try {
  copyFileSync(join(root, 'node_modules', '@jupyterlab', 'core-meta', 'core.package.json'), join(core, 'package.json'));
  const args = ['--core-path', core];
  if (process.argv.includes('--development')) {
    args.push('--development');
  }
  run(bin('build-labextension'), [...args, '.']);
} finally {
  rmSync(core, { recursive: true, force: true });
}
