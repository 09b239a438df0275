"""Settings: the TOML config file, and the view the app remembers between runs.

The config file (``config.toml`` under the platform's user config dir, or ``--config FILE``)
holds what a user decides once::

    [keys]              # binding id = key(s); ids are listed by ? in the app
    "diff.split" = "x"
    "app.quit" = ["q", "ctrl+q"]

    [view]              # how the app starts
    sort = "changed"    # changed | first_seen | title
    split = false       # side by side diff
    fold = false        # fold unchanged paragraphs
    show_boring = false # show whitespace/punctuation-only versions
    remember = true     # start from the view you left (split, fold, sort)

    [fetch]             # defaults of refreshes and of `fetch`
    concurrency = 8     # requests in flight at once
    per_site = 4        # requests in flight to one site
    delay = 0.0         # least seconds between two request starts to one site
    allow_private = false  # or addresses/networks the network guard lets through

Every problem (bad TOML, an unknown section or key, a wrong type or value) is a ``ConfigError``
whose message names the file and the key, so the CLI prints one line and exits 2.

The remembered view (split, fold, sort) is a small JSON file under the user state dir, never in
the cache: it is a convenience, so a damaged one is ignored and rewritten.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsdiff_tui.errors import InputError, NewsdiffError
from newsdiff_tui.inputs import read_input_text
from newsdiff_tui.storage import atomic_write_json

if TYPE_CHECKING:  # the fetcher and the guard import httpx: only when fetch options are built
    from newsdiff_tui.fetch import FetchOptions
    from newsdiff_tui.netguard import AddressPolicy

APP_NAME = "newsdiff-tui"
CONFIG_NAME = "config.toml"
STATE_NAME = "view.json"
CONFIG_MAX_BYTES = 1 << 20  # a settings file; anything bigger is not one
SORTS = ("changed", "first_seen", "title")


class ConfigError(NewsdiffError):
    """The config file cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class ViewSettings:
    """How the app's view starts (and, with ``remember``, whether it starts where you left)."""

    sort: str = "changed"
    split: bool = False
    fold: bool = False
    show_boring: bool = False
    remember: bool = True


@dataclass(frozen=True)
class FetchSettings:
    """Fetch defaults; None leaves the fetcher's own default in place."""

    concurrency: int | None = None
    per_site: int | None = None
    delay: float | None = None
    # True/False, or addresses and networks ("10.1.0.0/16,192.168.1.20") the guard lets through
    allow_private: bool | str | None = None

    def apply(self, options: FetchOptions) -> FetchOptions:
        """``options`` with what the file gave. ``allow_private`` yields to the environment's
        ``NEWSDIFF_ALLOW_PRIVATE`` (set for one run, it wins over the file)."""
        from newsdiff_tui.netguard import ALLOW_PRIVATE_ENV

        changes: dict[str, Any] = {}
        if self.concurrency is not None:
            changes["concurrency"] = self.concurrency
        if self.per_site is not None:
            changes["per_site"] = self.per_site
        if self.delay is not None:
            changes["host_delay"] = self.delay
        if self.allow_private is not None and ALLOW_PRIVATE_ENV not in os.environ:
            changes["address_policy"] = _address_policy(self.allow_private)
        return replace(options, **changes)


def _address_policy(value: bool | str) -> AddressPolicy:
    """The network guard's policy for an ``allow_private`` value (checked when read)."""
    from newsdiff_tui.netguard import AddressPolicy

    if isinstance(value, bool):
        return AddressPolicy(allow_all=value)
    return AddressPolicy.parse(value, what="[fetch] allow_private")


@dataclass(frozen=True)
class Config:
    """Everything the config file says; ``path`` is the file read (None: defaults only)."""

    path: Path | None = None
    keys: Mapping[str, str] = field(default_factory=dict)
    view: ViewSettings = field(default_factory=ViewSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)

    def check_binding_ids(self, known: set[str]) -> None:
        """Refuse a ``[keys]`` entry whose binding id the app does not have (a typo)."""
        for binding_id in self.keys:
            if binding_id not in known:
                raise ConfigError(
                    f"{self._where()}: [keys] {binding_id}: no binding has this id "
                    "(press ? in the app to see every id)"
                )

    def _where(self) -> str:
        """How messages name the file."""
        return str(self.path) if self.path else "config"


@dataclass(frozen=True)
class ViewState:
    """The view the app remembers between runs."""

    sort: str = "changed"
    split: bool = False
    fold: bool = False


# ----- locations ----------------------------------------------------------------------------


def default_config_path() -> Path:
    """``config.toml`` under the platform's user config dir (``~/.config/newsdiff-tui``)."""
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME)) / CONFIG_NAME


def default_state_path() -> Path:
    """The remembered view, under the platform's user state dir (``~/.local/state/...``)."""
    from platformdirs import user_state_dir

    return Path(user_state_dir(APP_NAME)) / STATE_NAME


# ----- reading the config -------------------------------------------------------------------

Check = Callable[[Any], Any]  # returns the value to keep, or raises ValueError(reason)


def _boolean(value: Any) -> bool:
    """A TOML boolean (``true``/``false``), nothing that merely looks like one."""
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, not {_shown(value)}")
    return value


def _allowed_private(value: Any) -> bool | str:
    """``true``/``false``, or addresses and networks as the network guard reads them."""
    if isinstance(value, bool):
        return value
    if not isinstance(value, str):
        raise ValueError(
            f"must be true, false or addresses such as '10.1.0.0/16', not {_shown(value)}"
        )
    try:
        _address_policy(value)
    except NewsdiffError as exc:
        raise ValueError(str(exc).removeprefix("[fetch] allow_private: ")) from None
    return value


