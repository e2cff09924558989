#!/usr/bin/env node
/**
 * Builds a JavaScript plugin into a WebAssembly component with componentize-js.
 *
 * Run in the plugin's folder (the manifest's `[build]` command does):
 *
 *     node wharf/build.mjs [--source plugin.js] [--out plugin.wasm] [--wit wit] [--world filter-plugin]
 *
 * It needs nothing installed beforehand but Node 18 or newer with npm: componentize-js and
 * jco, pinned with every dependency by `toolchain/package-lock.json`, are installed on first
 * use into `~/.cache/wharf/tools/jco-<version>/` (`$XDG_CACHE_HOME` when set,
 * `$WHARF_TOOLS_DIR` to put it elsewhere) and reused by every plugin after that.
 *
 * The plugin's JavaScript files are staged with the SDK beside this script as `wharf/`, so
 * `import ... from './wharf/wharf.js'` reaches this SDK wherever the plugin's folder is. The
 * worlds come from the manifest's `roles` (`filter` → `filter-plugin`) unless `--world` names
 * one; the WIT is the project's `wit/` folder unless `--wit` names another. The engine is
 * built without its HTTP features (`fetch`, incoming requests), whose `wasi:http` imports
 * Wharf refuses; what it keeps (stdio, clocks, random) Wharf provides virtually, per call.
 *
 * Built components are kept by the digest of what went into them (the staged sources, the
 * WIT, the world, the toolchain) in `~/.cache/wharf/js-builds/`: building unchanged sources
 * again is a copy, not a half-minute componentize.
 */

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The toolchain's jco release, which names its folder under the tools directory. */
const JCO = '1.35.0';
/** The componentize-js release plugins are built with (pinned in `toolchain/`). */
const COMPONENTIZE_JS = '0.23.0';
/** Engine features left out: `fetch` and incoming requests import `wasi:http`. */
const DISABLED_FEATURES = ['http', 'fetch-event'];
/** What a component may import: the contract, and the WASI 0.2 that Wharf links. */
const ALLOWED_IMPORT = /^(wharf:plugin\/[a-z-]+@0\.1\.0|wasi:(io|clocks|cli|filesystem|random)\/[a-z-]+@0\.2\.\d+)$/;
/** The SDK's own modules, staged as `wharf/` beside the plugin's sources. */
const SDK_DIR = dirname(fileURLToPath(import.meta.url));
const SDK_MODULES = ['wharf.js', 'fields.js', 'host.js', 'unit-of-work.js', 'outbound.js'];
/** Folders whose files are never the plugin's sources. */
const SKIPPED_DIRS = new Set(['node_modules', 'cases', 'wit', 'wharf', 'target']);
/** Built components kept in the build cache; the oldest go first. */
const KEPT_BUILDS = 32;

/** Why the build cannot go on, in a sentence for the plugin's author. */
class BuildError extends Error {}

/** `$XDG_CACHE_HOME` or `~/.cache`. */
function cacheHome() {
  const xdg = process.env.XDG_CACHE_HOME;
  return xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache');
}

/** Where Wharf keeps the toolchains it installs. */
function toolsDir() {
  return process.env.WHARF_TOOLS_DIR || join(cacheHome(), 'wharf', 'tools');
}

/** The command line's options, with their defaults. */
function options(argv) {
  const chosen = { source: 'plugin.js', out: 'plugin.wasm', wit: 'wit', world: undefined };
  for (let at = 0; at < argv.length; at++) {
    const name = argv[at].replace(/^--/, '');
    if (!argv[at].startsWith('--') || !(name in chosen) || at + 1 >= argv.length) {
      throw new BuildError(
        `unknown argument ${argv[at]}; usage: node wharf/build.mjs [--source plugin.js] [--out plugin.wasm] ` +
          '[--wit wit] [--world <role>-plugin]',
      );
    }
    chosen[name] = argv[++at];
  }
  return chosen;
}

