/* Find the capture kernel's network interface by its MAC address: interface
 * names differ between the first and the capture kernel (probe order, no
 * udev renames), the MAC recorded when the image was built does not. */
#ifndef KDC_NIC_H
#define KDC_NIC_H

#include <stddef.h>
#include <stdint.h>

#define NIC_MAC_LEN 6
#define NIC_MAC_STRLEN 18 /* "52:54:00:12:34:56" and its NUL */

/* Parse "52:54:00:12:34:56" (either case, nothing after it but one '\n').
 * 0 or -EINVAL. */
int nic_mac_parse(const char *s, uint8_t mac[NIC_MAC_LEN]);
/* Lower-case colon form into OUT (NIC_MAC_STRLEN bytes). */
void nic_mac_format(const uint8_t mac[NIC_MAC_LEN], char out[NIC_MAC_STRLEN]);
/* One look under SYSFS (/sys/class/net) for the interface whose `address`
 * is MAC: its name into IFNAME (SIZE bytes, IF_NAMESIZE is enough) and its
 * `ifindex` into *IFINDEX. 0, -ENODEV when none has it, or -errno when
 * SYSFS cannot be read. */
int nic_find_by_mac(const char *sysfs, const uint8_t mac[NIC_MAC_LEN], char *ifname, size_t size, int *ifindex);

#endif
