"""Write keys: who may post events. Only a hash of each key is stored.

A key is 32 random bytes (`secrets.token_urlsafe`), shown once when it is made. The
file (rta.layout.Layout.collector_keys) holds its name, the SHA-256 of the key, when it
was created and when it was revoked. A plain hash is enough here: the keys are random
and long, so there is no guessable password for a slow hash (scrypt) to protect, and
checking a key stays one hash per request.

The collector re-reads the file when it changes, so `rta collector keys revoke` takes
effect on the next request without a restart.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from rta.errors import InputError

__all__ = ["KEY_PREFIX", "KeyStore", "WriteKey", "WriteKeyError"]

# Makes a leaked key recognisable as one of ours (secret scanners match on prefixes).
KEY_PREFIX = "rta_"
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class WriteKeyError(InputError):
    """A key name that is invalid, taken or unknown, or a keys file that cannot be read."""


@dataclass(frozen=True)
class WriteKey:
    name: str
    sha256: str
    created: str
    revoked: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked is None


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class KeyStore:
    """The keys file: add, list, revoke, and look a presented key up."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._by_hash: dict[str, WriteKey] = {}
        # (inode, mtime_ns, size) of the file loaded: every save renames a new file in.
        self._seen: tuple[int, int, int] | None = None

    def entries(self) -> list[WriteKey]:
        """Every key ever added, revoked ones too, oldest first."""
        if not self.path.exists():
            return []
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return [WriteKey(**entry) for entry in data["keys"]]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise WriteKeyError(f"cannot read the write keys in {self.path}: {exc}") from None

    def _save(self, keys: list[WriteKey]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"keys": [asdict(k) for k in keys]}, indent=2) + "\n"
        # Written aside and renamed: a collector reading it meanwhile sees the old or the
        # new file, never half of one. Owner-only, like any file of credentials.
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".keys-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def add(self, name: str) -> str:
        """Make a key called `name`; return the key itself, which is stored nowhere."""
        if not _NAME_RE.fullmatch(name):
            raise WriteKeyError(
                f"invalid key name {name!r}: 1-64 letters, digits, '_', '.' or '-', "
                "starting with a letter or digit"
            )
        keys = self.entries()
        if any(k.name == name for k in keys):
            raise WriteKeyError(
                f"a write key named {name!r} exists already (names stay taken after "
                "`revoke`, so that the list keeps its history); choose another name"
            )
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        self._save([*keys, WriteKey(name, _hash(key), _now())])
        return key

    def revoke(self, name: str) -> WriteKey:
        """Revoke the key called `name` (again: no change); return it as now stored."""
        keys = self.entries()
        for i, k in enumerate(keys):
            if k.name == name:
                if k.active:
                    keys[i] = WriteKey(k.name, k.sha256, k.created, _now())
                    self._save(keys)
                return keys[i]
        raise WriteKeyError(f"no write key named {name!r} (`rta collector keys list` shows them)")

    def find(self, key: str) -> WriteKey | None:
        """The stored entry of a presented key, active or revoked; None if unknown.

        Re-reads the file only when it changed since the last look (one stat a call).
        A dict lookup by hash leaks nothing useful through timing: an attacker does not
        choose the hash they probe.
        """
        try:
            st = self.path.stat()
            seen: tuple[int, int, int] | None = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            seen = None
        if seen != self._seen:
            self._by_hash = {k.sha256: k for k in self.entries()} if seen else {}
            self._seen = seen
        return self._by_hash.get(_hash(key))
