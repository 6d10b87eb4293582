#!/usr/bin/env bash
# inspect_net.sh NETWARDEN SRCDIR - `netwarden inspect` against real servers
# in two network namespaces this test creates (issue 4, "What it must show" 1).
#
#   10.88.0.2 (weak)      OpenSSH: account 'test' with a dictionary password
#                         vsftpd: anonymous login
#                         Redis: no password
#                         MariaDB: account 'admin' with password 'admin'
#                         PostgreSQL: superuser 'postgres' with password 'postgres'
#                         HTTP Basic on /: admin/admin
#                         a telnet-like login prompt on 23
#                         TLS on 443 with an expired certificate
#   10.88.0.3 (hardened)  the same servers with strong secrets, no anonymous
#                         FTP, no telnet, a valid certificate.
#
# Then `inspect --targets 10.88.0.2,10.88.0.3 --scope F --profile baseline`
# must report exactly tests/e2e/inspect_net.expected (host + check id of
# every failed check) and no errors; a diff is printed otherwise.
#
# Everything lives in a temp dir: configs, data, host keys, certificates.
# No account is added to the machine: sshd runs in a private mount
# namespace where copies of /etc/passwd and /etc/shadow (every password
# locked, plus the test account) are bind-mounted over the real ones. The
# namespaces (and with them every server and veth) are deleted at exit.
# Needs root; skips with a note otherwise. Traffic goes only to the two
# namespace hosts. Env: KEEP=1 leaves the servers up (prints how to clean).
set -uo pipefail
NW=$(realpath "$1")
SRC=$(realpath "$2")
EXPECTED=$SRC/tests/e2e/inspect_net.expected

if [ "$(id -u)" != 0 ]; then
    echo "SKIP: inspect_net needs root (network namespaces, servers on port 22/21/23)"
    exit 0
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
missing=
for b in ip unshare runuser openssl python3 /usr/sbin/sshd /usr/sbin/vsftpd redis-server \
         mariadb-install-db mariadbd mariadb "$PGBIN/initdb" "$PGBIN/postgres"; do
    command -v "$b" >/dev/null 2>&1 || missing="$missing $b"
done
python3 -c 'import cryptography' 2>/dev/null || missing="$missing python3-cryptography"
if [ -n "$missing" ]; then
    echo "SKIP: inspect_net needs$missing (scripts/deps.sh installs them)"
    exit 0
fi

if ! "$NW" inspect --help >/dev/null 2>&1; then
    echo "SKIP: this netwarden has no inspect command yet"
    exit 0
fi

# One run at a time: the addresses are fixed.
exec 9>/tmp/netwarden-inspect-net.lock
flock -w 300 9 || { echo "FAIL: another inspect_net run holds the lock"; exit 1; }
if ip -o addr show | grep -q " 10\.88\.0\."; then
    echo "FAIL: 10.88.0.0/24 is already configured on this machine; refusing to touch it"
    exit 1
fi

T=$(mktemp -d /tmp/nw_e2e_inet.XXXXXX)
chmod 755 "$T"
ID=$$
NSW=nwi-w-$ID
NSH=nwi-h-$ID
VW=nwiw$ID
VH=nwih$ID
START=$(date +%s)

cleanup() {
    local ns
    if [ "${KEEP:-0}" = 1 ]; then
        echo "KEEP=1: servers left running. Clean up with:"
        echo "  for n in $NSW $NSH; do ip netns pids \$n | xargs -r kill -9; ip netns del \$n; done; rm -rf $T"
        return
    fi
    for ns in "$NSW" "$NSH"; do
        if ip netns list | grep -qw "$ns"; then
            # only processes inside our own namespaces: the servers this test started
            ip netns pids "$ns" | xargs -r kill 2>/dev/null
        fi
    done
    sleep 1
    for ns in "$NSW" "$NSH"; do
        if ip netns list | grep -qw "$ns"; then
            ip netns pids "$ns" | xargs -r kill -9 2>/dev/null
            ip netns del "$ns"
        fi
    done
    ip link del "$VW" 2>/dev/null
    ip link del "$VH" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }

