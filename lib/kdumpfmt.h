/* The kdump-compressed format's on-disk definitions (header version 6; see
 * FORMAT.md): the one place its offsets, flags and sizes are written, for the
 * writer (capture/kdump.c), the flattened stream's reader and savecore
 * (transport/flat.c), and the test tools (the Python ones read these
 * #defines through tests/tools/kdumpfmt.py: keep each a plain number or
 * string).
 *
 * It lives in lib/ because every folder may include lib/ and lib/ includes no
 * folder: the writer sits in capture/, above transport/, and the stream reader
 * in transport/ needs the same definitions, so they must sit below both. It is
 * a format, not a reading of the dead kernel, so not vmcore/. Offsets are byte
 * offsets within their structure; every field is little-endian. */
#ifndef KDC_KDUMPFMT_H
#define KDC_KDUMPFMT_H

/* disk_dump_header, at offset 0 of the file */
#define KDUMP_SIGNATURE "KDUMP   "
#define KDUMP_SIG_LEN 8
#define KDUMP_HDR_VERSION 6
#define KDUMP_OFF_VERSION 8        /* i32: KDUMP_HDR_VERSION */
#define KDUMP_OFF_UTSNAME 12       /* new_utsname: KDUMP_UTS_FIELDS x KDUMP_UTS_LEN chars */
#define KDUMP_UTS_LEN 65
#define KDUMP_UTS_FIELDS 6         /* sysname, nodename, release, version, machine, domainname */
#define KDUMP_UTS_RELEASE 2        /* index of the release field */
#define KDUMP_UTS_MACHINE 4        /* index of the machine field */
#define KDUMP_OFF_TV_SEC 408       /* u64: timestamp, seconds */
#define KDUMP_OFF_TV_USEC 416      /* u64: timestamp, microseconds */
#define KDUMP_OFF_STATUS 424       /* u32: KDUMP_DH_* flags */
#define KDUMP_OFF_BLOCK_SIZE 428   /* i32: the page size */
#define KDUMP_OFF_SUB_HDR_SIZE 432 /* i32: blocks of sub header and notes */
#define KDUMP_OFF_BITMAP_BLOCKS 436 /* u32: blocks of both bitmaps */
#define KDUMP_OFF_MAX_MAPNR 440    /* u32: min(max_mapnr, UINT32_MAX) */
#define KDUMP_OFF_NR_CPUS 460      /* i32 */

/* status flags of the header; the same bits mark a page descriptor's flags
 * (0 = stored raw) */
#define KDUMP_DH_COMPRESSED_ZLIB 0x1
#define KDUMP_DH_COMPRESSED_LZO 0x2
#define KDUMP_DH_COMPRESSED_SNAPPY 0x4
#define KDUMP_DH_INCOMPLETE 0x8
#define KDUMP_DH_COMPRESSED_ZSTD 0x20

/* kdump_sub_header, at offset block_size; the notes follow it */
#define KDUMP_SUB_OFF_PHYS_BASE 0       /* u64 */
#define KDUMP_SUB_OFF_DUMP_LEVEL 8      /* i32 */
#define KDUMP_SUB_OFF_VMCOREINFO 32     /* u64: absolute file offset */
#define KDUMP_SUB_OFF_VMCOREINFO_LEN 40 /* u64 */
#define KDUMP_SUB_OFF_NOTE 48           /* u64: absolute file offset */
#define KDUMP_SUB_OFF_NOTE_LEN 56       /* u64 */
#define KDUMP_SUB_OFF_MAX_MAPNR_64 96   /* u64 */
#define KDUMP_SUBHDR_SIZE 104

/* page_desc, one for each pfn of the 2nd bitmap, in pfn order */
#define KDUMP_DESC_OFF_OFFSET 0     /* u64: absolute file offset of the data */
#define KDUMP_DESC_OFF_SIZE 8       /* u32: bytes stored */
#define KDUMP_DESC_OFF_FLAGS 12     /* u32: KDUMP_DH_COMPRESSED_* or 0 */
#define KDUMP_DESC_OFF_PAGE_FLAGS 16 /* u64: 0 */
#define KDUMP_DESC_SIZE 24

#endif
