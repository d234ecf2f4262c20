#!/bin/sh
# kdc-test.service: runs this boot's step from the payload disk that
# qemu/sysguest.sh attaches (LABEL=kdcpayload), its output on the second
# serial port. Installed in the cached guest image: keep it generic.
out=/dev/ttyS1
dir=/run/kdc-payload
mkdir -p $dir
i=0
until mount -o ro LABEL=kdcpayload $dir 2>/dev/null; do
	i=$((i + 1))
	if [ $i -ge 30 ]; then
		echo "KDC-FAIL driver: no payload disk (LABEL=kdcpayload)" >$out
		systemctl poweroff
		exit 1
	fi
	sleep 1
done
/bin/sh $dir/steps.sh "$(cat $dir/step)" >$out 2>&1
rc=$?
# a step ends with a reboot, poweroff or crash: the shutdown stops this unit
sleep 60
echo "KDC-FAIL driver: step $(cat $dir/step) returned $rc and the guest is still up" >$out
systemctl poweroff