/** The `roles` list of the manifest `wharf-plugin.toml` in `folder`. */
async function manifestRoles(folder) {
  const path = join(folder, 'wharf-plugin.toml');
  if (!existsSync(path)) throw new BuildError(`no wharf-plugin.toml in ${folder}`);
  const text = await fs.readFile(path, 'utf8');
  const match = text.match(/^\s*roles\s*=\s*\[([^\]]*)\]/m);
  const roles = match ? [...match[1].matchAll(/["']([a-z]+)["']/g)].map((found) => found[1]) : [];
  if (roles.length === 0) throw new BuildError(`${path} lists no roles (roles = ["filter"])`);
  return roles;
}

/**
 * The WIT folder and world to build against: the role's world for one role, else a world
 * including every role's, written beside a copy of the WIT.
 */
async function worldFor(roles, witDir, staging) {
  if (roles.length === 1) return { witPath: witDir, worldName: `${roles[0]}-plugin` };
  const files = (await fs.readdir(witDir)).filter((name) => name.endsWith('.wit'));
  const combined = join(staging, '.wit');
  await fs.mkdir(combined);
  for (const name of files) await fs.copyFile(join(witDir, name), join(combined, name));
  const includes = roles.map((role) => `    include ${role}-plugin;`).join('\n');
  const main = join(combined, files.includes('wharf.wit') ? 'wharf.wit' : files[0]);
  await fs.appendFile(main, `\n/// The roles of this plugin together.\nworld wharf-js-plugin {\n${includes}\n}\n`);
  return { witPath: combined, worldName: 'wharf-js-plugin' };
}

/** Every `.js` and `.mjs` file under `folder` that is the plugin's own, relative, sorted. */
async function pluginSources(folder, under = '') {
  const found = [];
  for (const entry of await fs.readdir(join(folder, under), { withFileTypes: true })) {
    const path = join(under, entry.name);
    if (entry.isDirectory()) {
      if (!entry.name.startsWith('.') && !SKIPPED_DIRS.has(entry.name)) found.push(...(await pluginSources(folder, path)));
    } else if (/\.m?js$/.test(entry.name)) {
      found.push(path);
    }
  }
  return found.sort();
}

/** Copies the plugin's sources and this SDK into `staging`; returns what was staged. */
async function stage(folder, staging) {
  const staged = [];
  for (const path of await pluginSources(folder)) {
    await fs.mkdir(dirname(join(staging, path)), { recursive: true });
    await fs.copyFile(join(folder, path), join(staging, path));
    staged.push(path);
  }
  await fs.mkdir(join(staging, 'wharf'), { recursive: true });
  for (const name of SDK_MODULES) {
    await fs.copyFile(join(SDK_DIR, name), join(staging, 'wharf', name));
    staged.push(join('wharf', name));
  }
  return staged.sort();
}

/** The digest of everything a component is built from. */
async function digest(staging, staged, witPath, worldName) {
  const hash = createHash('sha256');
  hash.update(`componentize-js ${COMPONENTIZE_JS} jco ${JCO} ${worldName} ${DISABLED_FEATURES}\n`);
  const wit = (await fs.readdir(witPath)).filter((name) => name.endsWith('.wit')).sort();
  for (const name of wit) hash.update(`wit/${name}\n`).update(await fs.readFile(join(witPath, name)));
  for (const path of staged) hash.update(`\n${path}\n`).update(await fs.readFile(join(staging, path)));
  return hash.digest('hex');
}

/** Runs `command`; a {@link BuildError} with its output and `failure` when it fails. */
function run(command, args, cwd, failure) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.error || result.status !== 0) {
    const output = result.error ? result.error.message : `${result.stdout}${result.stderr}`.trim();
    throw new BuildError(`${failure}: \`${command} ${args.join(' ')}\` failed:\n${output}`);
  }
}

/**
 * The folder holding the pinned toolchain, installed on first use. It is installed beside its
 * final place and renamed into it, so two builds starting at once never see half of one.
 */
