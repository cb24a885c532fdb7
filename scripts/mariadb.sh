#!/usr/bin/env bash
# Makes a MariaDB server answer on 127.0.0.1:3306 as root with an empty password, installing
# and starting it when the machine has none. Idempotent; used by scripts/run, scripts/test
# and .ci/run. Development and CI only: production points DATABASE_URL at its own MySQL 8.
set -euo pipefail

tcp_ok() { mariadb -uroot -h127.0.0.1 -P3306 -e 'SELECT 1' >/dev/null 2>&1; }

if ! command -v mariadbd >/dev/null 2>&1 && [ ! -x /usr/sbin/mariadbd ]; then
  echo "installing mariadb-server" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq mariadb-server >/dev/null
fi

if ! mariadb-admin ping --silent >/dev/null 2>&1; then
  echo "starting mariadbd" >&2
  mkdir -p /run/mysqld
  chown mysql:mysql /run/mysqld 2>/dev/null || true
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  for _ in $(seq 1 60); do
    mariadb-admin ping --silent >/dev/null 2>&1 && break
    sleep 0.5
  done
fi

if ! tcp_ok; then
  # A fresh Debian MariaDB lets root in over the unix socket only.
  mariadb -uroot -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('') OR unix_socket; FLUSH PRIVILEGES;"
fi
tcp_ok || { echo "MariaDB does not accept root over TCP on 127.0.0.1:3306" >&2; exit 1; }
mariadb -uroot -h127.0.0.1 -e 'CREATE DATABASE IF NOT EXISTS test'
