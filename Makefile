# kdumpcap: one static musl binary. Plain GNU make, no configure step.
#   make            build/kdumpcap (fetches and builds zlib, zstd, lzo2 from Debian
#                   source packages against musl on first use, cached in build/deps)
#   make check      unit tests and the folders' layering (fast, no QEMU)
#   make test       everything: unit, integration on real vmcores, QEMU e2e
#   make test-slow  the package on a Debian 12 guest booted by systemd (qemu/sysguest.sh)
#   make dbclient   dropbear's SSH client for SSH targets (optional), in $(DEPS)/bin
#   make install    DESTDIR, PREFIX (default /usr): the binary, dbclient, units,
#                   kernel hooks, /etc/kdump.conf, man pages (see README "Installing")
#   make deb        $(O)/kdumpcap_$(VERSION)_amd64.deb with plain dpkg-deb
#   make bench      kdumpcap against makedumpfile 1.7.2 and 1.7.6 (tests/bench.sh; not
#                   part of make test): README=1 also rewrites README.md's table,
#                   BENCH_ARGS passes options (e.g. BENCH_ARGS="-n 1 --quick")
#   O=DIR           object/output directory (default build); DEPS is shared
#   ARCH=arm64      cross-build the same binary for aarch64 (Debian's gcc-aarch64-linux-gnu
#                   and musl-dev:arm64, see tests/setup-host.sh): objects in build/arm64,
#                   deps in build/deps-arm64; `make ARCH=arm64 check` runs the unit tests
#                   under qemu-aarch64-static. The arm64 binary embeds the kexec_load
#                   purgatory (purgatory/), built with aarch64-linux-gnu-gcc
HOSTCC   ?= cc
ifeq ($(ARCH),arm64)
O        ?= build/arm64
DEPS     ?= build/deps-arm64
CC       := aarch64-linux-musl-gcc
KTRIPLE  := aarch64-linux-gnu
RUN      := qemu-aarch64-static
else
O        ?= build
DEPS     ?= build/deps
CC       := musl-gcc
KTRIPLE  := $(shell $(HOSTCC) -dumpmachine)
RUN      :=
endif
WERROR   ?= $(if $(CI),-Werror,)
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wshadow -Wformat=2 \
            -Wstrict-prototypes -Wmissing-prototypes $(WERROR) -D_GNU_SOURCE \
            -D_FILE_OFFSET_BITS=64 -I. -I$(DEPS)/include -MMD -MP $(KHDRS)
# musl ships no kernel uapi headers (<linux/rtnetlink.h>): take linux-libc-dev's,
# searched after musl's own so that no libc header comes from glibc (for arm64
# the asm/ headers come from linux-libc-dev:arm64)
KHDRS    := -idirafter /usr/include -idirafter /usr/include/$(KTRIPLE)
LDFLAGS  += -static -L$(DEPS)/lib
LDLIBS   := -lzstd -lz -llzo2 -lpthread

# The one place the version is written: VERSION (kdumpcap --version, the package).
VERSION  := $(shell cat VERSION)
PREFIX   ?= /usr
SBINDIR  ?= $(PREFIX)/sbin
# dbclient and what else the capture image takes from the installed system;
# mkinitrd's --dbclient default is compiled from it
LIBEXECDIR ?= $(PREFIX)/lib/kdumpcap
UNITDIR  ?= $(PREFIX)/lib/systemd/system
MANDIR   ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
PY       ?= /usr/bin/python3

