# Sourced by the scripts that install system packages. They install only as root on a system
# with apt-get (Debian, Ubuntu); elsewhere they say in one line what to install.
# can_apt: whether we may install. apt_install PKG...: installs quietly, refreshing the package
# lists once when a package is not found in them (a fresh machine's lists may be empty or old).
# system-deps.sh keeps its own two lines of this: the Docker build copies it alone, before npm ci.
can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq "$@" >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null && apt-get install -y -qq "$@" >/dev/null; }
}
