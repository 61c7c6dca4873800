"""Several compose files as one, by the Compose Specification's rules: `-f` files merged in
order (later ones override), `include` of other files, `extends` of a service (of this file
or another), and `profiles`.

Each file's `extends` are resolved as that file has them, then the files are merged.
Merging: mappings merge key by key; `command`, `entrypoint` and a healthcheck's
`test` are replaced; `environment`, `labels`, `sysctls`, `extra_hosts`, `depends_on`,
`networks` and build `args` merge as mappings (a list is read as one); `volumes`,
`ports`, `configs`, `secrets` and `devices` merge by their target (an entry for the same
target replaces the earlier); any other list is appended to, without repeats.

Paths: in `-f` files they are the first file's folder's (the project's, as compose has
it); in an included or extended file of another folder, its own, made absolute here.
Each key keeps the file and line it came from, for the messages.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dockerlan.errors import PlanError
from dockerlan.plan.compose.schema import Document, Where, validate
from dockerlan.plan.compose.values import Variables

REPLACED = ("command", "entrypoint")
AS_MAPPING = ("environment", "labels", "sysctls", "extra_hosts", "depends_on", "networks", "args")
BY_TARGET = ("volumes", "ports", "configs", "secrets", "devices")


def load(path: Path, variables: Variables) -> Document:
    try:
        text = path.read_text()
    except OSError as exc:
        raise PlanError(f"cannot read the compose file {path}: {exc.strerror or exc}") from None
    document = Document.load(text, str(path), variables)
    validate(document)
    return document


def combined(paths: Sequence[Path], variables: Variables, profiles: Sequence[str]) -> Document:
    """The files as one document: each with its includes, merged in order, extends
    resolved, services of profiles not asked for left out."""
    project = paths[0].absolute().parent
    documents = []
    for path in paths:  # each file's extends as that file has them, then the merge
        document = _with_includes(load(path, variables), variables, project, ())
        _resolve_extends(document, variables, project)
        documents.append(document)
    merged = documents[0]
    for document in documents[1:]:
        merged = merge_documents(merged, document)
    _apply_profiles(merged, profiles)
    return merged


def finished(
    document: Document, variables: Variables, project: Path, profiles: Sequence[str]
) -> Document:
    """One document with its extends resolved and only the active profiles' services."""
    _resolve_extends(document, variables, project)
    _apply_profiles(document, profiles)
    return document


def merge_documents(base: Document, override: Document) -> Document:
    """`override` over `base`; each key keeps the file it came from."""
    result = Document(base.path, copy.deepcopy(base.data) or {}, dict(base.nodes))
    result.paths = dict(base.paths) or {(): base.path}
    result.data = merge(result.data, override.data or {}, ())
    for where, node in override.nodes.items():
        if where:
            result.nodes[where] = node
            result.paths[where] = override.path
    return result


def merge(base: Any, override: Any, where: Where) -> Any:
    """One value over another, by the rules of the module's docstring."""
    key = where[-1] if where else None
    if key in REPLACED or where[-2:] == ("healthcheck", "test"):
        return copy.deepcopy(override)
    if key in AS_MAPPING and isinstance(base, list | dict) and isinstance(override, list | dict):
        bare: Any = {} if key == "depends_on" else None  # a name alone: started, or no options
        return merge(_as_mapping(base, bare), _as_mapping(override, bare), (*where, "*"))
    if isinstance(base, dict) and isinstance(override, dict):
        found = dict(base)
        for name, value in override.items():
            found[name] = merge(base[name], value, (*where, name)) if name in base else value
        return found
    if key in BY_TARGET and isinstance(base, list) and isinstance(override, list):
        entries = {_target(e): e for e in base}
        entries.update({_target(e): e for e in override})
        return list(entries.values())
    if isinstance(base, list) and isinstance(override, list):
        return base + [e for e in override if e not in base]
    return copy.deepcopy(override)


def _as_mapping(value: list[Any] | dict[str, Any], bare: Any = None) -> dict[str, Any]:
    """NAME=VALUE (or NAME:VALUE for hosts) items, or names (taking `bare`), as a mapping."""
    if isinstance(value, dict):
        return value
    found: dict[str, Any] = {}
    for item in value:
        text = str(item)
        split = text.find("=") if "=" in text else text.find(":")
        found[text[:split] if split > 0 else text] = (
            text[split + 1 :] if split > 0 else copy.deepcopy(bare)
        )
    return found


def _target(entry: Any) -> str:
    """What a volume, port, config or secret entry is for: a second one replaces it."""
    if isinstance(entry, dict):
        return str(entry.get("target") or entry.get("source") or sorted(entry.items()))
    text = str(entry)
    parts = text.split(":")
    return parts[1] if len(parts) >= 2 and not text[:1].isdigit() else text


