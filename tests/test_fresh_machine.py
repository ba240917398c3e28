"""README's main command on a fresh machine: a clean copy of the repository, an empty HOME,
no Hugging Face hub, the model fetched from a (local) mirror, terms.xlsx built."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

from fakemirror import MODEL_ID, build_mirror

from glossary import modelstore, store

ROOT = Path(__file__).resolve().parent.parent


def readme_command(marker: str) -> str:
    """The command README.md shows between <!-- marker --> and <!-- /marker -->."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(rf"<!-- {marker} -->\s*```\w*\n(.*?)```\s*<!-- /{marker} -->", text, re.S)
    assert block, f"README.md has no {marker} block"
    return block.group(1).strip()


def fresh_copy(dest: Path) -> Path:
    """The repository's files as a clone has them (tracked and not ignored), nothing else."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode("utf-8").split("\0")  # fmt: skip
    for name in filter(None, listed):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            (dest / name).write_bytes(src.read_bytes())
            (dest / name).chmod(src.stat().st_mode)
    return dest


def current_venv(clone: Path) -> None:
    """A .venv that .ci/install takes as current: this interpreter's packages and the clone's
    code (installing torch again would take minutes and the network)."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(clone / ".venv")], check=True
    )
    purelib = Path(
        sysconfig.get_path(
            "purelib", vars={"base": str(clone / ".venv"), "platbase": str(clone / ".venv")}
        )
    )
    (purelib / "glossary-dev.pth").write_text(
        f"{clone}\n{sysconfig.get_path('purelib')}\n", encoding="utf-8"
    )
    script = clone / ".venv" / "bin" / "glossary"
    script.write_text(
        f"#!{clone / '.venv' / 'bin' / 'python'}\nfrom glossary.cli import main\nmain()\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    stamp = subprocess.run(
        "cat pyproject.toml .ci/install | sha256sum | cut -d' ' -f1",
        shell=True, cwd=clone, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    (clone / ".venv" / ".installed").write_text(stamp + "\n", encoding="utf-8")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_readme_main_command_builds_terms_xlsx_on_a_fresh_machine(tmp_path, tiny_model):
    clone = fresh_copy(tmp_path / "clone")
    current_venv(clone)
    wheels, registry = build_mirror(Path(tiny_model), tmp_path / "mirror")
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GLOSSARY_", "HF_"))}
    env.update(
        HOME=str(home),
        HF_ENDPOINT=f"http://127.0.0.1:{closed_port()}",  # the hub does not answer
        GLOSSARY_MODEL_REGISTRY=str(registry),
        GLOSSARY_MODEL_MIRROR=str(wheels),
        OMP_NUM_THREADS="1",
    )
    command = readme_command("main-command")
    began = time.perf_counter()
    proc = subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=clone, env=env,
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    seconds = time.perf_counter() - began
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr and "Retrying" not in proc.stderr
    assert "Gemma Terms of Use" in proc.stderr and "not reachable" in proc.stderr
    cached = home / ".cache" / "glossary" / "models" / modelstore.slug(MODEL_ID)
    assert (cached / "modules.json").is_file()
    about = store.load(clone / "terms.xlsx").about
    assert about["model"] == MODEL_ID
    assert about["model_fingerprint"] == modelstore.fingerprint(Path(tiny_model))
    assert str(tmp_path) not in " ".join(about.values())  # no path of this disk
    assert f"confidence is not calibrated for {MODEL_ID}" in proc.stdout
    print(f"main command on a fresh machine: {seconds:.1f} s")