# ------------------------------------------------------------------ network --
setup_ns() { # ns veth addr
    ip netns add "$1" || fail "ip netns add $1"
    ip link add "$2" type veth peer name eth0 netns "$1" || fail "veth $2"
    ip addr add 10.88.0.1/32 dev "$2"
    ip link set "$2" up
    ip route add "$3/32" dev "$2"
    ip -n "$1" addr add "$3/24" dev eth0
    ip -n "$1" link set eth0 up
    ip -n "$1" link set lo up
}
setup_ns "$NSW" "$VW" 10.88.0.2
setup_ns "$NSH" "$VH" 10.88.0.3

# ----------------------------------------------------------------- secrets --
STRONG=$(openssl rand -base64 24 | tr -d '/+=\n')
[ ${#STRONG} -ge 20 ] || fail "could not make a strong password"
mkdir -p "$T/w" "$T/h"

# --------------------------------------------------------------- accounts --
# Copies of passwd/shadow with every password locked, plus 'test'.
make_accounts() { # dir password
    grep -v '^test:' /etc/passwd > "$1/passwd"
    echo "test:x:64999:64999:netwarden test:/nonexistent:/bin/sh" >> "$1/passwd"
    awk -F: 'BEGIN{OFS=":"} $1!="test" {$2="!*"; print}' /etc/shadow > "$1/shadow"
    echo "test:$(openssl passwd -6 "$2"):19000:0:99999:7:::" >> "$1/shadow"
    chmod 644 "$1/passwd"; chmod 640 "$1/shadow"
}
make_accounts "$T/w" 123456
make_accounts "$T/h" "$STRONG"

# -------------------------------------------------------------------- sshd --
start_sshd() { # ns dir addr
    ssh-keygen -q -t ed25519 -N '' -f "$2/hostkey" || fail "ssh-keygen"
    cat > "$2/sshd_config" <<EOF
ListenAddress $3
Port 22
HostKey $2/hostkey
PidFile $2/sshd.pid
UsePAM no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PermitRootLogin no
PermitEmptyPasswords no
AuthorizedKeysFile none
StrictModes no
UseDNS no
MaxStartups 200
MaxAuthTries 6
LoginGraceTime 30
EOF
    ip netns exec "$1" unshare -m --propagation private sh -c "
        mount --bind '$2/passwd' /etc/passwd &&
        mount --bind '$2/shadow' /etc/shadow &&
        mount -t tmpfs -o mode=755 tmpfs /run && mkdir -m 755 /run/sshd &&
        exec /usr/sbin/sshd -D -e -f '$2/sshd_config'" >"$2/sshd.log" 2>&1 &
}

# ------------------------------------------------------------------ vsftpd --
start_ftp() { # ns dir addr anonymous
    mkdir -p "$2/ftproot" "$2/ftpempty"
    echo "readme" > "$2/ftproot/README"
    chmod 755 "$2/ftproot" "$2/ftpempty"
    : > "$2/ftpusers.allow"
    cat > "$2/vsftpd.conf" <<EOF
listen=YES
listen_ipv6=NO
listen_address=$3
background=NO
anonymous_enable=$4
anon_root=$2/ftproot
no_anon_password=NO
write_enable=NO
secure_chroot_dir=$2/ftpempty
nopriv_user=nobody
ftp_username=ftp
xferlog_enable=NO
vsftpd_log_file=$2/vsftpd.log
seccomp_sandbox=NO
delay_failed_login=0
EOF
    if [ "$4" = YES ]; then
        echo "local_enable=NO" >> "$2/vsftpd.conf"
    else
        # local logins only for users on an empty allow list: every USER is refused
        printf 'local_enable=YES\nuserlist_enable=YES\nuserlist_deny=NO\nuserlist_file=%s\npam_service_name=vsftpd\n' \
            "$2/ftpusers.allow" >> "$2/vsftpd.conf"
    fi
    ip netns exec "$1" /usr/sbin/vsftpd "$2/vsftpd.conf" >"$2/vsftpd.out" 2>&1 &
}

# ------------------------------------------------------------------- redis --
start_redis() { # ns dir addr [password]
    local auth=()
    [ -n "${4:-}" ] && auth=(--requirepass "$4")
    ip netns exec "$1" redis-server --port 6379 --bind "$3" --protected-mode no --save '' \
        --appendonly no --dir "$2" --daemonize no --logfile "$2/redis.log" "${auth[@]}" \
        >/dev/null 2>&1 &
}

# ----------------------------------------------------------------- mariadb --
start_mariadb() { # ns dir addr password-of-admin
    # a private tmpdir: two bootstraps at once in the shared /tmp collided on
    # MariaDB's "#sql-temptable-*" files and failed now and then
    mkdir -p "$2/my" "$2/myrun" "$2/mytmp"
    chown mysql: "$2/my" "$2/myrun" "$2/mytmp"
    mariadb-install-db --no-defaults --datadir="$2/my" --user=mysql --skip-test-db \
        --auth-root-authentication-method=socket --tmpdir="$2/mytmp" >"$2/my-install.log" 2>&1 ||
        { cat "$2/my-install.log"; fail "mariadb-install-db"; }
    ip netns exec "$1" runuser -u mysql -- mariadbd --no-defaults --datadir="$2/my" \
        --socket="$2/myrun/my.sock" --pid-file="$2/myrun/my.pid" --bind-address="$3" --port=3306 \
        --skip-name-resolve --log-error="$2/myrun/my.err" --innodb-buffer-pool-size=16M \
        --tmpdir="$2/mytmp" --skip-log-bin >/dev/null 2>&1 &
}
mariadb_account() { # dir password
    local i
    for i in $(seq 1 100); do [ -S "$1/myrun/my.sock" ] && break; sleep 0.2; done
    mariadb --no-defaults -S "$1/myrun/my.sock" -u root -e \
        "CREATE USER 'admin'@'%' IDENTIFIED BY '$2'; DROP USER IF EXISTS ''@'localhost';" \
        2>>"$1/my-account.err" || fail "mariadb: cannot create the test account: $(cat "$1/my-account.err")"
}

# -------------------------------------------------------------- postgresql --
start_pg() { # ns dir addr password
    mkdir -p "$2/pg" "$2/pgsock"
    printf '%s\n' "$4" > "$2/pgpw"
    chown -R postgres: "$2/pg" "$2/pgpw" "$2/pgsock"
    runuser -u postgres -- "$PGBIN/initdb" -D "$2/pg" -U postgres -A scram-sha-256 \
        --pwfile="$2/pgpw" >"$2/pg-init.log" 2>&1 || { cat "$2/pg-init.log"; fail "initdb"; }
    echo "host all all 0.0.0.0/0 scram-sha-256" >> "$2/pg/pg_hba.conf"
    ip netns exec "$1" runuser -u postgres -- "$PGBIN/postgres" -D "$2/pg" -h "$3" -p 5432 \
        -k "$2/pgsock" -c shared_buffers=16MB >"$2/pg.log" 2>&1 &
}

# ------------------------------------------------------ HTTP Basic, telnet --
start_http() { # ns dir addr password
    printf '%s' "$4" > "$2/httppw"
    ip netns exec "$1" python3 - "$3" "$2/httppw" >"$2/http.log" 2>&1 <<'EOF' &
import base64, http.server, sys
addr, pw = sys.argv[1], open(sys.argv[2]).read()
good = "Basic " + base64.b64encode(("admin:" + pw).encode()).decode()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.headers.get("Authorization") == good:
            self.send_response(200); self.send_header("Content-Length", "3"); self.end_headers()
            self.wfile.write(b"ok\n")
        else:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="admin"')
            self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer((addr, 80), H).serve_forever()
EOF
}
start_telnetish() { # ns dir addr
    ip netns exec "$1" python3 - "$3" >"$2/telnet.log" 2>&1 <<'EOF' &
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 23)); s.listen(64)
def serve(c):
    try:
        c.settimeout(3)
        c.sendall(b"\xff\xfd\x18\xff\xfd\x20Debian GNU/Linux 12\r\nweak login: ")
        c.recv(256)
    except OSError:
        pass
    c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
}

