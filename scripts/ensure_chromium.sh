#!/usr/bin/env bash
# Install Debian's headless-capable Chromium for the report's browser tests when it is absent.
# Idempotent and quiet: does nothing when chromium is already on PATH or when
# SIM2REAL_SKIP_BROWSER=1. Needs root (or sudo) and Debian/Ubuntu's apt-get.
set -euo pipefail

if [[ "${SIM2REAL_SKIP_BROWSER:-0}" == "1" ]]; then
    exit 0
fi
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure_chromium: no apt-get; install Chromium yourself or set SIM2REAL_SKIP_BROWSER=1" >&2
    exit 1
fi
SUDO=""
if [[ "$(id -u)" != "0" ]]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo -n"
    else
        echo "ensure_chromium: need root or sudo to apt-get install chromium" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
command -v chromium >/dev/null 2>&1
