"""A compose file as checked data: YAML read as compose reads it, variables replaced,
the Compose Specification's schema (compose-spec.json) checked, every key path's line kept.

The schema's first complaint is turned into one line, `file:line: services.web.imagee:
not allowed here (did you mean 'image'?)`: the line is found from the key path by way
of the YAML nodes the data came from.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockerlan.errors import PlanError
from dockerlan.plan.compose.values import Variables

SCHEMA = Path(__file__).with_name("compose-spec.json")
"""The Compose Specification's schema, vendored (compose-spec.NOTICE.md)."""

_MERGE = "tag:yaml.org,2002:merge"

Where = tuple[str | int, ...]
"""A key path: ("services", "web", "command", 0)."""


@functools.cache
def _loader() -> Any:
    """YAML as compose reads it (1.2): yes, on, 0755 and 1:30 are strings, not bool or int."""
    import yaml

    loader: Any = type("ComposeLoader", (yaml.SafeLoader,), {})
    replaced = ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int")
    loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag not in replaced]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    booleans = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
    loader.add_implicit_resolver(replaced[0], booleans, list("tTfF"))
    integers = re.compile(r"^(?:[-+]?(?:0|[1-9][0-9]*)|0x[0-9a-fA-F]+|0o[0-7]+)$")
    loader.add_implicit_resolver(replaced[1], integers, list("-+0123456789"))
    return loader


@dataclass
class Document:
    """The file's data, variables replaced, and the YAML node each key path came from."""

    path: str
    data: Any = None
    nodes: dict[Where, tuple[Any, Any]] = field(default_factory=dict)
    """Key path -> (its key's node, or None in a list; its value's node)."""
    _flattened: set[int] = field(default_factory=set)
    paths: dict[Where, str] = field(default_factory=dict)
    """Key path -> the file it came from, where files were merged (compose/files.py)."""

    @classmethod
    def load(cls, text: str, path: str, variables: Variables | None = None) -> Document:
        """The file's document; without variables its strings stay as written."""
        import yaml

        document = cls(path)
        try:
            root = yaml.compose(text, Loader=_loader())
            if root is not None:
                document.data = document._convert(root, (), None, variables, _loader()(""))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f":{mark.line + 1}" if mark else ""
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise PlanError(f"{path}{line}: not YAML: {problem}") from None
        return document

    def line(self, where: Where) -> int:
        """The line of the key at `where` (of its nearest ancestor in the file)."""
        for end in range(len(where), -1, -1):
            if found := self.nodes.get(where[:end]):
                key, value = found
                return int((key or value).start_mark.line) + 1
        return 1

    def fail(self, where: Where, expected: str) -> PlanError:
        return PlanError(f"{self.source(where)}:{self.line(where)}: {dotted(where)}: {expected}")

    def source(self, where: Where) -> str:
        """The file the key at `where` (its nearest ancestor) came from."""
        for end in range(len(where), -1, -1):
            if found := self.paths.get(where[:end]):
                return found
        return self.path

    def _convert(
        self, node: Any, where: Where, key: Any, variables: Variables | None, loader: Any
    ) -> Any:
        """Plain data from a YAML node, its strings interpolated; records where each key is."""
        import yaml

        self.nodes[where] = (key, node)
        if isinstance(node, yaml.MappingNode):
            self._refuse_twice_given(node, where, loader)
            return {
                str(k.value): self._convert(v, (*where, str(k.value)), k, variables, loader)
                for k, v in node.value
            }
        if isinstance(node, yaml.SequenceNode):
            return [
                self._convert(item, (*where, i), None, variables, loader)
                for i, item in enumerate(node.value)
            ]
        value = loader.construct_object(node)
        if isinstance(value, str) and variables is not None:
            try:
                return variables.interpolate(value)
            except ValueError as exc:
                raise self.fail(where, str(exc)) from None
        return value if value is None or isinstance(value, bool | int | float) else node.value

    def _refuse_twice_given(self, node: Any, where: Where, loader: Any) -> None:
        """A key given twice is a mistake (compose says so); one merged in by `<<:` is not."""
        if id(node) not in self._flattened:
            seen: set[str] = set()
            for key, value in node.value:
                if key.tag != _MERGE and key.value in seen:
                    self.nodes[(*where, str(key.value))] = (key, value)
                    raise self.fail((*where, str(key.value)), "given twice")
                seen.add(key.value)
            loader.flatten_mapping(node)
            self._flattened.add(id(node))


