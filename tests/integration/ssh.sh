#!/usr/bin/env bash
# SSH key material for the capture image, against real tools on loopback:
# our OpenSSH -> dropbear key conversion is byte-identical to dropbearconvert
# and dbclient logs in with it to an OpenSSH sshd on 127.0.0.1; known_hosts
# (hashed too) becomes dbclient's pins; `kdumpcap propagate` creates and
# installs the key once and refuses unknown (without --accept-new) and
# changed host keys, and checks that the key logs in by itself. The admin's
# own ssh is a wrapper using an admin key (not for propagate's own test login,
# which names its key and no ssh_config);
# sshd runs commands with HOME=$S/rhome so the real ~root is never touched.
set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-ssh.sh"
W=$(mktemp -d /tmp/kdc-ssh.XXXXXX)
chmod 755 "$W"
SSHD_PID=
cleanup() {
	[ -n "$SSHD_PID" ] && kill "$SSHD_PID" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT
if ! ssh_dbclient; then
	t_done
	exit
fi
CONVERT=$DBDIR/bin/dropbearconvert
S=$W/s
mkdir -p "$S/home/.ssh" "$S/fresh" "$S/rhome" "$S/dbhome/.ssh" "$S/bin" "$W/k"

# --- conversion: byte-identical to dropbearconvert, for every key type ---
for t in "ed25519" "ecdsa 256" "ecdsa 384" "ecdsa 521" "rsa 2048" "rsa 3072" "rsa 2048 PEM"; do
	set -- $t "" ""
	k=$W/k/$1$2$3
	ssh-keygen -q -t "$1" ${2:+-b "$2"} ${3:+-m "$3"} -N '' -C "test $t" -f "$k"
	"$CONVERT" openssh dropbear "$k" "$k.ref" >/dev/null 2>&1
	check "$t key: our conversion is byte-identical to dropbearconvert's" \
		bash -c "'$KDUMPCAP' sshkey-convert '$k' '$k.db' && cmp '$k.ref' '$k.db'"
done
ssh-keygen -q -t ed25519 -N secret -f "$W/k/enc"
ssh-keygen -q -t rsa -m PEM -N secret -f "$W/k/encpem"
for k in enc encpem; do
	check_fails "$k: a passphrase-protected key is refused, saying why" "protected by a passphrase" \
		"$KDUMPCAP" sshkey-convert "$W/k/$k" "$W/k/$k.db"
done
echo "not a key" > "$W/k/junk"
check_fails "not a key: refused, named" "cannot use sshkey $W/k/junk" \
	"$KDUMPCAP" sshkey-convert "$W/k/junk" "$W/k/junk.db"

# --- sshd on 127.0.0.1 at a non-default port ---
port=$(ssh_free_port 2230)
ssh-keygen -q -t ed25519 -N '' -f "$S/admin"
cp "$S/admin.pub" "$S/authorized_keys"
for k in ed25519 ecdsa256 ecdsa384 ecdsa521 rsa2048 rsa2048PEM; do cat "$W/k/$k.pub" >> "$S/authorized_keys"; done
sshd_start "$S" "$port" "AuthorizedKeysFile $S/authorized_keys $S/rhome/.ssh/authorized_keys" \
	"ForceCommand HOME=$S/rhome; export HOME; eval \"\$SSH_ORIGINAL_COMMAND\""
printf '#!/bin/sh\ncase " $* " in *" -F /dev/null "*) exec /usr/bin/ssh "$@" ;; esac\nexec /usr/bin/ssh -F /dev/null -i %s -o IdentitiesOnly=yes -o BatchMode=yes "$@"\n' \
	"$S/admin" > "$S/bin/ssh"
chmod +x "$S/bin/ssh"
for t in ed25519 ecdsa rsa; do echo "127.0.0.1 $(cut -d' ' -f1,2 "$S/host_$t.pub")"; done > "$S/dbhome/.ssh/known_hosts"
for k in ed25519 ecdsa256 ecdsa384 ecdsa521 rsa2048 rsa2048PEM; do
	check "dbclient logs in with our converted $k key" bash -c "HOME='$S/dbhome' '$DB' -i '$W/k/$k.db' \
		-p $port root@127.0.0.1 'echo logged-in' < /dev/null 2>&1 | grep -qx logged-in"
done

# --- propagate ---
P=(env HOME="$S/home" PATH="$S/bin:$PATH" "$KDUMPCAP" propagate)
KEY=$S/home/.ssh/kdump_id_ed25519
check_fails "propagate: unknown host keys are refused without --accept-new" "run again with --accept-new" \
	"${P[@]}" root@127.0.0.1:$port
check "... and nothing was installed" test ! -e "$S/rhome/.ssh/authorized_keys"
check "propagate --accept-new: key created, host keys recorded, key installed, login with it checked" \
	bash -c "set -o pipefail; ${P[*]} --accept-new root@127.0.0.1:$port 2>&1 | grep 'checked: the key $S/home/.ssh/kdump_id_ed25519 logs in to root@127.0.0.1 port $port'"
check "... the key is ed25519 without a passphrase" grep -q "^ssh-ed25519 " "$KEY.pub"
check "... all three host keys are in known_hosts as [127.0.0.1]:$port" \
	test "$(grep -c "^\[127.0.0.1\]:$port " "$S/home/.ssh/known_hosts")" = 3
check "... the public key is in the server's authorized_keys" \
	grep -qF "$(cut -d' ' -f1,2 "$KEY.pub")" "$S/rhome/.ssh/authorized_keys"
ssh-keygen -H -f "$S/home/.ssh/known_hosts" >/dev/null 2>&1
check "again on hashed known_hosts: accepted, nothing added twice" "${P[@]}" root@127.0.0.1:$port
check "... authorized_keys has the key once" test "$(wc -l < "$S/rhome/.ssh/authorized_keys")" = 1
check "... known_hosts has no new line" test "$(grep -c . "$S/home/.ssh/known_hosts")" = 3
HOME="$S/home" "$KDUMPCAP" known-hosts 127.0.0.1:$port > "$S/dbhome/.ssh/known_hosts"
check "known-hosts: every key type, hashed entries found, in dbclient's form" \
	test "$(grep -c "^127.0.0.1 " "$S/dbhome/.ssh/known_hosts")" = 3
check "dbclient with the propagated key (converted) and pins from hashed known_hosts" bash -c "
	'$KDUMPCAP' sshkey-convert '$KEY' '$S/kdump.db' && HOME='$S/dbhome' '$DB' -i '$S/kdump.db' \
	-p $port root@127.0.0.1 'echo logged-in' < /dev/null 2>&1 | grep -qx logged-in"
check "an existing RSA key via --config's sshkey line is accepted and installed" bash -c "
	printf 'ssh root@127.0.0.1:$port\nsshkey $W/k/rsa3072\n' > '$S/kdump.conf' &&
	${P[*]} --config '$S/kdump.conf' && grep -qF '$(cut -d' ' -f1,2 "$W/k/rsa3072.pub")' '$S/rhome/.ssh/authorized_keys'"
check_fails "a passphrase-protected --key is refused" "protected by a passphrase" \
	"${P[@]}" --key "$W/k/enc" root@127.0.0.1:$port

check_fails "known-hosts: an unknown host is an error naming propagate" "no host key of 127.0.0.2 port $port.*propagate" \
	env HOME="$S/home" "$KDUMPCAP" known-hosts 127.0.0.2:$port

check "a root that never used ssh (no ~/.ssh): key and known_hosts created" bash -c "
	env HOME='$S/fresh' PATH='$S/bin:$PATH' '$KDUMPCAP' propagate --accept-new root@127.0.0.1:$port &&
	test -s '$S/fresh/.ssh/kdump_id_ed25519' && test -s '$S/fresh/.ssh/known_hosts'"

printf '%s\n' "[::1]:2222 ssh-ed25519 AAAAv6port" "::1 ssh-ed25519 AAAAv6" > "$W/kh6"
check "known-hosts: [v6]:port, [v6] and a bare v6 address are understood" bash -c "
	test \"\$('$KDUMPCAP' known-hosts '[::1]:2222' '$W/kh6')\" = '::1 ssh-ed25519 AAAAv6port' &&
	test \"\$('$KDUMPCAP' known-hosts '[::1]' '$W/kh6')\" = '::1 ssh-ed25519 AAAAv6' &&
	test \"\$('$KDUMPCAP' known-hosts 'root@::1' '$W/kh6')\" = '::1 ssh-ed25519 AAAAv6'"
check_fails "a bad target is refused" "usage" "$KDUMPCAP" known-hosts '[::1' "$W/kh6"

# an install that seems to work (the admin's ssh says so) while the server
# does not take the key: the test login finds out
ssh-keygen -q -t ed25519 -N '' -f "$S/never"
mkdir -p "$S/fakebin"
printf '#!/bin/sh\ncase " $* " in *" -F /dev/null "*) exec /usr/bin/ssh "$@" ;; esac\ncat >/dev/null; echo installed\n' > "$S/fakebin/ssh"
chmod +x "$S/fakebin/ssh"
check_fails "a key the server does not take: the test login fails, naming key and server" \
	"the key $S/never does not log in to root@127.0.0.1 port $port" \
	env HOME="$S/home" PATH="$S/fakebin:$PATH" "$KDUMPCAP" propagate --key "$S/never" root@127.0.0.1:$port

# a changed host key: refused even with --accept-new, nothing installed
ssh-keygen -q -t ed25519 -N '' -f "$S/other"
grep -v ssh-ed25519 "$S/dbhome/.ssh/known_hosts" | sed "s/^127.0.0.1/[127.0.0.1]:$port/" > "$S/home/.ssh/known_hosts"
echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$S/other.pub")" >> "$S/home/.ssh/known_hosts"
cp "$S/rhome/.ssh/authorized_keys" "$S/ak.before"
check_fails "a changed host key is refused, saying what to do" "differs from the one in known_hosts.*ssh-keygen -R" \
	"${P[@]}" --accept-new --key "$W/k/ecdsa256" root@127.0.0.1:$port
check "... and nothing was installed" cmp "$S/ak.before" "$S/rhome/.ssh/authorized_keys"
check_fails "a server that is down: clear error" "cannot fetch the host keys of 127.0.0.1 port $(ssh_free_port 2290)" \
	"${P[@]}" root@127.0.0.1:$(ssh_free_port 2290)

t_done
