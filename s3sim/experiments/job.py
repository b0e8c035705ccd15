"""One Hydra job: build the model from a composed config, run its seeds, write the job dir.

The ``s3sim`` app (:mod:`s3sim.cli.run`) composes a configuration from
``s3sim/conf`` (alias ``configs/``) and calls :func:`run_experiment`, a plain
function that tests also call through Hydra's ``compose``::

    from hydra import compose, initialize_config_dir
    from s3sim.experiments.job import CONFIG_DIR, run_experiment

    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("config", overrides=["scenario=synthetic_small", "replications=2"])
    summary = run_experiment(cfg, out_dir="results/try")

Structured configs (:data:`SCHEMA_NAME` in Hydra's ConfigStore) are generated from
the fields of :class:`s3sim.config.ModelConfig` and :class:`s3sim.config.PolicyConfig`,
so a mistyped key or a wrong type fails at composition time with the full key, and
names such as ``policy.name`` or ``policy.selection_rule`` list the allowed values.
Ranges are checked by the model's own validation (:class:`~s3sim.config.ConfigError`).

A job directory after a successful job::

    <job_dir>/result/            regions/presence/entries/priorities.parquet,
                                 product_space.parquet, metadata.json, config.yaml
    <job_dir>/DONE.json          completion marker, written last (config hash, code
                                 digest, seeds, elapsed seconds, sweep ids)

or, after a failure, ``<job_dir>/FAILED.json`` with the error. The ``result``
directory is built in a temporary sibling and renamed into place, so a job that
dies never leaves half-written tables.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import hashlib
import json
import logging
import os
import subprocess
import time
import traceback
import typing
from dataclasses import MISSING, dataclass, field, fields, make_dataclass
from pathlib import Path
from typing import Any, Optional

from s3sim.config import (
    POLICY_NAMES,
    PRODUCT_SPACE_NAMES,
    SELECTION_RULES,
    ConfigError,
    ModelConfig,
    PolicyConfig,
    model_config_from_mapping,
    policy_config_from_mapping,
)

__all__ = [
    "CONFIG_DIR",
    "DONE_FILE",
    "FAILED_FILE",
    "RESULT_DIR",
    "SCHEMA_NAME",
    "SWEEP_FILE",
    "code_digest",
    "config_hash",
    "derive_seeds",
    "git_commit",
    "job_configs",
    "job_dirname",
    "job_identity",
    "register_configs",
    "run_experiment",
]

log = logging.getLogger(__name__)

PACKAGE_DIR: Path = Path(__file__).resolve().parents[1]
"""The installed ``s3sim`` package."""
CONFIG_DIR: Path = PACKAGE_DIR / "conf"
"""The Hydra config tree shipped with the package (``configs/`` links to it)."""
SCHEMA_NAME = "s3sim_schema"
RESULT_DIR = "result"
DONE_FILE = "DONE.json"
FAILED_FILE = "FAILED.json"
SWEEP_FILE = "sweep.json"
CONFIG_FILE = "config.yaml"
LOCK_FILE = ".s3sim-job.lock"
OWNER_MARKER = ".s3sim-output.json"  # as s3sim.io.OWNER_MARKER (kept import-light)

#: Keys of the product_space group, with the ModelConfig field each one sets.
PRODUCT_SPACE_FIELDS: dict[str, str] = {
    "name": "product_space",
    "synthetic_products": "synthetic_products",
    "initial_data": "initial_data",
    "initial_year": "initial_year",
}
#: Top-level keys that do not change the numbers (left out of the config hash).
NON_SEMANTIC_KEYS: tuple[str, ...] = ("progress", "skip_completed", "report", "name")

PolicyName = enum.Enum("PolicyName", {n: n for n in POLICY_NAMES})  # type: ignore[misc]
SelectionRule = enum.Enum("SelectionRule", {n: n for n in SELECTION_RULES})  # type: ignore[misc]
ProductSpaceName = enum.Enum(  # type: ignore[misc]
    "ProductSpaceName", {n: n for n in PRODUCT_SPACE_NAMES}
)
ReportKind = enum.Enum("ReportKind", {n: n for n in ("policies", "validation")})  # type: ignore[misc]
_ENUMS: dict[str, type[enum.Enum]] = {
    "name": PolicyName,
    "selection_rule": SelectionRule,
}


def _omegaconf_type(hint: Any) -> Any:
    """Translate a dataclass annotation into one OmegaConf structured configs accept."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is tuple:
        return list[float] if all(a is float for a in args if a is not Ellipsis) else list[Any]
    if args and type(None) in args:
        inner = [a for a in args if a is not type(None)]
        return Optional[_omegaconf_type(inner[0])] if len(inner) == 1 else Any  # noqa: UP045
    return hint


