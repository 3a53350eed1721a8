"""scripts/client-build.sh (`make client`, and the first step of `make run`): installs only when
the lock changed, builds only when the sources changed, and without Node.js says how to get it
and lets `make run` go on. npm and node are stand-ins here (they log their calls); the real build
is the client's own business."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = PROJECT_ROOT / "scripts" / "client-build.sh"
# What the script needs from the system, without node or npm.
TOOLS = (
    "bash",
    "env",
    "dirname",
    "cat",
    "sort",
    "xargs",
    "sha256sum",
    "cut",
    "find",
    "mkdir",
    "rm",
)

FAKE_NODE = """#!/bin/bash
if [ "$1" = "-p" ]; then echo "${FAKE_NODE_MAJOR:-20}"; else echo "v${FAKE_NODE_MAJOR:-20}.0.0"; fi
"""
FAKE_NPM = """#!/bin/bash
echo "npm $* PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=$PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD" >> "$NPM_LOG"
case "$1" in
  ci) rm -rf node_modules && mkdir -p node_modules/.bin ;;
  run) [ -n "$FAKE_BUILD_FAILS" ] && exit 3
       rm -rf dist && mkdir -p dist/assets && echo '<!doctype html>' > dist/index.html ;;
esac
"""


@dataclass
class Sandbox:
    client: Path
    bin_no_node: Path
    bin_with_node: Path
    npm_log: Path

    def run(self, *args: str, node: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
        path = f"{self.bin_with_node}:{self.bin_no_node}" if node else str(self.bin_no_node)
        environment = {"PATH": path, "CLIENT_DIR": str(self.client), "NPM_LOG": str(self.npm_log)}
        environment.update(env)
        return subprocess.run(
            ["bash", str(SCRIPT), *args],
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def npm_calls(self) -> list[str]:
        if not self.npm_log.exists():
            return []
        return [line.split(" PLAYWRIGHT")[0] for line in self.npm_log.read_text().splitlines()]


def _executable(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def sandbox(tmp_path: Path) -> Sandbox:
    client = tmp_path / "client"
    (client / "src").mkdir(parents=True)
    (client / "package.json").write_text('{"name": "c", "scripts": {"build": "vite build"}}')
    (client / "package-lock.json").write_text('{"lockfileVersion": 3}')
    (client / "index.html").write_text("<!doctype html>")
    (client / "vite.config.ts").write_text("export default {}")
    (client / "src" / "main.tsx").write_text("console.log(1)")
    bin_no_node = tmp_path / "bin"
    bin_no_node.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        assert found is not None, tool
        (bin_no_node / tool).symlink_to(found)
    bin_with_node = tmp_path / "node-bin"
    bin_with_node.mkdir()
    _executable(bin_with_node / "node", FAKE_NODE)
    _executable(bin_with_node / "npm", FAKE_NPM)
    return Sandbox(client, bin_no_node, bin_with_node, tmp_path / "npm.log")


def test_without_node_it_says_how_to_get_it_and_succeeds(tmp_path: Path) -> None:
    box = sandbox(tmp_path)
    result = box.run(node=False)
    assert result.returncode == 0, result.stderr
    assert "node and npm were not found" in result.stderr
    assert "Node.js 20" in result.stderr and "nodejs.org" in result.stderr
    assert box.npm_calls() == []
    assert not (box.client / "dist").exists()


def test_too_old_a_node_is_explained(tmp_path: Path) -> None:
    box = sandbox(tmp_path)
    result = box.run(FAKE_NODE_MAJOR="18")
    assert result.returncode == 0, result.stderr
    assert "too old" in result.stderr and "Node.js 20" in result.stderr
    assert box.npm_calls() == []


def test_installs_and_builds_once_then_only_what_changed(tmp_path: Path) -> None:
    box = sandbox(tmp_path)
    first = box.run()
    assert first.returncode == 0, first.stderr
    assert box.npm_calls() == ["npm ci --no-audit --no-fund", "npm run build"]
    assert "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1" in box.npm_log.read_text()
    assert (box.client / "dist" / "index.html").is_file()

    # A second start: nothing to do.
    second = box.run()
    assert second.returncode == 0, second.stderr
    assert len(box.npm_calls()) == 2, box.npm_calls()
    assert "up to date" in second.stderr

    # A source change: a build, no install.
    (box.client / "src" / "main.tsx").write_text("console.log(2)")
    box.run()
    assert box.npm_calls()[2:] == ["npm run build"]

    # A new source file counts too; so does a config file.
    (box.client / "src" / "extra.ts").write_text("export {}")
    box.run()
    (box.client / "vite.config.ts").write_text("export default { base: '/' }")
    box.run()
    assert box.npm_calls()[3:] == ["npm run build", "npm run build"]

    # The lock changed: install and build.
    (box.client / "package-lock.json").write_text('{"lockfileVersion": 3, "x": 1}')
    box.run()
    assert box.npm_calls()[5:] == ["npm ci --no-audit --no-fund", "npm run build"]

    # A deleted dist is rebuilt; node_modules and dist contents are not inputs.
    shutil.rmtree(box.client / "dist")
    box.run()
    assert box.npm_calls()[7:] == ["npm run build"]
    box.run()
    assert len(box.npm_calls()) == 8


def test_a_failed_build_stops_make_client_but_not_make_run(tmp_path: Path) -> None:
    box = sandbox(tmp_path)
    strict = box.run(FAKE_BUILD_FAILS="1")
    assert strict.returncode != 0
    assert "npm run build failed" in strict.stderr
    lenient = box.run("--keep-going", FAKE_BUILD_FAILS="1")
    assert lenient.returncode == 0, lenient.stderr
    assert "continuing without" in lenient.stderr
    # Not marked as built: the next run tries again.
    box.run()
    assert box.npm_calls()[-1] == "npm run build"
    assert (box.client / "dist" / "index.html").is_file()


def test_no_client_folder_is_fine(tmp_path: Path) -> None:
    box = sandbox(tmp_path)
    shutil.rmtree(box.client)
    result = box.run()
    assert result.returncode == 0 and "no web client" in result.stderr


def test_the_makefile_uses_the_script() -> None:
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    assert "scripts/client-build.sh --keep-going" in makefile
    assert os.access(SCRIPT, os.X_OK)
