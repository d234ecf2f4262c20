/* Entry points of kdumpcap's personalities; each returns a process exit status. */
#ifndef KDC_CMDS_H
#define KDC_CMDS_H

int collector_main(int argc, char **argv); /* capture/collector.c */
int init_main(int argc, char **argv);      /* initramfs/init.c: PID 1 */
int savecore_main(int argc, char **argv);  /* initramfs/savecore.c */
int mkinitrd_main(int argc, char **argv);  /* initramfs/mkinitrd.c */
int load_main(int argc, char **argv);      /* initramfs/load.c */
int unload_main(int argc, char **argv);    /* initramfs/load.c */
int estimate_main(int argc, char **argv);  /* initramfs/load.c */
int status_main(int argc, char **argv);    /* initramfs/status.c */
int start_main(int argc, char **argv);     /* initramfs/service.c: kdumpcap.service */
int image_main(int argc, char **argv);     /* initramfs/service.c: the kernel hooks */
int postcrash_main(int argc, char **argv); /* initramfs/postcrash.c: kdumpcap-savecore.service */
int sftptest_main(int argc, char **argv);  /* capture/sftptest.c: test hook */
int propagate_main(int argc, char **argv); /* initramfs/propagate.c */
int sshkey_convert_main(int argc, char **argv); /* initramfs/propagate.c */
int known_hosts_main(int argc, char **argv); /* initramfs/propagate.c */

#endif