def _mirror(cls: type, name: str, skip: tuple[str, ...] = (),
            enums: dict[str, type[enum.Enum]] | None = None,
            extra: list[tuple[str, Any, Any]] | None = None) -> type:
    """A Hydra structured-config dataclass with the fields and defaults of ``cls``."""
    hints = typing.get_type_hints(cls)
    specs: list[tuple[str, Any, Any]] = list(extra or [])
    for f in fields(cls):
        if f.name in skip:
            continue
        hint = _omegaconf_type(hints[f.name])
        default = f.default
        if enums and f.name in enums:
            hint = enums[f.name]
            default = enums[f.name][default]
        if isinstance(default, tuple):
            specs.append((f.name, hint, field(default_factory=lambda d=default: list(d))))
        elif default is MISSING:
            specs.append((f.name, hint, field(default=MISSING)))
        else:
            specs.append((f.name, hint, field(default=default)))
    return make_dataclass(name, specs)


#: ``scenario`` node: every ModelConfig field except the product-space ones, plus a name.
ScenarioSchema = _mirror(
    ModelConfig, "ScenarioSchema", skip=tuple(PRODUCT_SPACE_FIELDS.values()),
    extra=[("name", str, field(default="default"))],
)
#: ``policy`` node: every PolicyConfig field (``name`` and ``selection_rule`` as enums).
PolicySchema = _mirror(PolicyConfig, "PolicySchema", enums=_ENUMS)


@dataclass
class ProductSpaceSchema:
    """``product_space`` node: which space and its data (see ``s3sim/conf/product_space``)."""

    name: ProductSpaceName = ProductSpaceName["atlas"]  # type: ignore[valid-type]
    synthetic_products: int = 200
    initial_data: Optional[str] = None  # noqa: UP045
    initial_year: Optional[int] = None  # noqa: UP045


@dataclass
class ReportSchema:
    """``report`` node: what the post-sweep step writes."""

    enabled: bool = True
    """Write report.md and figures after a multirun (the tables are always gathered)."""
    kind: ReportKind = ReportKind["policies"]  # type: ignore[valid-type]
    """``policies`` (paired effects, trajectories, maps) or ``validation`` (stylized facts
    added)."""
    maps: bool = True
    """Draw product-space maps of subsidised entries."""
    thresholds: list[float] = field(
        default_factory=lambda: [round(0.5 + 0.01 * i, 2) for i in range(21)]
    )
    """Proximity thresholds of the diffusion experiment (validation report)."""
    diffusion_sets: int = 200
    """Random starting sets of the diffusion experiment."""


@dataclass
class S3SimSchema:
    """The root of the composed configuration."""

    name: str = "adhoc"
    """Experiment name: outputs go to ``results/<name>/``."""
    seed: int = 0
    """First seed; a job runs seeds ``seed, seed + 1, ..., seed + replications - 1``."""
    replications: int = 20
    seeds: Optional[list[int]] = None  # noqa: UP045
    """Explicit seeds (override ``seed`` and ``replications``)."""
    progress: bool = True
    skip_completed: bool = True
    """Skip a job whose directory holds a completion marker for the same config."""
    product_space: ProductSpaceSchema = field(default_factory=ProductSpaceSchema)
    scenario: Any = field(default_factory=ScenarioSchema)
    policy: Any = field(default_factory=PolicySchema)
    report: ReportSchema = field(default_factory=ReportSchema)
    phase: Any = None
    """A phase study's grids, limit cases and current ``cell`` (:mod:`s3sim.experiments.phase`)."""
    study: Any = None
    """A calibration or sensitivity study (``study.kind``); run by
    :func:`s3sim.calibration.hydra_study.run_study` instead of one simulation job."""


#: Characters of the readable part of a job folder name (the hash follows).
DIRNAME_PREFIX = 120
#: Hex digits of the SHA-256 of the job's identity in its folder name.
DIRNAME_HASH = 12


def _parse_override(item: str) -> tuple[str, str] | None:
    key, sep, value = str(item).partition("=")
    return (key.lstrip("+~"), value) if sep else None


