"""
The one venv helper of the golden scripts: makes (once) a venv under $BRAISE_HOME/.braise/tools/<name>
(default ./.braise/tools, never system-wide), installs packages there, and runs the calling script again
inside it. Usage, before the script's heavy imports:

    from tools_venv import ensure_venv
    ensure_venv("torch-venv", modules=["torch"], installs=[["torch"]])
"""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def ensure_venv(name, modules, installs):
    """Returns when every module in `modules` imports; otherwise re-executes the caller in the venv `name`, made with `installs` (pip argument lists)."""
    if all(importlib.util.find_spec(m) is not None for m in modules):
        return
    venv = Path(os.environ.get("BRAISE_HOME", ROOT)) / ".braise" / "tools" / name
    py = venv / "bin" / "python"
    if Path(sys.prefix).resolve() == venv.resolve():
        raise SystemExit(f"{name}: installed, but {', '.join(modules)} still do not import")
    if not py.exists():
        subprocess.check_call([sys.executable, "-m", "venv", str(venv)])
    for args in installs:
        subprocess.check_call([str(py), "-m", "pip", "install", "-q", *args])
    script = Path(sys.argv[0]).resolve()
    os.execv(str(py), [str(py), str(script), *sys.argv[1:]])
