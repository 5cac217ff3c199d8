"""The distribution (issue 22): a built wheel holds the library, the configs and the launch
scripts, and its console scripts train from any directory with a packaged config's name."""

import configparser
import glob
import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from experiments.common import config_path, packaged_configs

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def console_scripts() -> dict[str, str]:
    cfg = configparser.ConfigParser()
    cfg.read(os.path.join(ROOT, "setup.cfg"))
    lines = cfg["options.entry_points"]["console_scripts"].strip().splitlines()
    return dict(tuple(part.strip() for part in line.split("=")) for line in lines)


def test_every_launch_script_has_a_console_script():
    mains = {
        os.path.basename(f).removesuffix(".py")
        for f in glob.glob(os.path.join(ROOT, "experiments", "*.py"))
        if open(f).read().count('if __name__ == "__main__":')
    }
    scripts = console_scripts()
    assert {
        target.split(":")[0].removeprefix("experiments.") for target in scripts.values()
    } == mains
    for name, target in scripts.items():
        module, _, func = target.partition(":")
        assert name == "genjax-" + module.removeprefix("experiments.").replace("_", "-")
        assert func == "cli"


def test_packaged_config_names_resolve():
    configs = packaged_configs()
    assert {"vae", "gan", "diffusion", "vdm", "translation"} <= set(configs)
    assert "common" not in configs and "__init__" not in configs
    for spec in ("vae", "vae.py", "configs/vae.py"):
        assert os.path.samefile(config_path(spec), os.path.join(ROOT, "configs", "vae.py"))
    assert config_path("nope") == "nope"  # left for the one-line error
    assert config_path("elsewhere/vae.py") == "elsewhere/vae.py"  # a user's folder is theirs


@pytest.mark.slow
def test_wheel_installs_and_its_console_script_trains(tmp_path):
    wheels, site, work = tmp_path / "wheels", tmp_path / "site", tmp_path / "work"
    work.mkdir()
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    # Built from a copy of the tree's files (tracked, or new and not ignored): setuptools
    # builds in the source folder, and a build/ left in the clone could carry stale modules.
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    source = tmp_path / "source"
    for name in listed.stdout.splitlines():
        if os.path.isfile(os.path.join(ROOT, name)):
            os.makedirs(source / os.path.dirname(name), exist_ok=True)
            shutil.copy2(os.path.join(ROOT, name), source / name)
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(wheels), str(source)], check=True)
    (wheel,) = glob.glob(str(wheels / "*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("configs", "experiments"):
        for f in glob.glob(os.path.join(ROOT, folder, "*.py")):
            assert f"{folder}/{os.path.basename(f)}" in names
    assert "genjax/py.typed" in names
    assert any(n.endswith("licenses/LICENSE") for n in names)
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), wheel], check=True)

    # From a directory with no configs/ in it, the wheel's own modules (PYTHONPATH comes first).
    env = {**os.environ, "PYTHONPATH": str(site)}
    where = subprocess.run(
        [sys.executable, "-c", "import configs, experiments; print(configs.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.startswith(str(site))
    run = subprocess.run(
        [
            str(site / "bin" / "genjax-train"),
            "--config=vae",
            f"--workdir={work / 'run'}",
            "--config.train.steps=40",
            "--config.train.log_every=20",
            "--config.eval.nll_samples=10",
            "--config.eval.nll_chunk=10",
            "--config.eval.suite.enabled=false",
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    summary = json.load(open(work / "run" / "summary.json"))
    assert summary["steps"] == 40 and os.path.isfile(work / "run" / "samples.png")
    bad = subprocess.run(
        [str(site / "bin" / "genjax-train"), "--config=vea", f"--workdir={work / 'bad'}"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 1
    assert "error: config vea not found; packaged configs: augment, autoregressive, dbn" in bad.stderr
