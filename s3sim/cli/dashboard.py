"""``s3sim-dashboard``: serve the interactive dashboard (:mod:`s3sim.viz.app`) offline.

It runs ``solara run s3sim.viz.app`` bound to 127.0.0.1 (port 8765) in production
mode, with Solara's telemetry switched off and its front-end served from the
local CDN cache that ``scripts/install_dashboard_assets.py`` fills (``make
install-test`` runs it).  Nothing is fetched from the internet at run time.

Examples
--------
``s3sim-dashboard`` then open http://127.0.0.1:8765 ;
``s3sim-dashboard --port 9000`` ;
``s3sim-dashboard --host 0.0.0.0`` to serve other machines (on your own network only).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["REQUIRED_ASSETS", "build_command", "main", "missing_assets", "offline_env"]

#: Front-end packages (``name@version``) Solara 1.64 loads through its CDN proxy; the
#: last three draw the dashboard's charts (Vega-Lite, as solara's ``vegalite.vue`` asks).
REQUIRED_ASSETS: tuple[str, ...] = (
    "@widgetti/solara-vuetify-app@10.1.1",
    "requirejs@2.3.6",
    "font-awesome@4.5.0",
    "vega@5",
    "vega-lite@5",
    "vega-embed@6",
)


def offline_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """Return the environment for an offline Solara server.

    Parameters
    ----------
    base
        Environment to extend (default: ``os.environ``).

    Returns
    -------
    dict of str to str
        ``base`` plus: telemetry off (no calls home), the CDN proxy on (so the
        browser loads every asset from this server), a non-interactive
        matplotlib backend and one BLAS thread.
    """
    env = dict(os.environ if base is None else base)
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    env.setdefault("SOLARA_ASSETS_PROXY", "True")
    env.setdefault("MPLBACKEND", "Agg")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    return env


def missing_assets() -> list[str]:
    """List the front-end packages absent from Solara's local CDN cache.

    Returns
    -------
    list of str
        ``name@version`` of each missing package (empty when all are there).
    """
    from solara.server import settings

    root = Path(settings.assets.proxy_cache_dir)
    return [name for name in REQUIRED_ASSETS if not (root / name / "package.json").is_file()]


def build_command(host: str, port: int, extra: Sequence[str] = ()) -> list[str]:
    """Return the ``solara run`` command line that serves :mod:`s3sim.viz.app`.

    Parameters
    ----------
    host, port
        Address to bind.
    extra
        Further ``solara run`` options.

    Returns
    -------
    list of str
    """
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        "s3sim.viz.app",
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
        *extra,
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the dashboard server (replaces this process with ``solara run``).

    Parameters
    ----------
    argv
        Command-line arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status (only returned on errors or with ``--dry-run``).
    """
    parser = argparse.ArgumentParser(
        prog="s3sim-dashboard",
        description="Serve the s3sim dashboard (the advisor's cockpit) offline on this machine.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    parser.add_argument(
        "--dry-run", action="store_true", help="print the command and environment, do not serve"
    )
    args, extra = parser.parse_known_args(argv)

    try:
        missing = missing_assets()
    except ImportError:
        print(
            "s3sim-dashboard: the dashboard extra is not installed: "
            "pip install -e '.[dashboard]' && python scripts/install_dashboard_assets.py",
            file=sys.stderr,
        )
        return 2
    if missing:
        print(
            "s3sim-dashboard: warning: front-end assets missing from Solara's local cache "
            f"({', '.join(missing)}); offline the page stays blank. "
            "Run: python scripts/install_dashboard_assets.py",
            file=sys.stderr,
        )
    command = build_command(args.host, args.port, extra)
    env = offline_env()
    print(f"s3sim-dashboard: serving on http://{args.host}:{args.port}", flush=True)
    if args.dry_run:
        print(" ".join(command))
        return 0
    os.execve(sys.executable, command, env)
    return 0  # pragma: no cover  (execve does not return)


if __name__ == "__main__":
    raise SystemExit(main())
