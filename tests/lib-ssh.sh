# Shared by the SSH shell tests (tests/integration/net.sh, ssh.sh): dropbear's
# dbclient and an OpenSSH sshd started on 127.0.0.1. Source after tests/lib.sh.

# ssh_dbclient: DBDIR and DB (dbclient; dropbearconvert beside it), built by
# `make dbclient` when missing (DBCLIENT_DEPS=DIR, default $DEPS or build/deps).
# Returns 1 after a not_ok when it cannot be built.
ssh_dbclient() {
	local out
	DBDIR=${DBCLIENT_DEPS:-${DEPS:-$TOP/build/deps}}
	DB=$DBDIR/bin/dbclient
	if [ ! -x "$DB" ] && ! out=$(make -s -C "$TOP" DEPS="$DBDIR" dbclient 2>&1); then
		not_ok "make dbclient"
		printf '%s\n' "$out" | tail -5 | sed 's/^/    /'
		return 1
	fi
}

# ssh_free_port [FIRST]: a free TCP port from FIRST (default 2222) up.
ssh_free_port() {
	local p
	for p in $(seq "${1:-2222}" 2299); do
		if [ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ]; then
			echo "$p"
			return
		fi
	done
}

# sshd_start DIR PORT [CONFIG-LINE...]: an sshd on 127.0.0.1:PORT with host
# keys DIR/host_{ed25519,ecdsa,rsa}, accepting root with the keys in
# DIR/authorized_keys, sftp subsystem (none when SSHD_NO_SFTP=1); sets
# SSHD_PID (the caller kills it).
sshd_start() {
	local dir=$1 port=$2 t
	shift 2
	mkdir -p /run/sshd
	for t in ed25519 ecdsa rsa; do
		[ -e "$dir/host_$t" ] || ssh-keygen -q -t $t -N '' -f "$dir/host_$t"
	done
	touch "$dir/authorized_keys"
	# sshd keeps the first value of a keyword: the caller's lines come first
	printf '%s\n' "$@" "ListenAddress 127.0.0.1:$port" "HostKey $dir/host_ed25519" "HostKey $dir/host_ecdsa" \
		"HostKey $dir/host_rsa" "PidFile $dir/sshd.pid" "AuthorizedKeysFile $dir/authorized_keys" \
		"PermitRootLogin prohibit-password" "PasswordAuthentication no" "KbdInteractiveAuthentication no" \
		"UsePAM no" "StrictModes no" > "$dir/sshd_config"
	[ "${SSHD_NO_SFTP:-0}" = 1 ] || echo "Subsystem sftp /usr/lib/openssh/sftp-server" >> "$dir/sshd_config"
	/usr/sbin/sshd -D -e -f "$dir/sshd_config" 2>"$dir/sshd.log" &
	SSHD_PID=$!
	for _ in $(seq 50); do
		grep -q "Server listening" "$dir/sshd.log" && break
		sleep 0.1
	done
	check "sshd listens on 127.0.0.1:$port" grep -q "Server listening" "$dir/sshd.log"
}
