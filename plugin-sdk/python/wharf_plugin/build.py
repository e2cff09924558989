"""Builds a Python plugin into a WebAssembly component with componentize-py.

Run in the plugin's folder (the manifest's ``[build]`` command does)::

    python3 -m wharf_plugin.build [--app plugin] [--output plugin.wasm] [--world filter-plugin]
                                  [--wit wit]

or as a script, ``python3 path/to/wharf_plugin/build.py``: the SDK beside this file is what
the plugin imports, wherever the plugin's folder is.

It needs nothing installed beforehand but ``python3`` with ``venv``: componentize-py, pinned
to :data:`COMPONENTIZE_PY`, is installed on first use into a virtual environment under
``~/.cache/wharf/tools/`` (``$XDG_CACHE_HOME`` when set, ``$WHARF_TOOLS_DIR`` to put it
elsewhere) and reused by every plugin after that. The worlds come from the manifest's
``roles`` (``filter`` → ``filter-plugin``) unless ``--world`` names them; the WIT is the
project's ``wit/`` folder unless ``--wit`` names another.

Built components are kept by the digest of what went into them (the Python sources, the
WIT, the worlds, the componentize-py version) in ``~/.cache/wharf/python-builds/``: building
unchanged sources again is a copy, not a fifteen-second componentize.
"""

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

#: The componentize-py release plugins are built with: its components import WASI 0.2, which
#: the host provides (with nothing granted).
COMPONENTIZE_PY = "0.25.1"

#: The folder holding the ``wharf_plugin`` package, put on the plugin's Python path.
SDK_PARENT = Path(__file__).resolve().parent.parent

_SKIPPED_DIRS = {"__pycache__", "node_modules", "target", "cases", "wit_world"}


class BuildError(Exception):
    """Why the build cannot go on, in a sentence for the plugin's author."""


def cache_home():
    """``$XDG_CACHE_HOME`` or ``~/.cache``."""
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg)
    return Path.home() / ".cache"


def tools_dir():
    """Where Wharf keeps the toolchains it installs."""
    configured = os.environ.get("WHARF_TOOLS_DIR")
    return Path(configured) if configured else cache_home() / "wharf" / "tools"