def _excluded(key: str, exclude: list[str]) -> bool:
    return key in exclude or key.startswith("hydra.") or key.startswith("hydra/")


def _baseline_params_ignorable(items: dict[str, str]) -> bool:
    """Whether the ``policy.*`` overrides of a ``none`` job are valid (then ignorable).

    The ``none`` policy spends nothing, so its budget or selection parameters do not
    change its numbers; valid values are normalised out of its identity. Invalid ones
    are kept, so that the job fails in a folder of its own.
    """
    import yaml

    values = {}
    for key, raw in items.items():
        if key.startswith("policy."):
            try:
                values[key.removeprefix("policy.")] = yaml.safe_load(raw)
            except yaml.YAMLError:
                return False
    if not values:
        return True
    try:
        PolicyConfig(**{"name": "none", **values})
    except (ConfigError, TypeError, ValueError):
        return False
    return True


def job_identity(overrides: list[str], exclude: list[str], policy_name: str | None) -> str:
    """The overrides that define a job, sorted, as one ``key=value,...`` string.

    Bookkeeping keys (``exclude``) are left out; so are the ``policy.*`` parameters of
    a ``none`` (baseline) job when they are valid, because the baseline spends nothing
    whatever its budget: a sweep over budgets runs the baseline once and pairs every
    budget level with it.
    """
    items: dict[str, str] = {}
    for item in overrides:
        parsed = _parse_override(item)
        if parsed is not None and not _excluded(parsed[0], exclude):
            items[parsed[0]] = parsed[1]
    if str(policy_name).rsplit(".", 1)[-1] == "none" and _baseline_params_ignorable(items):
        items = {k: v for k, v in items.items() if not k.startswith("policy.")}
    # sorted as Hydra sorts override_dirname (by "key=value"), so prefixes stay familiar
    return ",".join(sorted(f"{k}={v}" for k, v in items.items()))


def job_dirname(identity: str) -> str:
    """A short, unique folder name: a readable prefix plus a hash of the full identity.

    ``policy=none,scenario.steps=4`` -> ``policy=none,scenario.steps=4-1a2b3c4d5e6f``.
    Path separators become ``_`` in the prefix only; the hash is of the exact identity,
    so ``data/a_b.csv`` and ``data/a/b.csv`` get different folders, and the name stays
    under 80 bytes however long the override list is.
    """
    digest = hashlib.sha256(identity.encode()).hexdigest()[:DIRNAME_HASH]
    readable = identity.replace(os.sep, "_").replace("/", "_").replace("\\", "_")
    readable = "".join(c if c.isprintable() and c not in '<>:"|?*' else "_" for c in readable)
    readable = readable.encode()[:DIRNAME_PREFIX].decode(errors="ignore").strip(" .") \
        or "default"
    return f"{readable}-{digest}"


def safe_dirname(name: str, *, _root_: Any = None) -> str:
    """Hydra resolver ``s3sim_dirname``: the folder name of a multirun job.

    With the composed config (``_root_``), the name is :func:`job_dirname` of
    :func:`job_identity` of the job's overrides; without it (older configs), of
    ``name`` (Hydra's ``override_dirname``).
    """
    from omegaconf import OmegaConf

    if _root_ is not None:
        overrides = OmegaConf.select(_root_, "hydra.overrides.task", default=None)
        exclude = OmegaConf.select(
            _root_, "hydra.job.config.override_dirname.exclude_keys", default=None)
        policy = OmegaConf.select(_root_, "policy.name", default=None)
        if overrides is not None:
            identity = job_identity([str(o) for o in overrides],
                                    [str(e) for e in exclude or []], str(policy))
            return job_dirname(identity)
    return job_dirname(str(name))


def register_configs() -> None:
    """Register the structured configs and the ``s3sim_dirname`` resolver (idempotent)."""
    from hydra.core.config_store import ConfigStore
    from omegaconf import OmegaConf

    if not OmegaConf.has_resolver("s3sim_dirname"):
        OmegaConf.register_new_resolver("s3sim_dirname", safe_dirname)
    cs = ConfigStore.instance()
    cs.store(name=SCHEMA_NAME, node=S3SimSchema)
    cs.store(group="schema", name="scenario", node=ScenarioSchema)
    cs.store(group="schema", name="policy", node=PolicySchema)


register_configs()


