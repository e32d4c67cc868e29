"""Command line: ``atencion validate FILE… [--json]`` checks diagrams and forms before deploying.

A directory is a bundle: its ``bpmn/*.bpmn``, ``bpmn/*.dmn`` and ``forms/*.json`` (a ``bpmn/``
folder on its own brings the ``forms/`` next to it). A file inside a ``bpmn/`` folder is checked
together with the rest of its bundle (the other diagrams, decision tables and ``../forms``), so
its forms, decisions and called processes are found, but only its own problems are shown.
"""

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from engine.validation import Problem, validate_files
from engine.validation_messages import os_error

DIAGRAM_SUFFIXES = (".bpmn", ".dmn")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="atencion", description="Atención Virtual")
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser(
        "validate",
        help="valida diagramas BPMN/DMN y formularios JSON Schema",
        description="Valida diagramas BPMN/DMN y formularios antes de desplegarlos.",
    )
    validate.add_argument("paths", nargs="+", metavar="FILE", help="archivo o directorio")
    validate.add_argument("--json", action="store_true", help="imprime los problemas como JSON")
    args = parser.parse_args(argv)
    try:
        return run_validate(args.paths, as_json=args.json)
    except BrokenPipeError:  # `atencion validate … | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def run_validate(paths: Sequence[str], as_json: bool = False) -> int:
    problems, checked = collect_problems(paths)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if as_json:
        print(json.dumps([p.to_dict() for p in problems], ensure_ascii=False, indent=2))
    else:
        for problem in problems:
            print(problem)
    print(_summary(errors, warnings, len(checked)), file=sys.stderr if as_json else sys.stdout)
    return 1 if errors else 0


def collect_problems(paths: Sequence[str]) -> tuple[list[Problem], list[str]]:
    """The problems of the given files and directories, and the files that were checked."""
    files: dict[str, str] = {}
    requested: list[str] = []
    problems: list[Problem] = []
    bundle_level = False
    for arg in paths:
        path = Path(arg)
        if path.is_dir():
            bundle_level = True
            found = _directory_files(path)
            if not found:
                message = "El directorio no tiene bpmn/*.bpmn, bpmn/*.dmn ni forms/*.json."
                problems.append(Problem(arg, None, None, message))
            targets, context = found, []
        else:
            bundle_level |= path.suffix.lower() == ".bpmn"
            targets, context = [path], _bundle_context(path)
        for target in targets:
            if str(target) not in requested:
                requested.append(str(target))
            _read(target, files, problems)
        for extra in context:
            if str(extra) not in files:
                _read(extra, files, problems, quiet=True)
    shown = set(requested) | ({""} if bundle_level else set())
    bundle = next((p for p in paths if Path(p).is_dir()), None) or ", ".join(paths)
    problems += [
        replace(p, file=p.file or bundle) for p in validate_files(files) if p.file in shown
    ]
    return problems, requested


def _directory_files(root: Path) -> list[Path]:
    if not (root / "bpmn").is_dir() and not (root / "forms").is_dir():
        if any(root.glob("*.bpmn")) or any(root.glob("*.dmn")):  # a bpmn/ folder itself
            return _diagrams(root) + _forms(root.parent / "forms")
        return _forms(root)
    return _diagrams(root / "bpmn") + _forms(root / "forms")


def _diagrams(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.bpmn")) + sorted(folder.glob("*.dmn"))


def _forms(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def _bundle_context(path: Path) -> list[Path]:
    """The rest of the bundle of a diagram that lives in a ``bpmn/`` folder."""
    folder = path.absolute().parent
    if path.suffix.lower() not in DIAGRAM_SUFFIXES or folder.name != "bpmn":
        return []
    return [p for p in _diagrams(folder) if p.name != path.name] + _forms(folder.parent / "forms")


def _read(path: Path, files: dict[str, str], problems: list[Problem], quiet: bool = False) -> None:
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        if not quiet:
            message = f"No se puede leer el archivo: {os_error(exc)}."
            problems.append(Problem(name, None, None, message))
        return
    try:
        files[name] = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if not quiet:
            line = data.count(b"\n", 0, exc.start) + 1
            message = f"El archivo no es texto UTF-8 (byte {exc.start})."
            problems.append(Problem(name, line, None, message))


def _summary(errors: int, warnings: int, checked: int) -> str:
    files = f"{checked} archivo{'s' if checked != 1 else ''}"
    if not errors and not warnings:
        return f"Sin problemas en {files}."
    parts = [
        f"{errors} error{'es' if errors != 1 else ''}",
        f"{warnings} aviso{'s' if warnings != 1 else ''}",
    ]
    verdict = "no se puede desplegar" if errors else "se puede desplegar"
    return f"{' y '.join(parts)} en {files}; {verdict}."


if __name__ == "__main__":
    sys.exit(main())
