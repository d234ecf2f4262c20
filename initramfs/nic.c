/* Interface lookup by MAC through sysfs (/sys/class/net/<name>/address and
 * /ifindex, both present since Linux 2.6). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "initramfs/nic.h"
#include "lib/io.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

int nic_mac_parse(const char *s, uint8_t mac[NIC_MAC_LEN])
{
	for (int i = 0; i < NIC_MAC_LEN; i++) {
		int hi = hexval(s[0]), lo = hi < 0 ? -1 : hexval(s[1]);

		if (lo < 0) {
			return -EINVAL;
		}
		mac[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (i < NIC_MAC_LEN - 1 && *s++ != ':') {
			return -EINVAL;
		}
	}
	if (*s == '\n') {
		s++;
	}
	return *s ? -EINVAL : 0;
}

void nic_mac_format(const uint8_t mac[NIC_MAC_LEN], char out[NIC_MAC_STRLEN])
{
	snprintf(out, NIC_MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

/* Does SYSFS/NAME/address hold MAC? Its ifindex into *IFINDEX when it does. */
static int nic_check(const char *sysfs, const char *name, const uint8_t mac[NIC_MAC_LEN], int *ifindex)
{
	char path[PATH_MAX], text[64], *end;
	uint8_t have[NIC_MAC_LEN];
	long idx;

	snprintf(path, sizeof(path), "%s/%s/address", sysfs, name);
	if (io_read_text(path, text, sizeof(text)) < 0 || nic_mac_parse(text, have) < 0 ||
	    memcmp(have, mac, NIC_MAC_LEN)) {
		return -ENODEV;
	}
	snprintf(path, sizeof(path), "%s/%s/ifindex", sysfs, name);
	if (io_read_text(path, text, sizeof(text)) < 0) {
		return -ENODEV;
	}
	idx = strtol(text, &end, 10);
	if (end == text || (*end && *end != '\n') || idx <= 0 || idx > INT_MAX) {
		return -ENODEV;
	}
	*ifindex = (int)idx;
	return 0;
}

int nic_find_by_mac(const char *sysfs, const uint8_t mac[NIC_MAC_LEN], char *ifname, size_t size, int *ifindex)
{
	struct dirent *de;
	int r = -ENODEV;
	DIR *d = opendir(sysfs);

	if (!d) {
		return -errno;
	}
	while (r == -ENODEV && (de = readdir(d))) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= size) {
			continue;
		}
		r = nic_check(sysfs, de->d_name, mac, ifindex);
		if (r == 0) {
			strcpy(ifname, de->d_name);
		}
	}
	closedir(d);
	return r;
}