def derive_seeds(cfg: Any) -> list[int]:
    """The seeds a job runs: ``cfg.seeds`` if given, else ``seed + range(replications)``."""
    if cfg.get("seeds") is not None:
        return [int(s) for s in cfg.seeds]
    if int(cfg.replications) < 1:
        raise ConfigError(f"replications must be >= 1, got {cfg.replications}")
    if int(cfg.seed) < 0:
        raise ConfigError(f"seed must be >= 0, got {cfg.seed}")
    return list(range(int(cfg.seed), int(cfg.seed) + int(cfg.replications)))


def _plain(node: Any) -> dict[str, Any]:
    from omegaconf import OmegaConf

    return OmegaConf.to_container(node, resolve=True, enum_to_str=True)  # type: ignore[return-value]


def _absolute(path: str) -> str:
    """Resolve a relative data path against the directory s3sim was launched from."""
    if os.path.isabs(path):
        return path
    try:
        from hydra.utils import to_absolute_path

        return to_absolute_path(path)
    except ValueError:  # Hydra not initialised (plain compose in a test)
        return os.path.abspath(path)


def job_configs(cfg: Any) -> tuple[ModelConfig, PolicyConfig, list[int]]:
    """Convert a composed config into validated model, policy and seeds.

    Raises
    ------
    ConfigError
        One line naming the group (``scenario``, ``product_space``, ``policy``) and the
        parameter, e.g. ``policy: budget must be >= 0.0, got -1.0``.
    """
    from omegaconf import OmegaConf

    if OmegaConf.is_missing(cfg.product_space, "initial_data"):
        raise ConfigError(
            "product_space.initial_data is required by product_space 'from_data' (scenario "
            "from_data): pass product_space.initial_data=path/to/trade.csv"
        )
    scenario = _plain(cfg.scenario)
    scenario.pop("name", None)
    ps = _plain(cfg.product_space)
    for key, target in PRODUCT_SPACE_FIELDS.items():
        scenario[target] = ps.get(key)
    if scenario.get("initial_data"):
        path = _absolute(str(scenario["initial_data"]))
        if not os.path.isfile(path):
            raise ConfigError(
                f"product_space.initial_data: file not found: '{path}'; give the path of a "
                "long-format CSV/Parquet table (location, product, year, value)"
            )
        scenario["initial_data"] = path
    policy_values = _plain(cfg.policy)
    if cfg.get("phase") is not None:
        from s3sim.experiments.phase import apply_cell

        scenario, policy_values = apply_cell(scenario, policy_values, _plain(cfg.phase))
    try:
        model = model_config_from_mapping(scenario)
    except ConfigError as exc:
        text = str(exc)
        if "needs initial_data" in text:
            text = ("product_space.initial_data is required by product_space 'from_data': "
                    "pass product_space.initial_data=path/to/trade.csv")
        elif not any(k in text for k in ("product_space", "initial_data", "synthetic_products")):
            text = f"scenario: {text}"
        raise ConfigError(text) from None
    try:
        policy = policy_config_from_mapping(_budget_rule(policy_values, _task_overrides()))
    except ConfigError as exc:
        raise ConfigError(f"policy: {exc}") from None
    return model, policy, _validated_seeds(cfg)


def _validated_seeds(cfg: Any) -> list[int]:
    from s3sim.experiments.simulation import _check_seeds

    return _check_seeds(derive_seeds(cfg))


def _task_overrides() -> list[str]:
    """The command-line overrides of the running Hydra job (empty outside Hydra)."""
    try:
        from hydra.core.hydra_config import HydraConfig

        return [str(o) for o in HydraConfig.get().overrides.task]
    except (ImportError, ValueError):
        return []


