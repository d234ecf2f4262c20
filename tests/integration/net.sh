#!/usr/bin/env bash
# SSH target building blocks on loopback: the collector writing a dump
# through the SFTP sink (kdumpcap sftp-test-write) to OpenSSH's real
# sftp-server on pipes, then through dropbear's dbclient to an OpenSSH sshd
# started here on 127.0.0.1 (a free port from 2222 up). The dump must open
# directly (tests/tools/checkdump.py, no -R); failures must be clear, bounded
# and leave vmcore-incomplete, never vmcore. A second sshd without an sftp
# subsystem gets the fallback: the flattened stream into a remote shell as
# vmcore.flat, only when whole.
#   DBCLIENT_DEPS=DIR  where `make dbclient` puts bin/dbclient (default $DEPS or build/deps)
set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-ssh.sh"
W=$(mktemp -d /tmp/kdc-net.XXXXXX)
chmod 755 "$W"
SSHD_PID= MUTE_PID= NOSFTP_PID=
cleanup() {
	[ -n "$SSHD_PID" ] && kill "$SSHD_PID" 2>/dev/null
	[ -n "$NOSFTP_PID" ] && kill "$NOSFTP_PID" 2>/dev/null
	[ -n "$MUTE_PID" ] && kill "$MUTE_PID" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
FAKE="$PY $TOP/tests/tools/fakevmcore.py"
CHECK="$PY $TOP/tests/tools/checkdump.py"
SERVER=/usr/lib/openssh/sftp-server
$FAKE "$W/core"

if [ ! -x "$SERVER" ]; then
	not_ok "sftp-server is installed ($SERVER: run tests/setup-host.sh)"
	t_done
	exit
fi

# --- sftp-server on pipes ---
check "lzo -d 31 through SFTP to sftp-server" \
	"$KDUMPCAP" sftp-test-write --message-level 0 -l -d 31 "$W/core" "$W/s1" -- "$SERVER"
check "the SFTP dump opens directly: every page equals the vmcore's" \
	$CHECK "$W/s1/vmcore" "$W/core" --level 31 --compress lzo --filtered
check "no vmcore-incomplete is left" test ! -e "$W/s1/vmcore-incomplete"
check "zstd -d 1 through SFTP, byte-identical to a local write" bash -c "
	'$KDUMPCAP' sftp-test-write --message-level 0 -z -d 1 '$W/core' '$W/s2' -- '$SERVER' &&
	'$KDUMPCAP' -z -d 1 --message-level 0 '$W/core' '$W/local.z' && cmp '$W/s2/vmcore' '$W/local.z'"
mkdir "$W/s3" && touch "$W/s3/vmcore-incomplete"
check_fails "an existing vmcore-incomplete is not replaced" "File exists" \
	"$KDUMPCAP" sftp-test-write --message-level 0 "$W/core" "$W/s3" -- "$SERVER"
check "... and it is untouched" test ! -s "$W/s3/vmcore-incomplete"
mkdir -m 0555 "$W/ro"
check_fails "read-only directory: permission denied, named" "cannot create $W/ro/d: Permission denied" \
	"$KDUMPCAP" sftp-test-write --message-level 0 "$W/core" "$W/ro/d" -- \
	setpriv --reuid=65534 --regid=65534 --clear-groups "$SERVER"
# a server that takes some MB (100 reads) and then never reads again (a stalled SSH peer);
# kdumpcap kills the client by pid, the rest of the group is ours to end
start=$(date +%s%N)
check_fails "a stalled server: timeout, named" "no answer from the server within 1.0 s" \
	setsid -w env KDC_SFTP_TIMEOUT_MS=1000 "$KDUMPCAP" sftp-test-write --message-level 0 -d 0 "$W/core" "$W/stall" -- \
	sh -c "ps -o pgid= \$\$ > $W/stall.pgid; { dd bs=65536 count=100; exec sleep 60; } 2>/dev/null | exec $SERVER 2>/dev/null"
ms=$((($(date +%s%N) - start) / 1000000))
[ -s "$W/stall.pgid" ] && kill -KILL -- -$(tr -d ' ' < "$W/stall.pgid") 2>/dev/null
if [ "$ms" -lt 5000 ]; then ok "the stalled server was given up within ${ms} ms"; else not_ok "stalled server took ${ms} ms"; fi
check "a stalled server leaves vmcore-incomplete, not vmcore" \
	bash -c "test -e '$W/stall/vmcore-incomplete' && test ! -e '$W/stall/vmcore'"
check_fails "a server that exits mid-transfer: clear error" "the server closed the connection\|cannot send to the server" \
	"$KDUMPCAP" sftp-test-write --message-level 0 -d 0 "$W/core" "$W/exit" -- \
	bash -c "exec dd bs=65536 count=100 2>/dev/null > >(exec $SERVER)"
check "an exited server leaves vmcore-incomplete, flagged INCOMPLETE" \
	bash -c "test ! -e '$W/exit/vmcore' && $CHECK '$W/exit/vmcore-incomplete' '$W/core' --expect-incomplete"
# (garbage while INIT is still unread: no session was opened, so no fallback;
# without the sleep, whether cat took INIT first decides it)
check_fails "not an SFTP server: protocol error" "impossible length\|not VERSION" \
	"$KDUMPCAP" sftp-test-write --message-level 0 "$W/core" "$W/cat" -- sh -c "echo 'Welcome to the machine'; sleep 2; cat >/dev/null"

# --- dbclient -> OpenSSH sshd's sftp subsystem on 127.0.0.1 ---
if ! ssh_dbclient; then
	t_done
	exit
fi
port=$(ssh_free_port)
S=$W/ssh
mkdir -p "$S/home/.ssh"
ssh-keygen -q -t ed25519 -N '' -f "$S/client"
ssh-keygen -q -t ed25519 -N '' -f "$S/other"
"$DBDIR/bin/dropbearconvert" openssh dropbear "$S/client" "$S/client.db" >/dev/null 2>&1
cp "$S/client.pub" "$S/authorized_keys"
sshd_start "$S" "$port"
# every key type the server has, as plain "HOST ALGO KEY" lines (what dbclient reads)
for t in ed25519 ecdsa rsa; do echo "127.0.0.1 $(cut -d' ' -f1,2 "$S/host_$t.pub")"; done > "$S/known_hosts"
DBC=("$DB" -i "$S/client.db" -p "$port" -s root@127.0.0.1 sftp)

cp "$S/known_hosts" "$S/home/.ssh/known_hosts"
start=$(date +%s%N)
check "uncompressed -d 0 through dbclient -> sshd sftp (port $port)" \
	env HOME="$S/home" "$KDUMPCAP" sftp-test-write --message-level 0 -d 0 "$W/core" "$W/db0" -- "${DBC[@]}"
ms=$((($(date +%s%N) - start) / 1000000))
size=$(stat -c %s "$W/db0/vmcore" 2>/dev/null || echo 0)
echo "# dbclient $(stat -c %s "$DB") bytes; $size bytes in $ms ms = $((size / 1000 / (ms > 0 ? ms : 1))) MB/s over loopback (load $(cut -d' ' -f1 /proc/loadavg))"
check "the dump through SSH opens directly: every page equals the vmcore's" \
	$CHECK "$W/db0/vmcore" "$W/core" --level 0 --compress none
check "lzo -d 31 through dbclient, byte-identical to a local write" bash -c "
	HOME='$S/home' '$KDUMPCAP' sftp-test-write --message-level 0 -l -d 31 '$W/core' '$W/db1' -- ${DBC[*]} &&
	'$KDUMPCAP' -l -d 31 --message-level 0 '$W/core' '$W/local.l' && cmp '$W/db1/vmcore' '$W/local.l'"

# sshd and its session processes SIGSTOPped mid-dump: kdumpcap gives up
# within its deadline, the client is killed, vmcore-incomplete stays
descendants() {
	local p
	for p in $(ps -o pid= --ppid "$1"); do
		echo "$p"
		descendants "$p"
	done
}
env HOME="$S/home" KDC_SFTP_TIMEOUT_MS=2000 "$KDUMPCAP" sftp-test-write --message-level 0 -d 0 "$W/core" \
	"$W/dbstop" -- "${DBC[@]}" > "$W/dbstop.log" 2>&1 &
kpid=$!
for _ in $(seq 500); do
	[ "$(stat -c %s "$W/dbstop/vmcore-incomplete" 2>/dev/null || echo 0)" -gt 2000000 ] && break
	sleep 0.01
done
stopped="$SSHD_PID $(descendants "$SSHD_PID")"
kill -STOP $stopped
start=$(date +%s%N)
rc=0
wait $kpid || rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
kill -CONT $stopped
for p in $stopped; do [ "$p" != "$SSHD_PID" ] && kill "$p" 2>/dev/null; done
if [ $rc -ne 0 ] && grep -q "no answer from the server within 2.0 s" "$W/dbstop.log" && [ $ms -lt 6000 ]; then
	ok "sshd stopped mid-dump: kdumpcap gave up after ${ms} ms with a clear message"
else
	not_ok "sshd stopped mid-dump (rc=$rc, ${ms} ms)"
	sed 's/^/    /' "$W/dbstop.log"
fi
check "... vmcore-incomplete stays, no vmcore" \
	bash -c "test -s '$W/dbstop/vmcore-incomplete' && test ! -e '$W/dbstop/vmcore'"

# a server that accepts TCP and never says a word: the handshake is bounded too
$PY -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True); c = s.accept(); time.sleep(60)' > "$W/mute.port" &
MUTE_PID=$!
for _ in $(seq 50); do
	[ -s "$W/mute.port" ] && break
	sleep 0.1