DIRS     := lib vmcore filter transport capture initramfs
SRCS     := $(foreach d,$(DIRS),$(wildcard $(d)/*.c))
# the arm64 kexec_load loader and its purgatory exist in the arm64 binary only
ifeq ($(ARCH),arm64)
GEN_SRCS := $(O)/gen/purgatory_arm64.c
else
SRCS     := $(filter-out initramfs/load_arm64.c,$(SRCS))
GEN_SRCS :=
endif
OBJS     := $(SRCS:%.c=$(O)/obj/%.o) $(GEN_SRCS:$(O)/%.c=$(O)/obj/%.o)
DEPLIBS  := $(DEPS)/lib/libz.a $(DEPS)/lib/libzstd.a $(DEPS)/lib/liblzo2.a

all: $(O)/kdumpcap

$(O)/kdumpcap: $(OBJS) $(DEPLIBS)
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)

$(O)/obj/%.o: %.c $(DEPLIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# The arm64 purgatory (purgatory/): freestanding, run with the MMU off (no
# unaligned access, no FP), flat; linked at two bases and compared, so that
# it is known to run wherever kdumpcap load places it. Embedded as a C array.
PURG_CC      ?= aarch64-linux-gnu-gcc
PURG_OBJCOPY ?= aarch64-linux-gnu-objcopy
PURG_CFLAGS  := -O2 -I. -Wall -Wextra -ffreestanding -nostdlib -static -fno-pic -fno-pie -mgeneral-regs-only \
		-mstrict-align -mcmodel=small -fno-stack-protector -fno-asynchronous-unwind-tables \
		-fno-tree-loop-distribute-patterns -Wl,-T,purgatory/purgatory.ld -Wl,--build-id=none \
		-Wl,--no-warn-rwx-segments $(WERROR)
PURG_SRCS    := purgatory/entry.S purgatory/main.c lib/sha256.c

$(O)/purgatory/purgatory.bin: $(PURG_SRCS) initramfs/purgatory_params.h lib/sha256.h purgatory/purgatory.ld
	@mkdir -p $(dir $@)
	$(PURG_CC) $(PURG_CFLAGS) -Wl,--defsym=PURG_BASE=0 -o $@.elf $(PURG_SRCS)
	$(PURG_CC) $(PURG_CFLAGS) -Wl,--defsym=PURG_BASE=0x12345000 -o $@.elf2 $(PURG_SRCS)
	$(PURG_OBJCOPY) -O binary -j .image $@.elf $@.tmp
	$(PURG_OBJCOPY) -O binary -j .image $@.elf2 $@.tmp2
	cmp -s $@.tmp $@.tmp2 || { echo "purgatory is not position independent" >&2; exit 1; }
	mv $@.tmp $@ && rm -f $@.tmp2

$(O)/gen/purgatory_arm64.c: $(O)/purgatory/purgatory.bin
	@mkdir -p $(dir $@)
	{ echo '/* generated from purgatory/ by the Makefile */'; echo '#include <stddef.h>'; \
	  echo 'extern const unsigned char kdc_purgatory_arm64[];'; echo 'extern const size_t kdc_purgatory_arm64_len;'; \
	  echo '__attribute__((aligned(4096))) const unsigned char kdc_purgatory_arm64[] = {'; \
	  od -An -v -tx1 $< | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  echo '};'; echo 'const size_t kdc_purgatory_arm64_len = sizeof(kdc_purgatory_arm64);'; } >$@.tmp && mv $@.tmp $@

$(O)/obj/gen/%.o: $(O)/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(O)/obj/capture/main.o: CFLAGS += -DKDC_VERSION='"$(VERSION)"'
$(O)/obj/capture/main.o: VERSION
$(O)/obj/initramfs/mkinitrd.o: CFLAGS += -DKDC_LIBEXECDIR='"$(LIBEXECDIR)"'

$(DEPLIBS) &: tests/build-deps.sh
	+KDC_ARCH=$(ARCH) ./tests/build-deps.sh $(DEPS)

# Unit tests link the product's objects (minus main) and the synthetic
# vmcore builders of tests/synth (shared with the fuzz targets) into one runner.
UNIT_SRCS  := $(wildcard tests/unit/*.c)
UNIT_OBJS  := $(UNIT_SRCS:%.c=$(O)/obj/%.o)
SYNTH_OBJS := $(patsubst %.c,$(O)/obj/%.o,$(wildcard tests/synth/*.c))
LIB_OBJS   := $(filter-out $(O)/obj/capture/main.o,$(OBJS))

$(O)/unit: $(UNIT_OBJS) $(SYNTH_OBJS) $(LIB_OBJS) $(DEPLIBS)
	$(CC) $(LDFLAGS) -o $@ $(UNIT_OBJS) $(SYNTH_OBJS) $(LIB_OBJS) $(LDLIBS)

# A small filterable vmcore for the collector's shell tests.
$(O)/synthcore: $(O)/obj/tests/tools/synthcore.o $(SYNTH_OBJS) $(O)/obj/lib/rd.o
	$(CC) $(LDFLAGS) -o $@ $^

# The benchmark's floors (read the vmcore; compress the kept pages) and its
# synthetic sparse vmcores of 64 GB and 1 TB.
$(O)/benchfloor: $(O)/obj/tests/tools/benchfloor.o $(O)/obj/lib/rd.o $(DEPLIBS)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LDLIBS)

$(O)/synthbig: $(O)/obj/tests/tools/synthbig.o $(SYNTH_OBJS) $(O)/obj/lib/rd.o
	$(CC) $(LDFLAGS) -o $@ $^

# The benchmark's stopwatch (GNU time at microsecond resolution).
$(O)/runstat: $(O)/obj/tests/tools/runstat.o
	$(CC) $(LDFLAGS) -o $@ $^

bench: $(O)/kdumpcap $(O)/benchfloor $(O)/synthbig $(O)/runstat
	./tests/bench.sh $(if $(README),--readme) $(BENCH_ARGS)

# Fuzz targets replayed over their committed corpora: each tests/fuzz/fuzz_NAME.c
# with the plain main() of tests/fuzz/replay.c (libFuzzer builds: tests/fuzz/build.sh).
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS  := $(FUZZ_NAMES:%=$(O)/fuzz-replay/%)
FUZZ_OBJS  := $(patsubst %.c,$(O)/obj/%.o,$(wildcard tests/fuzz/*.c))

$(O)/fuzz-replay/%: $(O)/obj/tests/fuzz/fuzz_%.o $(O)/obj/tests/fuzz/replay.o $(O)/obj/tests/fuzz/fuzzlib.o \
		    $(SYNTH_OBJS) $(LIB_OBJS) $(DEPLIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LDLIBS)

fuzz-replay: $(FUZZ_BINS)
	./tests/integration/fuzz-replay.sh

check: $(O)/kdumpcap $(O)/unit
	./tests/check-layers.sh
	$(RUN) $(O)/unit

test: $(O)/kdumpcap $(O)/unit $(O)/synthcore
	./tests/run-all.sh

# dropbear's SSH client for SSH targets, static (optional: build/kdumpcap does
# not need it): $(DEPS)/bin/dbclient and $(DEPS)/bin/dropbearconvert.
dbclient: $(DEPS)/bin/dbclient

$(DEPS)/bin/dbclient: tests/build-deps.sh
	KDC_ARCH=$(ARCH) ./tests/build-deps.sh $(DEPS) dbclient

DOCS := $(O)/doc/kdump.conf $(O)/doc/kdumpcap.8 $(O)/doc/kdump.conf.5

# Everything a machine needs to keep kdumpcap running under systemd.
install: $(O)/kdumpcap $(DEPS)/bin/dbclient $(DOCS)
	install -D -m 0755 $(O)/kdumpcap $(DESTDIR)$(SBINDIR)/kdumpcap
	install -D -m 0755 $(DEPS)/bin/dbclient $(DESTDIR)$(LIBEXECDIR)/dbclient
	install -D -m 0644 dist/kdumpcap.service $(DESTDIR)$(UNITDIR)/kdumpcap.service
	install -D -m 0644 dist/kdumpcap-savecore.service $(DESTDIR)$(UNITDIR)/kdumpcap-savecore.service
	sed -i 's|/usr/sbin/kdumpcap|$(SBINDIR)/kdumpcap|' $(DESTDIR)$(UNITDIR)/kdumpcap*.service
	install -D -m 0755 dist/kernel-postinst $(DESTDIR)$(SYSCONFDIR)/kernel/postinst.d/kdumpcap
	install -D -m 0755 dist/kernel-postrm $(DESTDIR)$(SYSCONFDIR)/kernel/postrm.d/kdumpcap
	sed -i 's|/usr/sbin/kdumpcap|$(SBINDIR)/kdumpcap|' $(DESTDIR)$(SYSCONFDIR)/kernel/post*.d/kdumpcap
	install -D -m 0644 dist/grub.cfg $(DESTDIR)$(SYSCONFDIR)/default/grub.d/kdumpcap.cfg
	install -D -m 0644 $(O)/doc/kdump.conf $(DESTDIR)$(SYSCONFDIR)/kdump.conf
	install -d -m 0700 $(DESTDIR)/var/crash
	install -D -m 0644 $(O)/doc/kdumpcap.8 $(DESTDIR)$(MANDIR)/man8/kdumpcap.8
	install -D -m 0644 $(O)/doc/kdump.conf.5 $(DESTDIR)$(MANDIR)/man5/kdump.conf.5

# The man pages and the example kdump.conf, from one source (DOCS is
# defined above install, whose prerequisites make expands as it reads them).
docs: $(DOCS)

$(O)/doc/kdump.conf: doc/kdumpcap.md doc/render.py
	@mkdir -p $(dir $@)
	$(PY) doc/render.py $< conf > $@.tmp && mv $@.tmp $@

$(O)/doc/%.8 $(O)/doc/%.5: doc/kdumpcap.md doc/render.py VERSION
	@mkdir -p $(dir $@)
	$(PY) doc/render.py $< man $* $(VERSION) > $@.tmp && mv $@.tmp $@

# The Debian package, from this tree with dpkg-deb alone (no debhelper, no network).
DEB      := $(O)/kdumpcap_$(VERSION)_amd64.deb
deb: $(DEB)

$(DEB): $(O)/kdumpcap $(DEPS)/bin/dbclient $(DOCS) VERSION doc/kdumpcap.md dist/deb/control.in $(wildcard dist/* dist/deb/*)
	rm -rf $(O)/deb && mkdir -p $(O)/deb/DEBIAN
	$(MAKE) --no-print-directory install DESTDIR=$(abspath $(O)/deb) PREFIX=/usr O=$(O) DEPS=$(DEPS)
	sed -e 's/@VERSION@/$(VERSION)/' -e "s/@SIZE@/$$(du -sk --exclude=DEBIAN $(O)/deb | cut -f1)/" \
		dist/deb/control.in > $(O)/deb/DEBIAN/control
	cd $(O)/deb && find etc -type f | sed 's|^|/|' | sort > DEBIAN/conffiles
	install -m 0755 dist/deb/postinst dist/deb/prerm dist/deb/postrm $(O)/deb/DEBIAN/
	dpkg-deb --root-owner-group -Zxz --build $(O)/deb $@

# In-guest capture time against makedumpfile and the 2-CPU memory check
# (QEMU, several minutes; qemu/capture-bench.sh): part of `make bench`, not of `make test`.
bench: bench-capture
bench-capture: $(O)/kdumpcap
	./qemu/capture-bench.sh

demo: $(O)/kdumpcap
	./qemu/demo.sh

clean:
	rm -rf $(O)/obj $(O)/gen $(O)/purgatory $(O)/kdumpcap $(O)/unit $(O)/synthcore $(O)/fuzz-replay $(O)/deb $(O)/*.deb $(O)/doc \
		$(O)/benchfloor $(O)/synthbig $(O)/runstat

# The package installed on a debootstrapped Debian 12 guest booted by systemd:
# crashes captured to ext4, after a kernel upgrade, to a raw disk (qemu/sysguest.sh).
test-slow: $(O)/kdumpcap $(DEB)
	KDC_SUITES=sysguest ./tests/run-all.sh

.PHONY: test-slow all check test clean demo fuzz-replay dbclient install deb docs bench bench-capture
-include $(OBJS:.o=.d) $(UNIT_OBJS:.o=.d) $(SYNTH_OBJS:.o=.d) $(FUZZ_OBJS:.o=.d) $(O)/obj/tests/tools/synthcore.d \
	   $(O)/obj/tests/tools/benchfloor.d $(O)/obj/tests/tools/synthbig.d $(O)/obj/tests/tools/runstat.d