def _budget_rule(policy: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply the budget rule: a budget the user sets replaces the preset's budget_share.

    Presets (``policy=generic_subsidy`` ...) spend ``budget_share`` of initial output.
    ``policy.budget=X`` on the command line (without ``policy.budget_share``) means
    "spend X": the preset's share is cleared, so ``policy.budget=0`` spends nothing.
    Setting both explicitly is refused by :class:`~s3sim.config.PolicyConfig` when both
    are non-zero, naming both.
    """
    keys = {p[0] for p in (_parse_override(o) for o in overrides) if p is not None}
    if "policy.budget" in keys and "policy.budget_share" not in keys:
        policy = {**policy, "budget_share": None}
    return policy


def config_hash(cfg: Any) -> str:
    """Hash of everything in ``cfg`` that determines the numbers (not hydra, progress...).

    The ``policy`` of a ``none`` (baseline) job is reduced to its name: the baseline
    spends nothing whatever its budget parameters.
    """
    skip = ("hydra", "report", *NON_SEMANTIC_KEYS)
    plain = {k: v for k, v in _plain(cfg).items() if k not in skip}
    if isinstance(plain.get("policy"), dict) and plain["policy"].get("name") == "none":
        plain["policy"] = {"name": "none"}
    blob = json.dumps(plain, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


#: Parts of the package that cannot change a simulation's numbers (left out of code_digest).
_NON_MODEL_CODE = ("report", "cli", "viz", "stats.py", "experiments/sweep.py",
                   "experiments/job.py")


def code_digest() -> str:
    """Hash of the model's source files and of the packages that determine the numbers.

    A completed job is reused only if both its configuration and this digest are
    unchanged, so editing the model (committed or not) or upgrading numpy reruns it.
    """
    from s3sim.experiments.simulation import package_versions

    root = PACKAGE_DIR
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if rel.parts[0] in _NON_MODEL_CODE or rel.as_posix() in _NON_MODEL_CODE:
            continue
        h.update(str(rel).encode())
        h.update(path.read_bytes())
    versions = {k: v for k, v in package_versions().items() if k != "s3sim"}
    h.update(json.dumps(versions, sort_keys=True).encode())
    return h.hexdigest()[:16]


def git_commit(path: Path | None = None) -> str | None:
    """The git commit of the s3sim source tree (``+dirty`` if modified), if available."""
    where = path or PACKAGE_DIR
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=where, capture_output=True,
                             text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--",
                                "."], cwd=where, capture_output=True, text=True,
                               timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{out}+dirty" if dirty else out


def _show_progress(cfg: Any) -> bool:
    """A tqdm bar for the seeds of a job, unless parallel jobs share the terminal.

    In a multirun on a parallel launcher (joblib, Ray, ...) the bars of concurrent jobs
    would interleave; the per-job log lines ("job ... done: N seeds in T s") report
    progress instead.
    """
    if not cfg.get("progress", True):
        return False
    try:
        from hydra.core.hydra_config import HydraConfig
        from hydra.types import RunMode

        hc = HydraConfig.get()
    except (ImportError, ValueError):  # not inside a Hydra job
        return True
    if hc.mode != RunMode.MULTIRUN:
        return True
    target = str(hc.launcher.get("_target_", ""))
    return "BasicLauncher" in target


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    from s3sim.io import atomic_write

    with atomic_write(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=2, default=str))


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _sweep_id(job_dir: Path) -> str | None:
    info = _read_json(job_dir.parent / SWEEP_FILE)
    return None if info is None else info.get("id")


def verify_result(job_dir: Path, record: dict[str, Any]) -> str | None:
    """Check a job's result files against the checksums in its completion marker.

    Returns ``None`` if every file listed in ``record["files"]`` exists with the same
    SHA-256 (and no table was added or removed), else one line saying what differs.
    A marker without checksums (written by s3sim before they existed) is accepted if
    every Parquet table's footer can be read.
    """
    from s3sim.io import digest_tree

    result = job_dir / RESULT_DIR
    if not result.is_dir():
        return f"'{RESULT_DIR}/' is missing"
    files = record.get("files")
    if files is None:
        import pyarrow.parquet as pq

        for table in sorted(result.glob("*.parquet")):
            try:
                pq.read_metadata(table)
            except Exception as exc:  # corrupt or truncated
                return f"'{RESULT_DIR}/{table.name}' is unreadable ({type(exc).__name__})"
        return None
    try:
        actual = digest_tree(result)
    except OSError as exc:
        return f"cannot read '{RESULT_DIR}/': {exc.strerror}"
    changed = sorted(k for k in files if actual.get(k) != files[k])
    added = sorted(set(actual) - set(files))
    if changed or added:
        what = ", ".join(f"'{RESULT_DIR}/{k}'" for k in (changed + added)[:3])
        return (f"result file(s) {what} do not match the checksums in {DONE_FILE} "
                "(modified, truncated or missing)")
    return None


@contextlib.contextmanager
def _job_lock(job_dir: Path) -> Any:
    """Exclusive lock on a job folder (two jobs of a sweep may share a baseline folder)."""
    import fcntl

    fh = open(job_dir / LOCK_FILE, "a+")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("job %s: waiting for another process running the same job", job_dir.name)
            fcntl.flock(fh, fcntl.LOCK_EX)
        yield
    finally:
        fh.close()


def _watch_parent() -> None:
    """In a parallel worker, exit when the ``s3sim`` process that launched it dies.

    The ``s3sim`` app records its pid in ``S3SIM_MAIN_PID``; a worker process (joblib's
    loky, Ray...) whose own pid differs starts a daemon thread that checks every
    second whether its parent changed (it was re-parented because the parent died)
    or the main process is gone, and then exits at once. A job killed this way has
    no completion marker, so rerunning the sweep recomputes it.
    """
    main = os.environ.get("S3SIM_MAIN_PID")
    if not main or not main.isdigit() or int(main) == os.getpid() or _WATCHDOG:
        return
    import threading

    parent, main_pid = os.getppid(), int(main)

    def alive(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent or not alive(main_pid):
                log.error("the s3sim process %d is gone: stopping this worker", main_pid)
                os._exit(3)

    thread = threading.Thread(target=watch, name="s3sim-parent-watchdog", daemon=True)
    thread.start()
    _WATCHDOG.append(thread)


_WATCHDOG: list[Any] = []


def _normalised_baseline(cfg: Any) -> Any:
    """A ``none`` job's config with its policy parameters reset to the preset's.

    The baseline spends nothing, so budget or selection parameters a sweep sets on it
    do not change its numbers; resetting them makes every grid point's baseline the
    same job (same folder, same config hash, same numbers).
    """
    from omegaconf import OmegaConf

    if cfg.policy.get("name") is None or str(_plain(cfg.policy).get("name")) != "none":
        return cfg
    import copy

    from s3sim.config import policy_preset

    out = copy.deepcopy(cfg)
    preset = dataclasses.asdict(policy_preset("none"))
    with open_dict_rw(out):
        for key in list(out.policy.keys()):
            if key in preset and key != "name":
                OmegaConf.update(out, f"policy.{key}", preset[key], merge=False)
    return out


@contextlib.contextmanager
def open_dict_rw(cfg: Any) -> Any:
    """Temporarily make an OmegaConf node writable and open to new keys."""
    from omegaconf import open_dict, read_write

    with read_write(cfg), open_dict(cfg):
        yield cfg


def run_experiment(cfg: Any, out_dir: str | os.PathLike[str] | None = None,
                   *, raise_errors: bool = True) -> dict[str, Any]:
    """Run one job: every seed of one (scenario, product space, policy) configuration.

    Parameters
    ----------
    cfg : omegaconf.DictConfig
        A configuration composed from ``s3sim/conf``.
    out_dir : path, optional
        The job directory (default: Hydra's output directory of the running job).
    raise_errors : bool, default True
        Re-raise a failure after recording it in ``FAILED.json``. The app passes
        ``False`` in multirun jobs, so that one failing job does not stop the sweep.

    Returns
    -------
    dict
        The completion record (also in ``DONE.json``/``FAILED.json``): ``status``
        (``done``, ``skipped`` or ``failed``), ``job_dir``, ``config_hash``, ``seeds``,
        ``elapsed_s``, ``files`` (SHA-256 of every result file), ``overrides`` and, on
        failure, ``error``.

    Notes
    -----
    The job folder is locked while the job runs (a sweep's baseline folder can be
    shared by several grid points). A completed job is reused only if its marker has
    the same config and code digests *and* its result files match the marker's
    checksums; otherwise it is recomputed.
    """
    if out_dir is None:
        from hydra.core.hydra_config import HydraConfig

        out_dir = HydraConfig.get().runtime.output_dir
    job_dir = Path(out_dir).absolute()
    job_dir.mkdir(parents=True, exist_ok=True)
    _watch_parent()
    with _job_lock(job_dir):
        return _run_locked(cfg, job_dir, raise_errors=raise_errors)


#: Files of a job's ``result`` folder written by s3sim versions without ownership markers.
_LEGACY_RESULT_FILES = frozenset({"regions.parquet", "presence.parquet", "entries.parquet",
                                  "priorities.parquet", "product_space.parquet",
                                  "metadata.json", CONFIG_FILE})


def _check_result_replaceable(result: Path) -> None:
    """Refuse to replace a ``result`` folder holding a file s3sim never wrote there.

    Files named in the folder's marker (or, without a marker, the tables of older
    s3sim versions) are the job's own and are replaced even if they were modified or
    truncated -- that is how a job whose checksums fail is recomputed. Any other file
    (something a user put there) makes the job fail with one line instead.
    """
    from s3sim.io import OutputError, read_owner_marker

    if not result.exists():
        return
    if not result.is_dir():
        raise OutputError(f"job result folder '{result}' exists and is not a folder; move it")
    marker = read_owner_marker(result) or {}
    known = set(marker.get("files") or {}) | _LEGACY_RESULT_FILES
    foreign = sorted(p.relative_to(result).as_posix() for p in result.rglob("*")
                     if p.is_file() and p.name != OWNER_MARKER
                     and p.relative_to(result).as_posix() not in known)
    if foreign:
        raise OutputError(
            f"job result folder '{result}' holds file(s) s3sim did not write "
            f"({', '.join(repr(f) for f in foreign[:3])}); move them away and rerun")


def _run_locked(cfg: Any, job_dir: Path, *, raise_errors: bool) -> dict[str, Any]:
    from omegaconf import OmegaConf

    from s3sim.experiments.simulation import run_simulation
    from s3sim.io import atomic_output_dir, read_owner_marker

    overrides = _task_overrides()
    run_cfg = _normalised_baseline(cfg)
    digest = config_hash(run_cfg)
    code = code_digest()
    sweep = _sweep_id(job_dir)
    done_path, failed_path = job_dir / DONE_FILE, job_dir / FAILED_FILE

    previous = _read_json(done_path)
    if (cfg.get("skip_completed", True) and previous is not None
            and previous.get("config_hash") == digest and previous.get("code_digest") == code):
        problem = verify_result(job_dir, previous)
        if problem is None:
            previous["status"] = "skipped"
            if sweep is not None and sweep not in previous.get("sweep_ids", []):
                previous.setdefault("sweep_ids", []).append(sweep)
                _write_json(done_path, {**previous, "status": "done"})
            log.info("skipping completed job %s (DONE.json has the same config and code, "
                     "result files verified)", job_dir.name)
            return previous
        log.warning("job %s: %s; recomputing it", job_dir.name, problem)

    done_path.unlink(missing_ok=True)
    failed_path.unlink(missing_ok=True)
    start = time.perf_counter()
    record: dict[str, Any] = {"job_dir": str(job_dir), "config_hash": digest,
                              "code_digest": code, "sweep_ids": [sweep] if sweep else [],
                              "overrides": overrides}
    try:
        job_configs(cfg)  # the user's values are validated as given (one-line errors)
        model, policy, seeds = job_configs(run_cfg)
        record["seeds"] = seeds
        result = run_simulation(model, policy, seeds, progress=_show_progress(cfg))
        result.metadata.update({
            "config_hash": digest,
            "code_digest": code,
            "git_commit": git_commit(),
            "scenario": cfg.scenario.get("name"),
            "experiment": cfg.get("name"),
            "overrides": overrides,
        })
        _check_result_replaceable(job_dir / RESULT_DIR)
        with atomic_output_dir(job_dir / RESULT_DIR, owned_only=False) as tmp:
            result.write(tmp)
            (tmp / CONFIG_FILE).write_text(OmegaConf.to_yaml(run_cfg, resolve=True))
    except Exception as exc:
        record.update(status="failed", error=f"{type(exc).__name__}: {exc}",
                      traceback=traceback.format_exc(),
                      elapsed_s=round(time.perf_counter() - start, 3))
        _write_json(failed_path, record)
        if raise_errors:  # the caller reports it (one line in the s3sim app)
            log.debug("job %s failed: %s", job_dir.name, record["error"])
            raise
        log.error("job %s failed: %s", job_dir.name, record["error"])
        return record
    marker = read_owner_marker(job_dir / RESULT_DIR) or {}
    record.update(status="done", elapsed_s=round(time.perf_counter() - start, 3),
                  finished=time.strftime("%Y-%m-%dT%H:%M:%S"), finished_epoch=time.time(),
                  files=marker.get("files", {}))
    _write_json(done_path, record)  # the completion marker, written last
    log.info("job %s done: %d seeds in %.1f s", job_dir.name, len(seeds), record["elapsed_s"])
    return record