done
start=$(date +%s%N)
check_fails "banner-less server: the handshake times out" "no answer from the server within 2.0 s" \
	env HOME="$S/home" KDC_SFTP_TIMEOUT_MS=2000 "$KDUMPCAP" sftp-test-write --message-level 0 "$W/core" "$W/mute" \
	-- "$DB" -i "$S/client.db" -p "$(cat "$W/mute.port")" -s root@127.0.0.1 sftp
ms=$((($(date +%s%N) - start) / 1000000))
kill "$MUTE_PID" 2>/dev/null
if [ $ms -lt 6000 ]; then ok "... within ${ms} ms"; else not_ok "banner-less server took ${ms} ms"; fi

# --- an sshd without sftp subsystem (same host keys): vmcore.flat through a remote shell ---
mkdir -p "$W/nosftp"
cp "$S"/host_* "$S/authorized_keys" "$W/nosftp/"
keep=$SSHD_PID
SSHD_NO_SFTP=1 sshd_start "$W/nosftp" "$(ssh_free_port $((port + 1)))"
NOSFTP_PID=$SSHD_PID SSHD_PID=$keep
NOSFTP=(env HOME="$S/home" KDC_SFTP_TIMEOUT_MS=3000 "$KDUMPCAP" sftp-test-write --message-level 0)
NOSFTP_DB=("$DB" -i "$S/client.db" -p "$(sed -n 's/^ListenAddress 127.0.0.1://p' "$W/nosftp/sshd_config")" -s root@127.0.0.1 sftp)
check "no sftp subsystem: lzo -d 31 falls back to the flattened stream" \
	"${NOSFTP[@]}" -l -d 31 "$W/core" "$W/flat" -- "${NOSFTP_DB[@]}"