def toolchain():
    """The Python of a virtual environment holding componentize-py, created when missing.

    The environment is made beside its final place and renamed into it, so two builds
    starting at once never see half of one.
    """
    venv = tools_dir() / f"componentize-py-{COMPONENTIZE_PY}"
    python = venv / "bin" / "python"
    if python.exists():
        return python
    venv.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".componentize-py-{COMPONENTIZE_PY}-", dir=venv.parent))
    try:
        print(f"installing componentize-py {COMPONENTIZE_PY} into {venv}", file=sys.stderr)
        _run([sys.executable, "-m", "venv", str(staging)], "python3 cannot create a virtual environment "
             "(on Debian and Ubuntu: apt-get install python3-venv)")
        _run([str(staging / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
              f"componentize-py=={COMPONENTIZE_PY}"],
             f"pip cannot install componentize-py {COMPONENTIZE_PY} from the package index")
        try:
            staging.rename(venv)
        except OSError:
            if not python.exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return python


def _run(command, failure):
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        raise BuildError(f"{failure}: `{' '.join(command)}` failed:\n{result.stdout.strip()}")
    return result.stdout


def manifest_roles(folder):
    """The ``roles`` list of the manifest ``wharf-plugin.toml`` in ``folder``."""
    path = folder / "wharf-plugin.toml"
    if not path.is_file():
        raise BuildError(f"no wharf-plugin.toml in {folder}")
    text = path.read_text()
    try:
        import tomllib
    except ImportError:
        match = re.search(r"^\s*roles\s*=\s*\[([^\]]*)\]", text, re.MULTILINE)
        roles = re.findall(r"[\"']([a-z]+)[\"']", match.group(1)) if match else []
    else:
        try:
            roles = tomllib.loads(text).get("roles", [])
        except tomllib.TOMLDecodeError as error:
            raise BuildError(f"{path} is not valid TOML: {error}") from None
    if not roles:
        raise BuildError(f"{path} lists no roles")
    return roles


def sources(folder):
    """The files a build reads: every ``.py`` under ``folder`` and the WIT, sorted."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIPPED_DIRS)
        found += [Path(root) / name for name in files if name.endswith((".py", ".wit"))]
    return sorted(found)


def digest(folders, app, worlds):
    """What identifies a build: the sources' names and contents in ``folders``, the app, the
    worlds and the componentize-py version."""
    hasher = hashlib.sha256(f"{COMPONENTIZE_PY}\0{app}\0{','.join(worlds)}\0".encode())
    for folder in folders:
        for path in sources(folder):
            hasher.update(str(path.relative_to(folder)).encode() + b"\0")
            hasher.update(path.read_bytes() + b"\0")
    return hasher.hexdigest()


def componentize(folder, app, worlds, wit, output):
    """Builds ``app`` (a module in ``folder``) for ``worlds`` of the WIT in ``wit`` into
    ``output``; returns whether a cached component was reused."""
    if not (folder / f"{app}.py").is_file() and not (folder / app / "__init__.py").is_file():
        raise BuildError(f"no module {app} in {folder} (expected {app}.py)")
    if not wit.is_dir():
        raise BuildError(f"no WIT folder {wit}: the plugin needs a copy of Wharf's WIT (wit/)")
    paths = [folder] if (folder / "wharf_plugin").resolve() == SDK_PARENT / "wharf_plugin" else [folder, SDK_PARENT]
    builds = cache_home() / "wharf" / "python-builds"
    cached = builds / f"{digest(paths + [wit], app, worlds)}.wasm"
    output.parent.mkdir(parents=True, exist_ok=True)
    if cached.is_file():
        shutil.copyfile(cached, output)
        return True
    python = toolchain()
    builds.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkstemp(suffix=".wasm", dir=builds)[1])
    try:
        command = [str(python), "-c", "import sys; from componentize_py import script; sys.exit(script())",
                   "-d", str(wit)]
        for world in worlds:
            command += ["-w", world]
        command += ["componentize", app, "-o", str(staged)]
        for path in paths:
            command += ["--python-path", str(path)]
        quiet = {"VIRTUAL_ENV", "RUST_BACKTRACE", "RUST_LIB_BACKTRACE"}
        env = {key: value for key, value in os.environ.items() if key not in quiet}
        result = subprocess.run(command, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)
        if result.returncode != 0:
            raise BuildError(f"componentize-py could not build {app}:\n{result.stdout.strip()}")
        shutil.copyfile(staged, output)
        os.replace(staged, cached)
    finally:
        if staged.exists():
            staged.unlink()
    return False


def main(argv=None):
    """The command line; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python3 -m wharf_plugin.build", description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", default="plugin", help="the plugin's module (default: plugin, i.e. plugin.py)")
    parser.add_argument("--output", default="plugin.wasm", help="the component to write (default: plugin.wasm)")
    parser.add_argument("--world", action="append", help="a WIT world to target (default: from the manifest)")
    parser.add_argument("--dir", default=".", help="the plugin's folder (default: the current one)")
    parser.add_argument("--wit", default="wit", help="the WIT folder, from the plugin's folder (default: wit)")
    options = parser.parse_args(argv)
    folder = Path(options.dir).resolve()
    try:
        worlds = options.world or [f"{role}-plugin" for role in manifest_roles(folder)]
        output = folder / options.output
        reused = componentize(folder, options.app, worlds, folder / options.wit, output)
    except BuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    size = output.stat().st_size / (1 << 20)
    print(f"{'reused' if reused else 'built'} {output.name} ({size:.1f} MiB) for {', '.join(worlds)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
