"""srtbuild.yaml: safe loading, validation with file:line:col errors, the settings digest.

Validation is derived from declarations: the top-level schema below and each rule's own
`OPTIONS`. Errors point at the offending node: `srtbuild.yaml:12:5: pipeline[3].timing.
max_cps: expected a number, got 'fast'`.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from srtbuild.errors import ConfigError
from srtbuild.languages import AUTO, is_known
from srtbuild.quality import DEFAULT_THRESHOLDS
from srtbuild.rules.registry import DEFAULT_PIPELINE, RULES, defaults

CONFIG_NAME = "srtbuild.yaml"
MAX_CONFIG_BYTES = 1024 * 1024
MAX_GLOSSARY_BYTES = 16 * 1024 * 1024  # room for glossaries of tens of thousands of terms

# Top-level keys: kind, default, what it is for.
TOP_LEVEL: dict[str, tuple[str, Any]] = {
    "input": ("str", "."),
    "output": ("str", "build"),
    "patterns": ("str_list", ["*.srt"]),
    "recursive": ("bool", True),
    "exclude": ("str_list", []),
    "language": ("str", "en"),
    "encoding": ("optional_str", None),
    "pipeline": ("pipeline", None),
    "quality": ("quality", None),
    "output_format": ("output_format", None),
    "timeout_s": ("number", 300),
    "memory_limit_mb": ("optional_int", None),
    "max_dropped_share": ("number", 0.05),
    "report": ("report", None),
    "batch": ("batch", None),
}
# How a run goes, not what it makes: read by `srtbuild batch` and by a dodo.py, overridden
# by command-line flags, and outside the settings digest (editing them rebuilds nothing).
BATCH: dict[str, tuple[str, Any]] = {
    "jobs": ("optional_int", None),  # None: the CPUs this process may use
    "stop_on_error": ("bool", False),
    "incremental": ("bool", True),
    "patterns": ("str_list", None),
    "recursive": ("bool", None),
    "exclude": ("str_list", None),
    "export_report": ("optional_str", None),
    "export_format": ("optional_str", None),
    "progress": ("str", "auto"),
    "progress_interval_s": ("number", 0.5),
    "max_memory_mb": ("optional_int", None),  # None: most of the machine's memory
    "timeout_s": ("number", None),
}
# Keys `batch:` shares with the top level, where older files have them: kept working there.
BATCH_AT_TOP = ("patterns", "recursive", "exclude", "timeout_s")
EXPORT_FORMATS = ("json", "csv", "md", "html")
PROGRESS_MODES = ("auto", "live", "plain", "json")
OUTPUT_FORMAT = {"bom": False, "crlf": False}
# Settings that only the report reads: changing them rebuilds no file.
REPORT = {"worst_files": 10, "history": 20, "csv_bom": True, "csv_delimiter": ","}
# report.csv's delimiter: `,`, or what spreadsheets expect in many locales (`;`, a tab).
CSV_DELIMITERS = (",", ";", "\t", "|")


def csv_delimiter(text: str) -> str | None:
    """The delimiter `text` names (`tab` or `\\t` for a tab), None if none of CSV_DELIMITERS."""
    value = "\t" if text in ("tab", "\\t") else text
    return value if value in CSV_DELIMITERS else None
# Past these a threshold is a mistake, not a guideline.
QUALITY_MAXIMUM = {"max_cps": 1000, "max_line_length": 10_000, "max_lines": 1000, "min_duration_ms": 3_600_000,
                   "max_duration_ms": 3_600_000, "min_gap_ms": 60_000}

_KIND_WORDS = {
    "int": "a whole number", "number": "a number", "bool": "true or false", "str": "a string",
    "optional_str": "a string or null", "optional_int": "a whole number or null", "str_list": "a list of strings",
    "term_map": "a mapping of canonical term -> wrong form(s)",
}


@dataclass
class Settings:
    """Validated settings. `processing()` is all the processor sees of them."""

    path: str | None = None
    root: Path = field(default_factory=Path.cwd)
    input: str = "."
    output: str = "build"
    patterns: list[str] = field(default_factory=lambda: ["*.srt"])
    recursive: bool = True
    exclude: list[str] = field(default_factory=list)
    language: str = "en"
    encoding: str | None = None
    pipeline: list[tuple[str, dict]] = field(default_factory=lambda: [(n, defaults(n)) for n in DEFAULT_PIPELINE])
    quality: dict = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    output_format: dict = field(default_factory=lambda: dict(OUTPUT_FORMAT))
    glossary_files: list[str] = field(default_factory=list)
    timeout_s: float = 300
    memory_limit_mb: int | None = None  # per helper, beyond what it starts with; None: automatic
    max_dropped_share: float = 0.05  # a file that loses more of its cues to the reader fails
    report: dict = field(default_factory=lambda: dict(REPORT))
    # jobs, stop_on_error, incremental, export_report, export_format, progress_interval_s,
    # max_memory_mb (patterns, recursive, exclude and timeout_s are the attributes above)
    batch: dict = field(default_factory=lambda: {k: v for k, (_, v) in BATCH.items() if k not in BATCH_AT_TOP})
    _digest: str | None = field(default=None, init=False, repr=False, compare=False)

    def processing(self) -> dict:
        """Exactly the settings that change a file's output or sidecar (plain JSON data)."""
        return {
            "language": self.language,
            "encoding": self.encoding,
            "pipeline": [[name, opts] for name, opts in self.pipeline],
            "quality": self.quality,
            "output_format": self.output_format,
            "max_dropped_share": self.max_dropped_share,
        }

    def digest(self) -> str:
        """Computed once: settings are not changed after loading, and every sidecar, task
        and up-to-date check asks for it (a large glossary makes it cost)."""
        if self._digest is None:
            blob = json.dumps(self.processing(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
            self._digest = hashlib.sha256(blob.encode("utf-8")).hexdigest()
        return self._digest


def find_config(start: Path | None = None) -> Path | None:
    """The nearest srtbuild.yaml from `start` (default: the current folder) upward."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def _short(value: Any) -> str:
    """A value as an error message shows it: one line, at most 60 characters. A message
    must not print a file's content (a glossary path that names some other file)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class _Loader(yaml.SafeLoader):
    """Safe loading, with YAML 1.2's numbers: `1e-9` is a number (YAML 1.1, and so
    PyYAML, wants a dot in it and reads the string '1e-9')."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:float"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
                |[-+]?(?:[0-9][0-9_]*)[eE][-+]?[0-9]+
                |[-+]?\.[0-9_]+(?:[eE][-+]?[0-9]+)?
                |[-+]?\.(?:inf|Inf|INF)
                |\.(?:nan|NaN|NAN))$""", re.X),
    list("-+0123456789."),
)


