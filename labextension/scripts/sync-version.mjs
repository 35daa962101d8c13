// The one version of eager-jupyter lives in eager_jupyter/_version.py. Before every build this copies
// it into package.json (PEP 440 -> semver: 0.2.0.dev1 -> 0.2.0-dev.1, 1.0.0rc2 -> 1.0.0-rc.2), so the
// labextension, the widget module version the kernel asks for, and the wheel always agree.
// tests/test_widget_version.py checks the same mapping and that the two files match.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pyFile = join(here, '..', '..', 'eager_jupyter', '_version.py');
const pkgFile = join(here, '..', 'package.json');

const match = readFileSync(pyFile, 'utf8').match(/^__version__\s*=\s*["']([^"']+)["']/m);
if (!match) {
  throw new Error(`no __version__ in ${pyFile}`);
}
const py = match[1];
const m = py.match(/^(\d+\.\d+\.\d+)(?:\.?(a|b|rc|dev)\.?(\d+))?$/);
if (!m) {
  throw new Error(`cannot map Python version ${py} to semver`);
}
const tag = { a: 'alpha', b: 'beta', rc: 'rc', dev: 'dev' }[m[2]];
const npm = tag ? `${m[1]}-${tag}.${m[3]}` : m[1];

const text = readFileSync(pkgFile, 'utf8');
const pkg = JSON.parse(text);
if (pkg.version !== npm) {
  writeFileSync(pkgFile, text.replace(/"version":\s*"[^"]*"/, `"version": "${npm}"`));
  console.log(`package.json version ${pkg.version} -> ${npm} (from _version.py)`);
}