def _choice(*choices: str) -> Check:
    """A check that the value is one of ``choices``."""

    def check(value: Any) -> str:
        """``value`` if it is one of the choices; a ValueError listing them otherwise."""
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}, not {_shown(value)}")
        return value

    return check


def _integer(low: int, high: int) -> Check:
    """A check that the value is a whole number in ``[low, high]``."""

    def check(value: Any) -> int:
        """``value`` if it is a whole number in range; a ValueError saying why not otherwise."""
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"must be a whole number, not {_shown(value)}")
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}, not {value}")
        return value

    return check


def _seconds(low: float, high: float) -> Check:
    """A check that the value is a number of seconds in ``[low, high]``."""

    def check(value: Any) -> float:
        """``value`` as a float if it is a number of seconds in range; a ValueError otherwise."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"must be a number of seconds, not {_shown(value)}")
        if not low <= value <= high:
            raise ValueError(f"must be between {low:g} and {high:g} seconds, not {value:g}")
        return float(value)

    return check


_KEY = re.compile(r"[^\s,]+")


def _key_list(value: Any) -> str:
    """``"x"``, ``"x,ctrl+x"`` or ``["x", "ctrl+x"]`` -> Textual's ``"x,ctrl+x"``."""
    items = value if isinstance(value, list) else [value]
    keys: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f'must be a key such as "x" or "ctrl+x", not {_shown(item)}')
        for key in (part.strip() for part in item.split(",")):
            if not _KEY.fullmatch(key):
                raise ValueError(f'{_shown(item)} is not a key such as "x" or "ctrl+x"')
            keys.append(key)
    if not keys:
        raise ValueError("needs at least one key")
    return ",".join(keys)


def _shown(value: Any) -> str:
    """A value as the message quotes it (short, one line)."""
    text = repr(value) if not isinstance(value, bool) else str(value).lower()
    return text if len(text) <= 40 else text[:39] + "…"


SECTIONS: dict[str, dict[str, Check]] = {
    "view": {
        "sort": _choice(*SORTS),
        "split": _boolean,
        "fold": _boolean,
        "show_boring": _boolean,
        "remember": _boolean,
    },
    "fetch": {
        "concurrency": _integer(1, 256),
        "per_site": _integer(1, 64),
        "delay": _seconds(0, 3600),
        "allow_private": _allowed_private,
    },
}


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``diff.split = "x"`` written without quotes is a nested table in TOML: flatten it."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def parse_config(data: Mapping[str, Any], path: Path | None = None) -> Config:
    """Check a parsed TOML document and turn it into a ``Config``."""
    where = str(path) if path else "config"
    known = ("keys", *SECTIONS)
    values: dict[str, dict[str, Any]] = {}
    for section, table in data.items():
        if section not in known:
            names = ", ".join(f"[{k}]" for k in known)
            raise ConfigError(f"{where}: unknown section [{section}] (known: {names})")
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: {section} must be a section, [{section}]")
        if section == "keys":
            continue
        checks = SECTIONS[section]
        for key, value in table.items():
            if key not in checks:
                raise ConfigError(
                    f"{where}: [{section}] {key}: unknown setting (known: {', '.join(checks)})"
                )
            try:
                values.setdefault(section, {})[key] = checks[key](value)
            except ValueError as exc:
                raise ConfigError(f"{where}: [{section}] {key}: {exc}") from None
    keys: dict[str, str] = {}
    for binding_id, value in _flatten(data.get("keys", {})).items():
        try:
            keys[binding_id] = _key_list(value)
        except ValueError as exc:
            raise ConfigError(f"{where}: [keys] {binding_id}: {exc}") from None
    return Config(
        path=path,
        keys=keys,
        view=ViewSettings(**values.get("view", {})),
        fetch=FetchSettings(**values.get("fetch", {})),
    )


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read the config: ``path`` if given (it must exist), else the default file if present."""
    file = Path(path) if path is not None else default_config_path()
    if path is None and not file.exists():
        return Config()
    try:
        text = read_input_text(file, what="config file", max_bytes=CONFIG_MAX_BYTES)
    except InputError as exc:
        raise ConfigError(f"config file {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    return parse_config(data, file)


# ----- the remembered view ------------------------------------------------------------------


def initial_view(config: Config, remembered: ViewState | None) -> ViewSettings:
    """The view to start with: the config's, with the remembered split, fold and sort on top."""
    view = config.view
    if remembered is None or not view.remember:
        return view
    return ViewSettings(
        sort=remembered.sort,
        split=remembered.split,
        fold=remembered.fold,
        show_boring=view.show_boring,
        remember=True,
    )


def load_view_state(path: Path) -> ViewState | None:
    """The remembered view, or None when there is none or it cannot be read (never raises)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    state: dict[str, Any] = {}
    for f in fields(ViewState):
        value = data.get(f.name)
        check = SECTIONS["view"][f.name]
        try:
            state[f.name] = check(value)
        except ValueError:
            continue  # a value we did not write: keep the default for it
    return ViewState(**state)


def save_view_state(path: Path, state: ViewState) -> str | None:
    """Remember the view; returns why it could not be written (None when it was)."""
    try:
        atomic_write_json(path, asdict(state))
    except OSError as exc:
        return f"cannot remember the view in {path}: {exc.strerror or exc}"
    return None