def _with_includes(
    document: Document, variables: Variables, project: Path, seen: tuple[Path, ...]
) -> Document:
    """The document with the files it includes merged under it (theirs first); a service
    both define is refused, as compose refuses it."""
    data = document.data or {}
    here = Path(document.path).absolute()
    if here in seen:
        chain = " -> ".join(str(p) for p in (*seen, here))
        raise PlanError(f"compose files include each other in a circle: {chain}")
    result = document
    for i, entry in enumerate(data.get("include") or []):
        spec = {"path": entry} if isinstance(entry, str) else entry
        given = spec["path"] if isinstance(spec["path"], list) else [spec["path"]]
        for name in given:
            path = (here.parent / os.path.expanduser(name)).resolve()
            if not path.is_file():
                raise document.fail(("include", i), f"no file {path}")
            included = _with_includes(load(path, variables), variables, project, (*seen, here))
            _rebase(included.data or {}, path.parent)
            both = set((included.data or {}).get("services") or {}) & set(
                (result.data or {}).get("services") or {}
            )
            if both:
                raise document.fail(
                    ("include", i), f"service {sorted(both)[0]} is defined here and in {path}"
                )
            result = merge_documents(included, result)
    if isinstance(result.data, dict):
        result.data.pop("include", None)
    return result


def _resolve_extends(document: Document, variables: Variables, project: Path) -> None:
    """Each service with `extends` becomes its base merged with its own keys."""
    services = (document.data or {}).get("services") or {}
    done: dict[str, dict[str, Any]] = {}

    def resolved(name: str, chain: tuple[str, ...]) -> dict[str, Any]:
        if name in done:
            return done[name]
        if name in chain:
            raise PlanError(
                f"{document.path}: services extend each other in a circle: "
                f"{' -> '.join((*chain, name))}"
            )
        spec: dict[str, Any] = services[name]
        extends = spec.get("extends")
        if extends is None:
            done[name] = spec
            return spec
        at: Where = ("services", name, "extends")
        base_name = extends if isinstance(extends, str) else extends["service"]
        file = None if isinstance(extends, str) else extends.get("file")
        if file is None:
            if base_name not in services:
                raise document.fail(at, f"no service {base_name} in this file to extend")
            base = resolved(base_name, (*chain, name))
        else:
            path = (project / os.path.expanduser(file)).resolve()
            if not path.is_file():
                raise document.fail(at, f"no file {path}")
            other = load(path, variables)
            _resolve_extends(other, variables, path.parent)
            theirs = (other.data or {}).get("services") or {}
            if base_name not in theirs:
                raise document.fail(at, f"no service {base_name} in {path}")
            base = copy.deepcopy(theirs[base_name])
            _rebase_service(base, path.parent)
        own = {k: v for k, v in spec.items() if k != "extends"}
        done[name] = merge({k: v for k, v in base.items() if k != "extends"}, own, ("services",))
        return done[name]

    for name in list(services):
        services[name] = resolved(name, ())


def _apply_profiles(document: Document, profiles: Sequence[str]) -> None:
    """Leave out the services whose profiles are not active; a service that stays and
    depends on one left out is refused, with the profile that would bring it."""
    services = (document.data or {}).get("services") or {}
    active = set(profiles)
    off = {
        name: spec["profiles"]
        for name, spec in services.items()
        if spec.get("profiles") and not active & set(spec["profiles"])
    }
    for name, spec in services.items():
        if name in off:
            continue
        for dep in _as_mapping(spec.get("depends_on") or {}):
            if dep in off:
                raise document.fail(
                    ("services", name, "depends_on"),
                    f"service {name} depends on {dep}, which is only in profile "
                    f"{', '.join(off[dep])}: give --profile {off[dep][0]}",
                )
    for name in off:
        del services[name]
    if off and not services:
        raise document.fail(("services",), "no service is left with the active profiles")


def _rebase(data: Mapping[str, Any], folder: Path) -> None:
    """An included file's relative paths made absolute (they are its folder's)."""
    for spec in (data.get("services") or {}).values():
        _rebase_service(spec, folder)
    for kind in ("configs", "secrets"):
        for spec in (data.get(kind) or {}).values():
            if isinstance(spec, dict) and "file" in spec:
                spec["file"] = _absolute(spec["file"], folder)


def _rebase_service(spec: dict[str, Any], folder: Path) -> None:
    build = spec.get("build")
    if isinstance(build, str):
        spec["build"] = _absolute(build, folder)
    elif isinstance(build, dict) and "context" in build:
        build["context"] = _absolute(build["context"], folder)
    env_file = spec.get("env_file")
    if isinstance(env_file, str):
        spec["env_file"] = _absolute(env_file, folder)
    elif isinstance(env_file, list):
        spec["env_file"] = [
            _absolute(e, folder)
            if isinstance(e, str)
            else {**e, "path": _absolute(e["path"], folder)}
            for e in env_file
        ]
    volumes = spec.get("volumes") or []
    for i, entry in enumerate(volumes):
        if isinstance(entry, str) and entry[:1] == "." and ":" in entry:
            source, rest = entry.split(":", 1)
            volumes[i] = f"{_absolute(source, folder)}:{rest}"
        elif isinstance(entry, dict) and entry.get("type") == "bind" and "source" in entry:
            entry["source"] = _absolute(entry["source"], folder)


def _absolute(path: str, folder: Path) -> str:
    if "://" in path or path.startswith("git@"):
        return path
    return str((folder / os.path.expanduser(path)).absolute())