check "... saved as vmcore.flat, no temporary name left" \
	bash -c "test -s '$W/flat/vmcore.flat' && test -z \"\$(ls '$W/flat' | grep incomplete.flat)\""
check "... kdumpcap -R and makedumpfile -R make it byte-identical to a local write" bash -c "
	'$KDUMPCAP' -R '$W/flat.r1' < '$W/flat/vmcore.flat' && makedumpfile -R '$W/flat.r2' < '$W/flat/vmcore.flat' >/dev/null &&
	'$KDUMPCAP' -l -d 31 --message-level 0 '$W/core' '$W/flat.local' && cmp '$W/flat.r1' '$W/flat.local' &&
	cmp '$W/flat.r2' '$W/flat.local'"
check "... and it opens: every page equals the vmcore's" \
	$CHECK "$W/flat.r1" "$W/core" --level 31 --compress lzo --filtered
# the stream cut short: kdumpcap held (SIGSTOP) once 2 MB are there, its SSH
# client killed, kdumpcap let go: the remote end sees an EOF like any other
"${NOSFTP[@]}" -d 0 "$W/core" "$W/cut" -- "${NOSFTP_DB[@]}" > "$W/cut.log" 2>&1 &
kpid=$!
for _ in $(seq 1000); do
	[ "$(stat -c %s "$W/cut/vmcore-incomplete.flat" 2>/dev/null || echo 0)" -gt 2000000 ] && break
	sleep 0.01
done
kill -STOP $kpid
kill -KILL $(ps -o pid= --ppid $kpid) 2>/dev/null
kill -CONT $kpid
rc=0
wait $kpid || rc=$?
for _ in $(seq 50); do # the remote command's check, after its EOF
	[ -z "$(ps -o pid= --ppid "$NOSFTP_PID")" ] && break
	sleep 0.1
done
if [ $rc -ne 0 ] && grep -q "kept as vmcore-incomplete.flat" "$W/cut.log"; then
	ok "a stream cut short: a clear failure"
else
	not_ok "a stream cut short (rc=$rc)"
	sed 's/^/    /' "$W/cut.log"
fi
check "... vmcore-incomplete.flat stays, never vmcore.flat" \
	bash -c "test -s '$W/cut/vmcore-incomplete.flat' && test ! -e '$W/cut/vmcore.flat'"
kill "$NOSFTP_PID"
NOSFTP_PID=

: > "$S/home/.ssh/known_hosts"
check_fails "unknown host key: refused without a prompt" "not in .*known_hosts" \
	timeout 20 env HOME="$S/home" "$KDUMPCAP" sftp-test-write --message-level 0 "$W/core" "$W/db2" -- "${DBC[@]}"
check "... nothing was written" test ! -e "$W/db2"
echo "127.0.0.1 $(cut -d' ' -f1,2 "$S/other.pub")" > "$S/home/.ssh/known_hosts"
check_fails "wrong host key: refused" "mismatch\|not in .*known_hosts" \
	timeout 20 env HOME="$S/home" "$KDUMPCAP" sftp-test-write --message-level 0 "$W/core" "$W/db3" -- "${DBC[@]}"
check "... nothing was written" test ! -e "$W/db3"

t_done
