"""The JVM artefacts that `make setup` resolved from jvm/pom.xml."""

from __future__ import annotations

from pathlib import Path

from rta.stack.errors import ArtifactsMissingError


def classpath(cache_dir: Path, module: str) -> str:
    """The resolved classpath of a jvm/<module>, checked to exist on disk."""
    path = cache_dir / f"{module}.classpath"
    if not path.is_file():
        raise ArtifactsMissingError(
            f"The {module} jars are not resolved ({path} is missing). Run `make setup` first."
        )
    entries = [e for e in path.read_text().strip().split(":") if e]
    missing = [e for e in entries if not Path(e).is_file()]
    if missing:
        raise ArtifactsMissingError(
            f"{len(missing)} {module} jar(s) listed in {path} are gone from the Maven cache "
            f"(first: {missing[0]}). Run `make setup` again."
        )
    return ":".join(entries)


def lib_dir(cache_dir: Path, name: str, required: tuple[str, ...] = ()) -> Path:
    """A directory of jars that `make setup` filled, checked to hold `required`."""
    path = cache_dir / name
    if not path.is_dir() or not any(path.glob("*.jar")):
        raise ArtifactsMissingError(f"{path} holds no jars. Run `make setup` first.")
    missing = [jar for jar in required if not (path / jar).is_file()]
    if missing:
        raise ArtifactsMissingError(
            f"{path} lacks {', '.join(missing)} (built by `make setup` since this checkout "
            "was set up). Run `make setup` again."
        )
    return path