# ---------------------------------------------------------------------- TLS --
python3 - "$T" <<'EOF' || fail "certificate generation (python3-cryptography)"
import datetime as dt, ipaddress, sys
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
d = sys.argv[1]
now = dt.datetime.now(dt.timezone.utc)
def name(cn): return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
def save(path, key, cert):
    open(path + ".key", "wb").write(key.private_bytes(serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    open(path + ".crt", "wb").write(cert.public_bytes(serialization.Encoding.PEM))
cak = ec.generate_private_key(ec.SECP256R1())
ca = (x509.CertificateBuilder().subject_name(name("netwarden test CA")).issuer_name(name("netwarden test CA"))
      .public_key(cak.public_key()).serial_number(1).not_valid_before(now - dt.timedelta(days=3650))
      .not_valid_after(now + dt.timedelta(days=3650))
      .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(cak, hashes.SHA256()))
save(d + "/ca", cak, ca)
for who, ip, nb, na in (("w", "10.88.0.2", now - dt.timedelta(days=800), now - dt.timedelta(days=435)),
                        ("h", "10.88.0.3", now - dt.timedelta(days=1), now + dt.timedelta(days=365))):
    k = ec.generate_private_key(ec.SECP256R1())
    c = (x509.CertificateBuilder().subject_name(name(ip)).issuer_name(ca.subject).public_key(k.public_key())
         .serial_number(x509.random_serial_number()).not_valid_before(nb).not_valid_after(na)
         .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), critical=False)
         .sign(cak, hashes.SHA256()))
    save(d + "/" + who + "/tls", k, c)
