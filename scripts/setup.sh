# Sourced by scripts/gcgap and scripts/test: installs the Debian packages gcgap needs when
# they are missing (as root, or through sudo), and checks for a Swift toolchain.
# Packages: liblua5.4-dev (Lua 5.4), libreadline-dev (the REPL), libopenblas-dev (BLAS),
# pkg-config (to find them), tmux (the REPL tests drive a real terminal through it),
# slurm-wlm and munge (the tests run a sweep on a real one-node Slurm), python3 and
# python3-venv (the Jupyter kernel's venv, with ipykernel and nbclient from PyPI).

gcgap_need_packages() {
    local missing=()
    pkg-config --exists lua5.4 2>/dev/null || missing+=(liblua5.4-dev)
    pkg-config --exists readline 2>/dev/null || missing+=(libreadline-dev)
    pkg-config --exists openblas 2>/dev/null || missing+=(libopenblas-dev)
    command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
    if [ "${1:-}" = "--with-test-tools" ]; then
        command -v tmux >/dev/null 2>&1 || missing+=(tmux)
        # a real one-node Slurm for the sweep's tests (scripts/slurm/local-cluster starts it)
        [ -x /usr/sbin/slurmctld ] || missing+=(slurm-wlm)
        [ -x /usr/sbin/munged ] || missing+=(munge)
        # the Jupyter kernel's tests make a venv (gcgap --install-kernel) and run the notebooks
        command -v python3 >/dev/null 2>&1 || missing+=(python3)
        python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
    fi
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "gcgap: installing ${missing[*]}" >&2
    local sudo=""
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null 2>&1 || { echo "gcgap: please install as root: apt-get install ${missing[*]}" >&2; return 1; }
        sudo="sudo"
    fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq >/dev/null && $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

gcgap_need_swift() {
    command -v swift >/dev/null 2>&1 && return 0
    for d in /opt/swift/usr/bin /usr/share/swift/usr/bin; do
        [ -x "$d/swift" ] && { export PATH="$d:$PATH"; return 0; }
    done
    echo "gcgap: a Swift 6 toolchain is needed (https://swift.org/install)" >&2
    return 1
}
