#!/usr/bin/env bash
# Install the Debian 12 packages netwarden needs to build, test and benchmark.
# Idempotent: installs only what is missing. Run as root (or with sudo).
set -euo pipefail
pkgs=(build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
      libpcap-dev libssl-dev libzstd-dev libsodium-dev libcurl4-openssl-dev python3 tshark
      tcpdump libndpi-bin iproute2 valgrind clickhouse-server clickhouse-client
      libyaml-dev libssh-dev libmariadb-dev libpq-dev nmap openssl
      openssh-server vsftpd redis-server mariadb-server postgresql python3-cryptography
      libxml2-dev libcairo2-dev libpango1.0-dev fonts-wqy-microhei fonts-noto-cjk poppler-utils
      nginx-light logrotate tcpreplay)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#pkgs[@]} packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
# Servers are installed for the tests to start in their own namespaces;
# keep their packages from starting system-wide instances.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