class _Checker:
    """Validates plain data, and finds the YAML node of a key path for error positions."""

    def __init__(self, path: str, root: yaml.Node | None) -> None:
        self.path = path
        self.root = root

    def _node(self, keys: tuple) -> yaml.Node | None:
        node = self.root
        for key in keys:
            if isinstance(node, yaml.MappingNode):
                node = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
                node = node.value[key]
            else:
                return node
            if node is None:
                return None
        return node

    def fail(self, keys: tuple, message: str, at_key: bool = False) -> None:
        node = self._node(keys[:-1]) if at_key else self._node(keys)
        if at_key and isinstance(node, yaml.MappingNode):
            node = next((k for k, _ in node.value if getattr(k, "value", None) == keys[-1]), node)
        name = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in keys).lstrip(".")
        line = node.start_mark.line + 1 if node is not None else None
        col = node.start_mark.column + 1 if node is not None else None
        raise ConfigError(f"{name}: {message}" if name else message, self.path, line, col)

    def value(self, keys: tuple, value: Any, kind: str) -> Any:
        ok = {
            "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v),
            "bool": lambda v: isinstance(v, bool),
            "str": lambda v: isinstance(v, str),
            "optional_str": lambda v: v is None or isinstance(v, str),
            "optional_int": lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool)),
            "str_list": lambda v: isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v)),
            "term_map": lambda v: isinstance(v, dict) and all(
                isinstance(k, str) and (isinstance(w, str) or (isinstance(w, list) and all(isinstance(x, str) for x in w)))
                for k, w in v.items()),
        }[kind]
        if not ok(value):
            if isinstance(value, float) and not math.isfinite(value):
                self.fail(keys, f"expected a finite number, got {value!r}")
            self.fail(keys, f"expected {_KIND_WORDS[kind]}, got {_short(value)}")
        if kind == "str_list" and isinstance(value, str):
            if "," in value:  # `words: "um, uh"` is one word to YAML, surely not what was meant
                self.fail(keys, f"expected a list of strings, got the one string {_short(value)}; "
                                "write a list: [a, b]")
            value = [value]
        if kind == "str_list" and any(not item.strip() for item in value):
            self.fail(keys, "expected no empty string in the list")
        if kind == "term_map" and any(not k.strip() or any(not w.strip() for w in (v if isinstance(v, list) else [v]))
                                      for k, v in value.items()):
            self.fail(keys, "expected no empty term")
        if kind == "str_list":
            return value
        if kind == "term_map":
            return {k: (w if isinstance(w, list) else [w]) for k, w in value.items()}
        return value

    def mapping(self, keys: tuple, value: Any, allowed: dict) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(keys, f"expected a mapping, got {_short(value)}")
        for key in value:
            if key not in allowed:
                known = ", ".join(sorted(allowed)) or "none"
                self.fail(keys + (key,), f"unknown key (expected one of: {known})", at_key=True)
        return value


