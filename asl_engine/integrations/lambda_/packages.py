"""Functions created through Lambda's API (``asl serve``): their zip unpacked on disk and run in-process (or in
worker processes, for a ``LocalFunctions(isolation="process")``).

Each function lives in a directory of its own under ``root``: ``function.json`` (its configuration),
``code.zip`` (the package as uploaded) and the package unpacked in a directory named after its SHA-256 (a
new one per UpdateFunctionCode, so a module imported from the old code never sees the new files).  The
directory is the state: ``restore`` registers every function found there again after a restart.

The handler ``module.function`` is imported as Lambda's Python runtime imports it: from the unpacked
package (put on ``sys.path``, Lambda's /var/task), under the function's Environment, its module under a
name of its own per code version (two functions' ``app.py`` never meet in ``sys.modules``).  Code that
cannot be imported does not stop CreateFunction, as on AWS: Invoke answers the runtime's error instead
(``Runtime.ImportModuleError``, ``Runtime.HandlerNotFound``, ``Runtime.MalformedHandlerName``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import itertools
import json
import shutil
import sys
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from asl_engine.integrations.lambda_.handlers import handler_of, malformed_handler, runtime_error
from asl_engine.integrations.lambda_.providers import LocalFunction, LocalFunctions, _in_worker, lambda_environment
from asl_engine.integrations.lambda_.workers import WorkerSpec


@dataclass
class FunctionConfig:
    """What Lambda knows of a function beyond its code, as GetFunctionConfiguration names it."""

    name: str
    runtime: str | None
    handler: str | None
    role: str
    region: str
    account: str
    timeout: int = 3
    memory: int = 128
    environment: dict[str, str] = field(default_factory=dict)
    description: str = ""

    @property
    def runs_locally(self) -> bool:
        """Whether asl serve can run it: a zip of Python code (an image or another runtime it cannot)."""
        return bool(self.runtime and self.runtime.startswith("python") and self.handler)


_modules = itertools.count()  # each import of a package's handler gets a module name of its own


class FunctionPackages:
    """The created functions' directories under ``root``, registered into ``functions`` as they change."""

    def __init__(self, root: Path, functions: LocalFunctions) -> None:
        self.root = root
        self.functions = functions

    def owns(self, name: str) -> bool:
        """Whether ``name`` was created through the API (rather than given by --resource or --template)."""
        return (self.root / name / "function.json").is_file()

    def config(self, name: str) -> FunctionConfig | None:
        path = self.root / name / "function.json"
        return FunctionConfig(**json.loads(path.read_text())) if path.is_file() else None

    def put(self, config: FunctionConfig, code: bytes) -> None:
        """Stores the function (its code unpacked when it changed) and (re)registers it when it runs locally."""
        home = self.root / config.name
        home.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(code).hexdigest()
        package = home / digest
        if not package.is_dir():
            staging = home / f".{digest}.partial"  # unpacked aside, then renamed: never a half package
            shutil.rmtree(staging, ignore_errors=True)
            try:
                with zipfile.ZipFile(io.BytesIO(code)) as archive:
                    archive.extractall(staging)
            except zipfile.BadZipFile:
                staging.mkdir(parents=True, exist_ok=True)  # an empty package: Invoke reports the missing module
            staging.rename(package)
            (home / "code.zip").write_bytes(code)
        (home / "function.json").write_text(json.dumps(asdict(config), indent=1))
        for old in home.iterdir():  # earlier code versions
            if old.is_dir() and old != package:
                _forget_path(old)
                shutil.rmtree(old, ignore_errors=True)
        self._register(config, package)

    def code(self, name: str) -> bytes:
        return (self.root / name / "code.zip").read_bytes()

    def delete(self, name: str) -> None:
        """DeleteFunction: unregistered, its directory removed."""
        self.functions.remove(name)
        home = self.root / name
        for package in home.glob("*"):
            _forget_path(package)
        shutil.rmtree(home, ignore_errors=True)

    def restore(self) -> list[FunctionConfig]:
        """Registers every stored function again (after a restart on the same state) and returns them."""
        configs = []
        for path in sorted(self.root.glob("*/function.json")):
            config = FunctionConfig(**json.loads(path.read_text()))
            packages = [p for p in path.parent.iterdir() if p.is_dir() and not p.name.startswith(".")]
            if packages:
                self._register(config, packages[0])
            configs.append(config)
        return configs

    def _register(self, config: FunctionConfig, package: Path) -> None:
        if not config.runs_locally:
            self.functions.remove(config.name)
            return
        env = {"AWS_REGION": config.region, "AWS_DEFAULT_REGION": config.region,
               "AWS_LAMBDA_FUNCTION_NAME": config.name, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.memory),
               "LAMBDA_TASK_ROOT": str(package), **config.environment}
        if self.functions.workers is not None:  # isolation="process": its workers import it, Init errors too
            self.functions.add(LocalFunction(config.name, _in_worker, package, env, config.timeout, config.memory,
                                             worker=WorkerSpec(config.handler, package, env)))
            return
        handler, error = _import(package, config.handler or "", env)
        self.functions.add(LocalFunction(config.name, handler or _never, package, env, config.timeout,
                                         config.memory, error))


def _import(package: Path, spec: str, env: dict[str, str]) -> tuple[Any, dict[str, Any] | None]:
    """The handler, or the error Lambda's Python runtime reports for it (keyed as its error response)."""
    module_path, _, attribute = spec.rpartition(".")
    if not module_path or not attribute:
        return None, malformed_handler(spec)
    path = package / f"{module_path.replace('.', '/')}.py"
    if not path.is_file():
        return None, runtime_error("Runtime.ImportModuleError",
                                   f"Unable to import module '{module_path}': No module named '{module_path}'")
    name = f"_asl_created_{next(_modules)}_{module_path.replace('.', '_')}"
    loader = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(loader)  # type: ignore[arg-type]
    _forget_path(package)
    sys.path.insert(0, str(package))  # first: the package's own modules import as they do from /var/task
    _evict_other_packages(package)
    sys.modules[name] = module

    def load() -> Any:
        with lambda_environment(env):
            loader.loader.exec_module(module)  # type: ignore[union-attr]
        return module

    return handler_of(load, module_path, attribute)


def _never(event: Any, context: Any) -> Any:
    """The handler of a function whose code failed to import: Invoke answers its init_error first."""
    raise AssertionError("a function with an init error is never called")


def _evict_other_packages(package: Path) -> None:
    """Drops from ``sys.modules`` the modules another created package (or an older version of this one)
    loaded under a name this package has too: ``import helper`` in the new code must find its own
    ``helper.py``, not the one the previous code left cached."""
    root = str(package.parent.parent)
    names = {p.stem if p.suffix == ".py" else p.name for p in package.iterdir() if p.suffix == ".py" or p.is_dir()}
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None) or ""
        if name.split(".")[0] in names and file.startswith(root) and not file.startswith(str(package)):
            del sys.modules[name]


def _forget_path(package: Path) -> None:
    """Drops a removed package from ``sys.path``, so no later import finds its modules."""
    if str(package) in sys.path:
        sys.path.remove(str(package))
