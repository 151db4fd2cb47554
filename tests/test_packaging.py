"""The wheel: it carries the migrations and the seed data, and an installed copy works anywhere.

The wheel is built from this checkout without network (pip, hatchling from this environment), and
installed (not editable) into a folder of its own. The commands then run in a subprocess from an
unrelated folder with that folder first on PYTHONPATH, ahead of the editable install; the
dependencies come from this environment.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Where the wheel puts the repository's top-level folders (pyproject.toml, force-include).
SHIPPED = {"migrations": "provenance/_migrations", "seeds": "provenance/_seeds"}
TIMEOUT = 300


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVENANCE_")}
    env.update(
        PIP_NO_INDEX="1",  # no network
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONNOUSERSITE="1",
    )
    env.update(extra)
    return env


def _run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        args, cwd=cwd, env=_env(**env), capture_output=True, text=True, timeout=TIMEOUT
    )
    assert result.returncode == 0, (
        f"{args} exited with {result.returncode}\n"
        f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if importlib.util.find_spec("hatchling") is None:
        pytest.skip(
            "building the wheel offline needs hatchling in this environment: "
            "pip install -e '.[test]'"
        )
    out = tmp_path_factory.mktemp("wheel")
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    _run([*pip_wheel, "-w", str(out), str(ROOT)], cwd=out)
    [built] = out.glob("provenance-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the installed wheel (pip install --target)."""
    target = tmp_path_factory.mktemp("site")
    _run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target), str(wheel)],
        cwd=target,
    )
    return target


def _wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as zf:
        return set(zf.namelist())


def _shipped_files() -> dict[str, Path]:
    """Wheel path -> checkout file, for every file of migrations/ and seeds/."""
    out: dict[str, Path] = {}
    for top, inside in SHIPPED.items():
        for path in sorted((ROOT / top).rglob("*")):
            relative = path.relative_to(ROOT / top)
            if path.is_file() and "__pycache__" not in relative.parts:
                out[f"{inside}/{relative.as_posix()}"] = path
    return out


def test_wheel_carries_migrations_and_seeds(wheel: Path) -> None:
    names = _wheel_names(wheel)
    revisions = sorted(p.name for p in (ROOT / "migrations" / "versions").glob("*.py"))
    assert revisions
    expected = {
        "provenance/_migrations/env.py",
        "provenance/_migrations/script.py.mako",
        *(f"provenance/_migrations/versions/{name}" for name in revisions),
        "provenance/_seeds/reference.yaml",
        "provenance/_seeds/country_aliases.yaml",
        "provenance/_seeds/findings/kn23.csv",
    }
    assert expected <= names, sorted(expected - names)


def test_wheel_files_equal_the_checkout(wheel: Path) -> None:
    shipped = _shipped_files()
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        missing = sorted(set(shipped) - names)
        assert missing == []
        differ = [name for name, path in shipped.items() if zf.read(name) != path.read_bytes()]
    assert differ == []


def test_wheel_has_no_bytecode_and_nothing_outside_the_package(wheel: Path) -> None:
    names = _wheel_names(wheel)
    assert [n for n in names if "__pycache__" in n or n.endswith(".pyc")] == []
    version = wheel.name.split("-")[1]
    assert {n.split("/", 1)[0] for n in names} == {"provenance", f"provenance-{version}.dist-info"}


def test_wheel_declares_the_console_script(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        [entry_points] = [n for n in zf.namelist() if n.endswith(".dist-info/entry_points.txt")]
        text = zf.read(entry_points).decode()
    assert "[console_scripts]" in text
    assert "provenance = provenance.cli.main:main" in text


_WHERE = """
import json, provenance
from provenance import resources
print(json.dumps({
    "package": provenance.__file__,
    "migrations": str(resources.migrations_path()),
    "seeds": str(resources.seeds_path()),
}))
"""


def test_installed_wheel_finds_its_migrations_and_seeds(installed: Path, tmp_path: Path) -> None:
    result = _run([sys.executable, "-c", _WHERE], cwd=tmp_path, PYTHONPATH=str(installed))
    where = {k: Path(v).resolve() for k, v in json.loads(result.stdout).items()}
    site = installed.resolve()
    assert where["package"].is_relative_to(site), "the editable install was imported instead"
    assert where["migrations"] == site / "provenance" / "_migrations"
    assert where["seeds"] == site / "provenance" / "_seeds"
    assert (where["migrations"] / "env.py").is_file()
    assert (where["seeds"] / "reference.yaml").is_file()


_MAIN = "from provenance.cli.main import main; main()"


def test_installed_wheel_init_seed_report_from_any_folder(installed: Path, tmp_path: Path) -> None:
    python = [sys.executable, "-c", _MAIN]
    pythonpath = str(installed)

    init = _run([*python, "init", "--db", "sqlite:///x.db"], cwd=tmp_path, PYTHONPATH=pythonpath)
    assert "schema at revision" in init.stdout
    assert (tmp_path / "x.db").is_file()

    env = {"PYTHONPATH": pythonpath, "PROVENANCE_DATABASE_URL": "sqlite:///x.db"}
    seed = _run([*python, "seed"], cwd=tmp_path, **env)
    assert "kn23.csv" in seed.stdout
    assert "components:" in seed.stdout

    report = _run([*python, "report", "foreign-parts", "--weapon", "KN-23"], cwd=tmp_path, **env)
    assert "KN-23" in report.stdout
    assert "foreign" in report.stdout

    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.db"]  # nothing else written here
    assert not list(installed.rglob("*.db"))


def test_installed_console_script_runs(installed: Path, tmp_path: Path) -> None:
    script = installed / "bin" / "provenance"
    if not script.is_file():
        pytest.skip(f"pip put no console script in {installed / 'bin'}")
    result = _run(
        [sys.executable, str(script), "--version"], cwd=tmp_path, PYTHONPATH=str(installed)
    )
    assert "provenance" in result.stdout