_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")


def _check_numbers(node: yaml.Node | None, path: str) -> None:
    """No setting needs a number of more than 30 characters; building one of thousands of
    digits is slow, or refused by Python with an error that names no line."""
    todo = [node] if node is not None else []
    while todo:
        item = todo.pop()
        if isinstance(item, yaml.ScalarNode):
            if item.tag in _NUMBER_TAGS and len(item.value) > 30:
                mark = item.start_mark
                raise ConfigError(f"number {item.value[:20]}... is too long", path, mark.line + 1, mark.column + 1)
        elif isinstance(item, yaml.SequenceNode):
            todo.extend(item.value)
        elif isinstance(item, yaml.MappingNode):
            todo.extend(v for pair in item.value for v in pair)


def _load_yaml(text: str, path: str) -> tuple[Any, yaml.Node | None]:
    try:
        # Anchors and aliases have no use in a config file and are the door to
        # "billion laughs" expansion: refuse them before anything is built.
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.AliasEvent):
                mark = event.start_mark
                raise ConfigError("YAML aliases (*name) are not allowed", path, mark.line + 1, mark.column + 1)
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            _check_numbers(node, path)
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise ConfigError(f"invalid YAML: {exc.problem or exc.context}", path, line, col) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", path) from None
    return data, node


def _read_text(path: Path, shown: str, limit: int = MAX_CONFIG_BYTES) -> str:
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", shown) from None
    if len(data) > limit:
        raise ConfigError(f"larger than {limit // (1024 * 1024)} MiB; not a configuration file", shown)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError("not UTF-8 text", shown, data.count(b"\n", 0, exc.start) + 1) from None


def load_glossary(path: Path, shown: str) -> dict[str, list[str]]:
    """A glossary file: YAML `canonical: [wrong, ...]` or CSV rows `wrong,canonical`."""
    text = _read_text(path, shown, MAX_GLOSSARY_BYTES)
    terms: dict[str, list[str]] = {}
    if path.suffix.lower() == ".csv":
        for number, row in enumerate(csv.reader(text.splitlines()), 1):
            if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
                continue
            if number == 1 and [c.strip().lower() for c in row[:2]] == ["wrong", "canonical"]:
                continue
            if len(row) != 2 or not row[0].strip() or not row[1].strip():
                raise ConfigError(f"expected two columns `wrong,canonical`, got {_short(row)}", shown, number)
            terms.setdefault(row[1].strip(), []).append(row[0].strip())
        return terms
    data, node = _load_yaml(text, shown)
    checker = _Checker(shown, node)
    return checker.value((), data if data is not None else {}, "term_map")


