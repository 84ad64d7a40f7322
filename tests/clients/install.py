"""Install the pinned agent CLIs from npm into their version-keyed prefixes (idempotent).

    python3 -m tests.clients.install

Run by .ci/run before the tests. A failed install fails CI: the client tier never skips.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile

from .pins import PINS, Pin


def installed(pin: Pin) -> bool:
    if not pin.path.exists():
        return False
    with tempfile.TemporaryDirectory() as home:  # --version may write config into HOME
        found = subprocess.run(
            [str(pin.path), "--version"], capture_output=True, text=True, timeout=120,
            check=False, env={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home},
        )  # fmt: skip
    return found.returncode == 0 and pin.version in found.stdout


def install(pin: Pin) -> None:
    if installed(pin):
        print(f"{pin.package}@{pin.version}: cached in {pin.prefix}")
        return
    shutil.rmtree(pin.prefix, ignore_errors=True)
    pin.prefix.mkdir(parents=True)
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is not installed (apt-get install nodejs npm)")
    subprocess.run(
        [npm, "install", "--prefix", str(pin.prefix), "--no-audit", "--no-fund",
         "--loglevel=error", "--save-exact", f"{pin.package}@{pin.version}"],
        check=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    if not installed(pin):
        raise SystemExit(
            f"{pin.package}@{pin.version} installed but `{pin.binary} --version` fails"
        )
    print(f"{pin.package}@{pin.version}: installed in {pin.prefix}")


def main() -> int:
    for pin in PINS:
        install(pin)
    return 0


if __name__ == "__main__":
    sys.exit(main())
