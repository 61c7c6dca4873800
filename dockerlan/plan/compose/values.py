"""The values inside a compose file: variables, durations, env files, and loose scalars.

Pure string work, no YAML: each failure is a ValueError whose message compose.py
places at the line it came from.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_NAME = re.compile(r"[_A-Za-z][_A-Za-z0-9]*")
_BRACED = re.compile(r"([_A-Za-z][_A-Za-z0-9]*)(:?[-?+])?")


@dataclass
class Variables:
    """What `$NAME` stands for; remembers the names used unset, which compose warns about."""

    values: Mapping[str, str]
    unset: list[str] = field(default_factory=list)

    def get(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None and name not in self.unset:
            self.unset.append(name)
        return value

    def interpolate(self, text: str) -> str:
        """text with $$, $NAME and ${NAME...} replaced, as compose does before it reads a file."""
        out: list[str] = []
        at = 0
        while (dollar := text.find("$", at)) >= 0:
            out.append(text[at:dollar])
            value, at = self._substitution(text, dollar + 1)
            out.append(value)
        out.append(text[at:])
        return "".join(out)

    def _substitution(self, text: str, start: int) -> tuple[str, int]:
        """The value of the `$...` whose name starts at `start`, and where the text goes on."""
        if text.startswith("$", start):
            return "$", start + 1
        if named := _NAME.match(text, start):
            return self.get(named.group()) or "", named.end()
        if text.startswith("{", start):
            return self._braced(text, start + 1)
        raise ValueError(f"a '$' that starts no variable in {text!r} (write $$ for a dollar sign)")

    def _braced(self, text: str, start: int) -> tuple[str, int]:
        """${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME:+instead}..."""
        end = _closing_brace(text, start)
        form = _BRACED.match(text, start)
        if form is None or (form.group(2) is None and form.end() != end):
            raise ValueError(
                f"'${{{text[start:end]}}}' is not a variable such as ${{NAME:-default}}"
            )
        name, operator = form.group(1), form.group(2) or ""
        argument = text[form.end() : end]
        value = self.values.get(name)
        missing = not value if operator.startswith(":") else value is None
        if not operator:
            return self.get(name) or "", end + 1
        if operator.endswith("-"):
            return (self.interpolate(argument) if missing else value or ""), end + 1
        if operator.endswith("?"):
            if missing:
                message = self.interpolate(argument)
                raise ValueError(
                    f"variable {name} is not set" + (f": {message}" if message else "")
                )
            return value or "", end + 1
        return ("" if missing else self.interpolate(argument)), end + 1


def _closing_brace(text: str, start: int) -> int:
    """Where the `}` closing a `${` is, past any `${...}` nested in a default."""
    depth, at = 0, start
    while at < len(text):
        if text.startswith("$$", at):
            at += 2
            continue
        if text.startswith("${", at):
            depth, at = depth + 1, at + 2
            continue
        if text[at] == "}":
            if depth == 0:
                return at
            depth -= 1
        at += 1
    raise ValueError(f"a '${{' with no closing '}}' in {text!r}")


_DURATION_PART = re.compile(r"(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)")
_DURATION = re.compile(r"(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+")
_NANOSECONDS = {
    "ns": 1,
    "us": 1000,
    "µs": 1000,
    "μs": 1000,
    "ms": 1000**2,
    "s": 1000**3,
    "m": 60 * 1000**3,
    "h": 3600 * 1000**3,
}


def duration_ns(text: str) -> int:
    """A Go duration ("1m30s", "500ms", "1.5s"), as compose reads healthcheck times, in ns."""
    if text != "0" and not _DURATION.fullmatch(text):
        raise ValueError(f"{text!r} is not a duration such as 30s, 1m30s or 500ms")
    total = 0
    for whole, fraction, unit in _DURATION_PART.findall(text):
        scale = _NANOSECONDS[unit]
        total += int(whole or 0) * scale + int(fraction or 0) * scale // 10 ** len(fraction)
    return total


@dataclass(frozen=True)
class EnvLine:
    """One NAME=VALUE of an env file; value None for a bare NAME, taken from the environment."""

    line: int
    name: str
    value: str | None


def env_file_lines(text: str) -> list[EnvLine]:
    """The variables of a .env or env_file: NAME=VALUE lines, `#` comments, `export` allowed.

    Values are taken as written (quotes removed): variables inside them are not
    replaced. Names are not checked here: the caller knows which rule applies.
    """
    found: list[EnvLine] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").lstrip()
        name, equals, value = line.partition("=")
        found.append(EnvLine(number, name.strip(), _unquoted(value.strip()) if equals else None))
    return found


def _unquoted(value: str) -> str:
    """A value without its quotes; an unquoted one without a trailing ` # comment`."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        inner = value[1:-1]
        if value[0] == '"':
            inner = inner.replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\")
        return inner
    return re.split(r"\s+#", value, maxsplit=1)[0]


_TRUE = {"true", "yes", "y", "on", "1"}
_FALSE = {"false", "no", "n", "off", "0"}


def as_bool(value: object) -> bool:
    """true/false, or a string compose reads as one (a variable made it a string)."""
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise ValueError(f"expected true or false, not {value!r}")


def as_whole(value: object, least: int = 0) -> int:
    """A whole number, or a string of one (a variable made it a string), at least `least`."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"expected a whole number, not {value!r}")
    if isinstance(value, str) and not re.fullmatch(r"\s*[+-]?\d+\s*", value):
        raise ValueError(f"expected a whole number, not {value!r}")
    if int(value) < least:
        raise ValueError(f"expected at least {least}, not {int(value)}")
    return int(value)


def as_text(value: object) -> str:
    """A scalar as an environment variable holds it: true/false, 8080, 1.5, text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return str(value)


SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmg]?)b?$", re.IGNORECASE)
"""A size: a number, then k, m or g (or none: bytes), then an optional b."""
SIZE_FACTOR = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def as_bytes(value: object) -> int:
    """A size as compose writes one: a number of bytes, or 512k, 64m, 1gb, 2b."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    found = SIZE.match(str(value).strip()) if isinstance(value, str) else None
    if found is None:
        raise ValueError(f"{value!r} is not a size such as 64m, 1gb or a number of bytes")
    return int(float(found.group(1)) * SIZE_FACTOR[found.group(2).lower()])


def split_pair(item: object) -> tuple[str, str | None]:
    """NAME=VALUE -> (NAME, VALUE); a bare NAME -> (NAME, None)."""
    name, equals, value = str(item).partition("=")
    return name, value if equals else None