def dotted(where: Where) -> str:
    text = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in where).lstrip(".")
    return text or "the file"


@functools.cache
def _validator() -> Any:
    from jsonschema import Draft7Validator

    return Draft7Validator(json.loads(SCHEMA.read_text()))


def validate(document: Document, validator: Any = None) -> None:
    """The most telling mistake a schema finds, in one line: the Compose Specification's,
    unless another validator is given (see plan/expect.py)."""
    from jsonschema.exceptions import by_relevance

    relevance = by_relevance(strong=frozenset({"additionalProperties"}))
    checker = validator or _validator()
    error = max(checker.iter_errors(document.data or {}), key=relevance, default=None)
    while error is not None and error.validator in ("oneOf", "anyOf") and error.context:
        # Only the branch of the value's own type has something to say about it.
        branches: dict[Any, list[Any]] = {}
        for sub in error.context:
            branches.setdefault(sub.schema_path[0], []).append(sub)
        fitting = [errors for errors in branches.values() if not any(map(_wrong_type, errors))]
        if len(fitting) != 1:
            break  # of no type the key takes (or of several): say which it takes
        error = max(fitting[0], key=relevance)
    if error is not None:
        raise _schema_failure(document, error)


def _wrong_type(error: Any) -> bool:
    return bool(error.validator == "type" and not error.relative_path)


_KINDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "nothing",
}
"""JSON schema types as a compose file's author knows them."""


def _schema_failure(document: Document, error: Any) -> PlanError:
    where: Where = tuple(error.absolute_path)
    if error.validator == "additionalProperties":
        key = _unexpected(error.instance, error.schema)
        if key is None:
            return document.fail(where, str(error.message))
        return document.fail((*where, key), f"not allowed here{_guess(key, error.schema)}")
    if error.validator in ("type", "oneOf", "anyOf"):
        kinds = _expected_types(error)
        if kinds:
            expected = " or ".join(dict.fromkeys(_KINDS[k] for k in kinds if k != "null"))
            return document.fail(where, f"expected {expected}, not {_kind(error.instance)}")
    if error.validator == "required":
        missing = next(k for k in error.validator_value if k not in error.instance)
        return document.fail(where, f"needs {missing!r}")
    if error.validator == "enum":
        choices = ", ".join(map(str, error.validator_value))
        return document.fail(where, f"expected one of {choices}, not {error.instance!r}")
    if error.validator == "uniqueItems":
        return document.fail(where, "has the same item twice")
    return document.fail(where, str(error.message))


def _expected_types(error: Any) -> list[str]:
    if error.validator == "type":
        value = error.validator_value
        return [value] if isinstance(value, str) else list(value)
    return [k for sub in error.context or () if _wrong_type(sub) for k in _expected_types(sub)]


def _kind(value: Any) -> str:
    kinds = {dict: "object", list: "array", str: "string", bool: "boolean", float: "number"}
    return _KINDS["null" if value is None else kinds.get(type(value), "integer")]


def _unexpected(instance: dict[str, Any], schema: dict[str, Any]) -> str | None:
    """The first key the schema allows neither by name nor by pattern."""
    patterns = schema.get("patternProperties", {})
    return next(
        (
            key
            for key in instance
            if key not in schema.get("properties", {})
            and not any(re.search(p, key) for p in patterns)
        ),
        None,
    )


def _guess(key: str, schema: dict[str, Any]) -> str:
    """Did-you-mean among the keys allowed there, or what a key there must look like."""
    allowed = list(schema.get("properties", {}))
    if guess := did_you_mean(key, allowed):
        return guess
    if allowed and len(allowed) <= 8:
        return f" (expected {', '.join(allowed)})"
    patterns = [p for p in schema.get("patternProperties", {}) if p != "^x-"]
    return f" (a name here matches {patterns[0]})" if not allowed and patterns else ""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """The hint ` (did you mean 'image'?)`, or "" where no choice is close."""
    import difflib  # only on the way to an error

    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