def _pipeline(checker: _Checker, value: Any, root: Path) -> tuple[list[tuple[str, dict]], list[str]]:
    if not isinstance(value, list):
        checker.fail(("pipeline",), f"expected a list of rule names, got {_short(value)}")
    steps: list[tuple[str, dict]] = []
    given_keys: list[set] = []
    files_read: list[str] = []
    known = ", ".join(RULES)
    for i, item in enumerate(value):
        keys = ("pipeline", i)
        if isinstance(item, str):
            name, given = item, {}
        elif isinstance(item, dict) and len(item) == 1:
            name, given = next(iter(item.items()))
            keys = keys + (name,)
            given = given or {}
        else:
            checker.fail(keys, f"expected a rule name or `rule: {{option: value}}`, got {_short(item)}")
        if name not in RULES:
            checker.fail(keys, f"unknown rule {_short(name)} (rules: {known})")
        declared = {opt.name: opt for opt in RULES[name].OPTIONS}
        checker.mapping(keys, given, declared)
        options = defaults(name)
        for key, raw in given.items():
            opt = declared[key]
            val = checker.value(keys + (key,), raw, opt.kind)
            if opt.minimum is not None and val < opt.minimum:
                checker.fail(keys + (key,), f"expected at least {opt.minimum}, got {val!r}")
            if opt.maximum is not None and val > opt.maximum:
                checker.fail(keys + (key,), f"expected at most {opt.maximum:,}, got {_short(val)}")
            options[key] = val
        check = getattr(RULES[name], "check", None)
        problem = check(options) if check else None
        if problem:
            key, message = problem
            checker.fail(keys + (key,) if key in given else keys, f"{key}: {message}" if key not in given else message)
        if name == "glossary":
            merged = {k: list(v) for k, v in options["terms"].items()}
            for rel in options["files"]:
                gpath = (root / rel)
                shown = rel if not Path(rel).is_absolute() else str(gpath)
                # Inside the folder of srtbuild.yaml (links resolved), so a config cannot
                # make srtbuild read, and quote in its errors, any file on the machine.
                real, home = os.path.realpath(gpath), os.path.realpath(root)
                if not real.startswith(home.rstrip(os.sep) + os.sep):
                    checker.fail(keys + ("files",), f"glossary file {_short(rel)} is outside the folder of "
                                                    f"{CONFIG_NAME} ({home}); keep glossaries beside it")
                if not gpath.is_file():
                    checker.fail(keys + ("files",), f"glossary file {_short(rel)} not found")
                for canonical, wrongs in load_glossary(gpath, shown).items():
                    merged.setdefault(canonical, []).extend(wrongs)
                files_read.append(str(gpath.resolve()))
            # The rule and the digest see the terms' content, not where they came from.
            options = {"terms": merged, "files": []}
        steps.append((name, options))
        given_keys.append(set(given))
    _share_limits(steps, given_keys)
    return steps, files_read


# Limits that several rules apply and must agree on, by the rule that owns them: a cue
# `split` leaves whole must be one `wrap` can lay out, and `merge` must not build what
# `split` or `timing` would undo. An option set on its owner is the default elsewhere.
SHARED_LIMITS = {
    "max_line_length": "wrap", "max_lines": "wrap", "max_duration_ms": "timing",
    "min_duration_ms": "timing", "min_gap_ms": "timing", "max_cps": "timing",
}


def _share_limits(steps: list[tuple[str, dict]], given_keys: list[set]) -> None:
    owners = {name: (options, given) for (name, options), given in zip(steps, given_keys)
              if name in set(SHARED_LIMITS.values())}
    for (name, options), given in zip(steps, given_keys):
        for key, owner in SHARED_LIMITS.items():
            if name != owner and key in options and key not in given and owner in owners:
                options[key] = owners[owner][0][key]


def _batch(checker: _Checker, raw: Any, top: dict, settings: Settings) -> None:
    given = checker.mapping(("batch",), raw, BATCH)
    for name, val in given.items():
        keys = ("batch", name)
        if name in top and name in BATCH_AT_TOP:
            checker.fail(keys, f"set both here and at the top level ({name}:); keep one", at_key=True)
        val = checker.value(keys, val, BATCH[name][0])
        if name == "jobs" and val is not None and not 1 <= val <= 1024:
            checker.fail(keys, f"expected 1 to 1,024 worker processes (or null: one per CPU), got {_short(val)}")
        if name == "progress_interval_s" and not 0.05 <= val <= 3600:
            checker.fail(keys, f"expected 0.05 to 3,600 seconds, got {_short(val)}")
        if name == "max_memory_mb" and val is not None and not 1 <= val <= 1 << 24:
            checker.fail(keys, f"expected 1 to 16,777,216 (MB), or null, got {_short(val)}")
        if name == "progress" and val not in PROGRESS_MODES:
            checker.fail(keys, f"expected one of {', '.join(PROGRESS_MODES)}, got {_short(val)}")
        if name == "export_format" and val is not None and val not in EXPORT_FORMATS:
            checker.fail(keys, f"expected one of {', '.join(EXPORT_FORMATS)}, got {_short(val)}")
        if name == "export_report" and val is not None and not val.strip():
            checker.fail(keys, "expected a file name (or - for stdout), got an empty string")
        if name in BATCH_AT_TOP:
            setattr(settings, name, val)
        else:
            settings.batch[name] = val


