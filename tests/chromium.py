"""Debian's chromium, as every browser test and benchmark launches it (never a downloaded
browser). The flags keep it from reaching out to the network, which this machine refuses."""

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