EOF
start_tls() { # ns dir addr
    ip netns exec "$1" openssl s_server -quiet -accept "$3:443" -cert "$2/tls.crt" \
        -key "$2/tls.key" -chainCAfile "$T/ca.crt" -min_protocol TLSv1.2 -www \
        >"$2/tls.log" 2>&1 </dev/null &
}

# ------------------------------------------------------------------ start --
start_mariadb "$NSW" "$T/w" 10.88.0.2 &
start_mariadb "$NSH" "$T/h" 10.88.0.3 &
start_pg "$NSW" "$T/w" 10.88.0.2 postgres &
start_pg "$NSH" "$T/h" 10.88.0.3 "$STRONG" &
start_sshd "$NSW" "$T/w" 10.88.0.2
start_sshd "$NSH" "$T/h" 10.88.0.3
start_ftp "$NSW" "$T/w" 10.88.0.2 YES
start_ftp "$NSH" "$T/h" 10.88.0.3 NO
start_redis "$NSW" "$T/w" 10.88.0.2
start_redis "$NSH" "$T/h" 10.88.0.3 "$STRONG"
start_http "$NSW" "$T/w" 10.88.0.2 admin
start_http "$NSH" "$T/h" 10.88.0.3 "$STRONG"
start_telnetish "$NSW" "$T/w" 10.88.0.2
start_tls "$NSW" "$T/w" 10.88.0.2
start_tls "$NSH" "$T/h" 10.88.0.3
wait_port() { # addr port what
    local i
    for i in $(seq 1 150); do
        timeout 1 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null && return 0
        sleep 0.2
    done
    fail "$3 on $1:$2 did not start (logs in $T)"
}
for a in 10.88.0.2 10.88.0.3; do
    wait_port $a 22 sshd; wait_port $a 21 vsftpd; wait_port $a 6379 redis
    wait_port $a 80 http; wait_port $a 443 tls; wait_port $a 3306 mariadb
    wait_port $a 5432 postgresql
done
wait_port 10.88.0.2 23 telnet-like
mariadb_account "$T/w" admin
mariadb_account "$T/h" "$STRONG"
echo "servers up in $(( $(date +%s) - START )) s"