def parse_config(text: str, path: str, root: Path) -> Settings:
    data, node = _load_yaml(text, path)
    checker = _Checker(path, node)
    data = checker.mapping((), data, TOP_LEVEL)
    settings = Settings(path=path, root=root)
    for key, raw in data.items():
        kind = TOP_LEVEL[key][0]
        if kind == "pipeline":
            settings.pipeline, settings.glossary_files = _pipeline(checker, raw, root)
        elif kind == "quality":
            given = checker.mapping((key,), raw, DEFAULT_THRESHOLDS)
            for name, val in given.items():
                want = "number" if name == "max_cps" else "int"
                val = checker.value((key, name), val, want)
                if val <= 0 and name not in ("min_gap_ms",):
                    checker.fail((key, name), f"expected a positive number, got {val!r}")
                if val < 0 or val > QUALITY_MAXIMUM[name]:
                    checker.fail((key, name), f"expected at most {QUALITY_MAXIMUM[name]:,}, got {_short(val)}")
                settings.quality[name] = val
        elif kind == "report":
            given = checker.mapping((key,), raw, REPORT)
            for name, val in given.items():
                if name == "csv_bom":
                    val = checker.value((key, name), val, "bool")
                elif name == "csv_delimiter":
                    given_text = checker.value((key, name), val, "str")
                    val = csv_delimiter(given_text)
                    if val is None:
                        checker.fail((key, name), f"expected one of ',', ';', tab or '|', got {_short(given_text)}")
                else:
                    val = checker.value((key, name), val, "int")
                    if val < 0:
                        checker.fail((key, name), f"expected zero or more, got {val!r}")
                settings.report[name] = val
        elif kind == "batch":
            _batch(checker, raw, data, settings)
        elif kind == "output_format":
            given = checker.mapping((key,), raw, OUTPUT_FORMAT)
            for name, val in given.items():
                settings.output_format[name] = checker.value((key, name), val, "bool")
        else:
            setattr(settings, key, checker.value((key,), raw, kind))
    if settings.memory_limit_mb is not None and not 64 <= settings.memory_limit_mb <= 1 << 24:
        checker.fail(("memory_limit_mb",), f"expected 64 to 16,777,216 (MB), got {_short(settings.memory_limit_mb)}")
    if not 0 <= settings.max_dropped_share <= 1:
        checker.fail(("max_dropped_share",), f"expected a share from 0 to 1, got {_short(settings.max_dropped_share)}")
    if not 0 < settings.timeout_s <= 7 * 86400:
        where = ("batch", "timeout_s") if "timeout_s" in (data.get("batch") or {}) else ("timeout_s",)
        checker.fail(where, f"expected a positive number of seconds, at most a week, got {_short(settings.timeout_s)}")
    q = settings.quality
    if q["min_duration_ms"] > q["max_duration_ms"]:
        key = "min_duration_ms" if "min_duration_ms" in (data.get("quality") or {}) else "max_duration_ms"
        checker.fail(("quality", key), f"min_duration_ms ({q['min_duration_ms']}) is more than "
                                       f"max_duration_ms ({q['max_duration_ms']})")
    if settings.language.lower() == AUTO:
        settings.language = AUTO  # `Auto`, `AUTO`: the same choice
    if settings.language != AUTO and not is_known(settings.language):
        checker.fail(("language",), f"unknown language code {_short(settings.language)} "
                                    "(expected an ISO 639-1 code such as en, fr, pt-BR, or auto)")
    if settings.encoding:
        try:
            codecs.lookup(settings.encoding)
            b"0123 abc\n".decode(settings.encoding)
        except LookupError:
            checker.fail(("encoding",), f"unknown encoding {_short(settings.encoding)}")
        except Exception:  # a codec that decodes nothing (`undefined`) or needs arguments
            checker.fail(("encoding",), f"{_short(settings.encoding)} cannot decode text files")
    return settings


def load_settings(config: str | Path | None = None, start: Path | None = None) -> Settings:
    """Settings from `config`, else from the nearest srtbuild.yaml, else the defaults."""
    if config is None:
        found = find_config(start)
        if found is None:
            return Settings(root=(start or Path.cwd()))
        config = found
        shown = str(found)
    else:
        shown = str(config)
    path = Path(config)
    if not path.is_file():
        raise ConfigError("configuration file not found", shown)
    return parse_config(_read_text(path, shown), shown, path.resolve().parent)