async function toolchain() {
  const prefix = join(toolsDir(), `jco-${JCO}`);
  const lock = await fs.readFile(join(SDK_DIR, 'toolchain', 'package-lock.json'));
  // The marker holds the lock's digest: a folder installed from another lock is replaced.
  const marker = `${createHash('sha256').update(lock).digest('hex')}\n`;
  const installed = await fs.readFile(join(prefix, '.installed'), 'utf8').catch(() => '');
  if (installed === marker) return prefix;
  await fs.mkdir(dirname(prefix), { recursive: true });
  const staging = await fs.mkdtemp(join(dirname(prefix), `.jco-${JCO}-`));
  try {
    process.stderr.write(`installing componentize-js ${COMPONENTIZE_JS} and jco ${JCO} into ${prefix}\n`);
    for (const name of ['package.json', 'package-lock.json']) {
      await fs.copyFile(join(SDK_DIR, 'toolchain', name), join(staging, name));
    }
    run(
      'npm',
      ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'],
      staging,
      `npm cannot install componentize-js ${COMPONENTIZE_JS} and jco ${JCO} from the npm registry`,
    );
    await fs.writeFile(join(staging, '.installed'), marker);
    if (existsSync(prefix)) await fs.rm(prefix, { recursive: true, force: true });
    try {
      await fs.rename(staging, prefix);
    } catch (error) {
      // Another build installed it first.
      if ((await fs.readFile(join(prefix, '.installed'), 'utf8').catch(() => '')) !== marker) throw error;
    }
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
  return prefix;
}

/** Imports a module of the toolchain by its path under `node_modules`. */
function toolchainModule(prefix, path) {
  return import(pathToFileURL(join(prefix, 'node_modules', path)).href);
}

/** The component's imports that Wharf does not provide. */
async function refusedImports(prefix, component) {
  const { componentWit } = await toolchainModule(prefix, '@bytecodealliance/jco/dist/api.js');
  const wit = await componentWit(component);
  const imports = [...wit.matchAll(/^\s*import ([^;\s]+);/gm)].map((found) => found[1]);
  return imports.filter((name) => !ALLOWED_IMPORT.test(name));
}

/** Componentizes the staged sources; returns the component's bytes. */
async function componentize(prefix, staging, source, witPath, worldName) {
  const { componentize } = await toolchainModule(prefix, '@bytecodealliance/componentize-js/src/componentize.js');
  const started = Date.now();
  const previous = process.cwd();
  // componentize-js maps the working directory into the engine as `/`, so module paths stay
  // relative to the plugin's folder and nothing of this machine's paths ends up inside.
  process.chdir(staging);
  let component;
  try {
    ({ component } = await componentize({
      sourcePath: join(staging, source),
      witPath: resolve(witPath),
      worldName,
      disableFeatures: DISABLED_FEATURES,
    }));
  } catch (error) {
    throw new BuildError(`componentize-js cannot build ${source}: ${error.message ?? error}`);
  } finally {
    process.chdir(previous);
  }
  const refused = await refusedImports(prefix, component);
  if (refused.length > 0) {
    throw new BuildError(`the component imports what Wharf does not provide: ${refused.join(', ')}`);
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stderr.write(`componentized ${source} (${worldName}) in ${seconds} s\n`);
  return component;
}

/** Writes `bytes` to `path` by rename, so nobody sees half a file. */
async function writeAtomically(path, bytes) {
  const partial = join(dirname(path), `.${basename(path)}.${process.pid}.partial`);
  await fs.writeFile(partial, bytes);
  await fs.rename(partial, path);
}

/** Keeps the newest {@link KEPT_BUILDS} components of the build cache. */
async function pruneBuilds(builds) {
  const entries = await Promise.all(
    (await fs.readdir(builds))
      .filter((name) => name.endsWith('.wasm'))
      .map(async (name) => ({ name, time: (await fs.stat(join(builds, name))).mtimeMs })),
  );
  entries.sort((a, b) => b.time - a.time);
  for (const { name } of entries.slice(KEPT_BUILDS)) await fs.rm(join(builds, name), { force: true });
}

/** Builds the plugin in the working directory. */
async function main() {
  const chosen = options(process.argv.slice(2));
  const folder = process.cwd();
  if (!existsSync(join(folder, chosen.source))) throw new BuildError(`no ${chosen.source} in ${folder}`);
  const source = relative(folder, resolve(folder, chosen.source));
  if (source.startsWith('..') || source.split(sep).some((part) => SKIPPED_DIRS.has(part))) {
    throw new BuildError(`the source ${chosen.source} must be in the plugin's folder, outside ${[...SKIPPED_DIRS]}`);
  }
  const witDir = resolve(folder, chosen.wit);
  if (!existsSync(witDir)) throw new BuildError(`no WIT folder ${witDir} (the project's wit/ holds wharf.wit)`);
  const staging = await fs.mkdtemp(join(tmpdir(), 'wharf-js-build-'));
  try {
    const staged = await stage(folder, staging);
    const roles = chosen.world ? [] : await manifestRoles(folder);
    const { witPath, worldName } = chosen.world
      ? { witPath: witDir, worldName: chosen.world }
      : await worldFor(roles, witDir, staging);
    const builds = join(cacheHome(), 'wharf', 'js-builds');
    const cached = join(builds, `${await digest(staging, staged, witPath, worldName)}.wasm`);
    const out = resolve(folder, chosen.out);
    if (existsSync(cached) && process.env.WHARF_JS_REBUILD !== '1') {
      await writeAtomically(out, await fs.readFile(cached));
      process.stderr.write(`${chosen.out}: unchanged sources, taken from ${builds}\n`);
      return;
    }
    const prefix = await toolchain();
    const component = await componentize(prefix, staging, source, witPath, worldName);
    await fs.mkdir(builds, { recursive: true });
    await writeAtomically(cached, component);
    await pruneBuilds(builds);
    await writeAtomically(out, component);
    process.stderr.write(`built ${chosen.out} (${(component.length / 1048576).toFixed(1)} MiB)\n`);
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

const [major] = process.versions.node.split('.').map(Number);
if (major < 18) {
  process.stderr.write(`error: building a JavaScript plugin needs Node 18 or newer; this is Node ${process.version}\n`);
  process.exit(1);
}
main().catch((error) => {
  process.stderr.write(`error: ${error instanceof BuildError ? error.message : (error.stack ?? error)}\n`);
  process.exit(1);
});