# -------------------------------------------------------------------- run --
printf '10.88.0.2/32\n10.88.0.3/32\n' > "$T/scope"
# a short pause between attempts keeps the test fast; the limits stay the defaults
cat > "$T/netwarden.conf" <<EOF
[inspect]
dict_dir = $SRC/data/dict
attempt_delay_ms = 20
EOF
RUN0=$(date +%s)
"$NW" inspect --config "$T/netwarden.conf" --targets 10.88.0.2,10.88.0.3 --scope "$T/scope" \
    --profile baseline --checks "${NW_CHECKS_DIR:-$SRC/checks}" --data-dir "$T/state" --ports 1-10000 \
    --out "$T/results.json" >"$T/inspect.out" 2>"$T/inspect.err"
RC=$?
RUNS=$(( $(date +%s) - RUN0 ))
echo "inspect exit $RC in $RUNS s"
if [ ! -s "$T/results.json" ]; then
    cat "$T/inspect.err" >&2
    fail "inspect wrote no results (exit $RC)"
fi
python3 - "$T/results.json" "$EXPECTED" "$T/w" "$T/h" <<'EOF'
import json, sys
res = json.load(open(sys.argv[1]))
rows = res.get("results") or res.get("checks") or []
got, errors, secrets = set(), [], []
for r in rows:
    if r.get("mode") != "network":
        continue
    tgt = r.get("target") or ""
    if r.get("verdict") == "fail":
        got.add(f"{tgt} {r['id']}")
    elif r.get("verdict") == "error":
        errors.append(f"{tgt} {r['id']}: {r.get('evidence') or r.get('reason') or ''}")
text = open(sys.argv[1]).read()
want = set(" ".join(l.split("#")[0].split()) for l in open(sys.argv[2]) if l.split("#")[0].strip())
ok = True
for line in sorted(want - got):
    print(f"MISSING  {line}"); ok = False
for line in sorted(got - want):
    print(f"EXTRA    {line}"); ok = False
for e in errors:
    print(f"ERROR    {e}"); ok = False
byid = {(r.get("target"), r["id"]): r for r in rows}
for line in sorted(got & want):
    t, i = line.split(" ", 1)
    print(f"ok       {line}: {byid[(t, i)].get('evidence', '')}")
print(f"findings: {len(got)} (expected {len(want)}), errors: {len(errors)}, results: {len(rows)}")
sys.exit(0 if ok else 1)
EOF
CMP=$?
# Server-side view of the limits: sshd logged every password attempt per account.
python3 - "$T/w/sshd.log" "$T/h/sshd.log" <<'EOF' || CMP=1
import collections, re, sys
for log in sys.argv[1:]:
    per = collections.Counter()
    for line in open(log, errors="replace"):
        m = re.search(r"(?:Failed|Accepted) password for (?:invalid user )?(\S+)", line)
        if m:
            per[m.group(1)] += 1
    worst = max(per.values()) if per else 0
    print(f"sshd {log.split('/')[-2]}: {sum(per.values())} password attempts on {len(per)} accounts, "
          f"at most {worst} per account")
    if worst > 3 or not per:
        print("FAIL: more than attempts_per_account (3) password attempts on one account")
        sys.exit(1)
EOF
# The passwords that worked must appear nowhere in the output.
STRONG_HIT=$(grep -c -- "$STRONG" "$T/results.json" "$T/inspect.out" "$T/inspect.err" | awk -F: '{s+=$2} END {print s}')
if grep -q '123456\|"admin:admin' "$T/results.json" "$T/inspect.out" "$T/inspect.err" || [ "$STRONG_HIT" != 0 ]; then
    fail "a password appears in the inspect output"
fi
echo "total $(( $(date +%s) - START )) s"
[ $CMP = 0 ] || { echo "--- inspect stderr"; tail -20 "$T/inspect.err"; fail "findings differ from $EXPECTED"; }
[ $RC = 1 ] || fail "inspect exit code $RC, expected 1 (findings)"
echo "PASS inspect_net"
