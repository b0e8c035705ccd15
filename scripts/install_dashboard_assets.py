"""Install what the s3sim dashboard needs to run offline.

Solara (the web framework of the dashboard) loads its front-end -- the Vuetify
application bundle, ``requirejs``, the draggable grid layout, Font Awesome and, for
the charts, Vega / Vega-Lite / vega-embed -- from a CDN when a page is first opened,
through a caching proxy served at ``/_solara/cdn/``.  That proxy answers from a local directory
(``solara.server.settings.assets.proxy_cache_dir``, i.e.
``<venv>/share/solara/cdn/``) before it ever goes to the network.  This script
fills that directory from the npm registry with ``npm pack``, once, so the
dashboard never needs the CDN at run time.

It also makes sure Debian's ``chromium`` is installed, which the browser test
drives through Python Playwright (a Playwright-downloaded browser is never
used).

The script is idempotent: packages already unpacked are skipped, and an
installed ``chromium`` is left alone.

Usage::

    .venv/bin/python scripts/install_dashboard_assets.py [--no-browser] [--check]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

#: npm packages (name, version) that solara 1.64.1 requests through its CDN proxy.
#: The versions are re-read from the installed solara's own sources when possible
#: (see :func:`required_packages`); these are the fallback.
PINNED: dict[str, str] = {
    "@widgetti/solara-vuetify-app": "10.1.1",
    "@widgetti/vue-grid-layout": "2.3.13-alpha.2",
    "requirejs": "2.3.6",
    "font-awesome": "4.5.0",
    # Vega-Lite charts (solara.FigureAltair; the dashboard's map and comparison charts):
    # solara's vegalite.vue asks for these major versions, the latest release of each.
    "vega": "5",
    "vega-lite": "5",
    "vega-embed": "6",
}

_VERSION = r"(\d+\.\d+\.\d+(?:-[\w.]+)?)"


def _log(message: str) -> None:
    print(f"[dashboard-assets] {message}", flush=True)


def _fail(message: str) -> None:
    print(f"[dashboard-assets] error: {message}", file=sys.stderr, flush=True)
    raise SystemExit(1)


def cache_dir() -> Path:
    """Return the directory solara's CDN proxy serves from.

    Returns
    -------
    pathlib.Path
        ``solara.server.settings.assets.proxy_cache_dir`` when solara is
        importable, otherwise ``<sys.prefix>/share/solara/cdn``.
    """
    try:
        from solara.server import settings
    except ImportError:
        return Path(sys.prefix) / "share" / "solara" / "cdn"
    return Path(settings.assets.proxy_cache_dir)


def required_packages() -> dict[str, str]:
    """Read the npm package versions the installed solara loads.

    The versions are taken from solara's HTML template (Vuetify app bundle and
    requirejs), its grid-layout widget and its Font Awesome setting, so a solara
    upgrade that moves to new front-end versions is followed automatically.

    Returns
    -------
    dict of str to str
        Package name -> exact version.
    """
    packages = dict(PINNED)
    try:
        import solara
        from solara.server import settings
    except ImportError:
        _log("solara is not importable; using the pinned versions for solara 1.64.1")
        return packages
    root = Path(solara.__file__).parent
    sources = {
        "@widgetti/solara-vuetify-app": root / "server" / "templates" / "solara.html.j2",
        "requirejs": root / "server" / "templates" / "solara.html.j2",
        "@widgetti/vue-grid-layout": root / "widgets" / "vue" / "gridlayout.vue",
    }
    for name, path in sources.items():
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            continue
        found = re.findall(re.escape(name) + "@" + _VERSION + "/", text)
        if found:
            packages[name] = found[0]
    try:
        vega_vue = (root / "widgets" / "vue" / "vegalite.vue").read_text(encoding="utf-8")
    except OSError:
        vega_vue = ""
    for name in ("vega", "vega-lite", "vega-embed"):
        found = re.findall(r"/" + re.escape(name) + r"@(\d+)/build/", vega_vue)
        if found:
            packages[name] = found[0]
    match = re.search(r"font-awesome@" + _VERSION + "/", settings.assets.fontawesome_path)
    if match:
        packages["font-awesome"] = match.group(1)
    if packages != PINNED:
        _log(f"solara {solara.__version__} asks for {packages} (pinned: {PINNED})")
    return packages


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        _fail(
            "npm not found: the dashboard's front-end comes from the npm registry. "
            "Install it (e.g. `apt-get install -y npm`) and rerun this script."
        )
    assert npm is not None
    return npm


def _unpack(tarball: Path, target: Path) -> None:
    """Unpack an npm tarball into ``target``, dropping its top-level folder."""
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=target.parent))
    try:
        with tarfile.open(tarball) as tar:
            tar.extractall(staging, filter="data")
        tops = list(staging.iterdir())
        source = tops[0] if len(tops) == 1 and tops[0].is_dir() else staging
        if target.exists():
            shutil.rmtree(target)
        os.replace(source, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def install_package(name: str, version: str, root: Path) -> bool:
    """Fetch ``name@version`` with ``npm pack`` and unpack it under ``root``.

    Parameters
    ----------
    name, version
        The npm package and its exact version.
    root
        The CDN cache directory; the package lands in ``root/<name>@<version>``.

    Returns
    -------
    bool
        True when the package was installed, False when it was already there.
    """
    target = root / f"{name}@{version}"
    if (target / "package.json").is_file():
        _log(f"{name}@{version}: present in {target}")
        return False
    npm = _npm()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        _log(f"{name}@{version}: npm pack")
        result = subprocess.run(
            [npm, "pack", f"{name}@{version}", "--silent", "--pack-destination", tmp],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        tarballs = list(Path(tmp).glob("*.tgz"))
        if result.returncode != 0 or not tarballs:
            _fail(f"`npm pack {name}@{version}` failed: {result.stderr.strip()[-500:]}")
        _unpack(tarballs[0], target)
    _log(f"{name}@{version}: unpacked into {target}")
    return True


def check_ipyvuetify() -> None:
    """Warn when ipyvuetify 3 is installed (the main area of a Solara page stays empty)."""
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover
        return
    try:
        installed = version("ipyvuetify")
    except PackageNotFoundError:
        _log("ipyvuetify is not installed: run pip install -e '.[dashboard]'")
        return
    if int(installed.split(".")[0]) >= 3:
        _log(f"warning: ipyvuetify {installed} installed; the dashboard needs ipyvuetify<3")
    else:
        _log(f"ipyvuetify {installed} (<3, as the dashboard needs)")


def ensure_chromium() -> str:
    """Make sure Debian's ``chromium`` is on the PATH, installing it with apt if needed.

    Returns
    -------
    str
        The path of the chromium executable.
    """
    found = shutil.which("chromium")
    if found:
        _log(f"chromium: {found}")
        return found
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        _fail(
            "chromium not found and cannot be installed here (needs root and apt-get): "
            "install Debian's chromium package (`apt-get install -y chromium`) and rerun."
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in ([apt, "update"], [apt, "install", "-y", "--no-install-recommends", "chromium"]):
        _log("running: " + " ".join(cmd))
        if subprocess.run(cmd, env=env, check=False).returncode != 0:
            _fail(f"`{' '.join(cmd)}` failed; install chromium by hand and rerun.")
    found = shutil.which("chromium")
    if not found:
        _fail("apt-get installed chromium but no `chromium` executable is on the PATH.")
    assert found is not None
    _log(f"chromium installed: {found}")
    return found


def main(argv: list[str] | None = None) -> int:
    """Run the installer.

    Parameters
    ----------
    argv
        Command-line arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Process exit status.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-browser", action="store_true", help="do not check chromium")
    parser.add_argument(
        "--check", action="store_true", help="only report what is missing (exit 1 if any)"
    )
    args = parser.parse_args(argv)

    root = cache_dir()
    packages = required_packages()
    if args.check:
        missing = [
            f"{n}@{v}"
            for n, v in packages.items()
            if not (root / f"{n}@{v}" / "package.json").is_file()
        ]
        if not args.no_browser and shutil.which("chromium") is None:
            missing.append("chromium")
        _log("missing: " + (", ".join(missing) if missing else "nothing"))
        return 1 if missing else 0

    _log(f"solara CDN cache: {root}")
    for name, version in packages.items():
        install_package(name, version, root)
    check_ipyvuetify()
    if not args.no_browser:
        ensure_chromium()
    _log("done: the dashboard's front-end is served locally")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
