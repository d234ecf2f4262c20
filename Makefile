# kdumpcap: one static musl binary. Plain GNU make, no configure step.
#   make            build/kdumpcap (fetches and builds zlib, zstd, lzo2 from Debian
#                   source packages against musl on first use, cached in build/deps)
#   make check      unit tests (fast, no QEMU)
#   make test       everything: unit, integration on real vmcores, QEMU e2e
#   make dbclient   dropbear's SSH client for SSH targets (optional), in $(DEPS)/bin
#   make bench      kdumpcap against makedumpfile 1.7.2 and 1.7.6 (tests/bench.sh; not
#                   part of make test): README=1 also rewrites README.md's table,
#                   BENCH_ARGS passes options (e.g. BENCH_ARGS="-n 1 --quick")
#   O=DIR           object/output directory (default build); DEPS is shared
O        ?= build
DEPS     ?= build/deps
CC       := musl-gcc
HOSTCC   ?= cc
WERROR   ?= $(if $(CI),-Werror,)
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wshadow -Wformat=2 \
            -Wstrict-prototypes -Wmissing-prototypes $(WERROR) -D_GNU_SOURCE \
            -D_FILE_OFFSET_BITS=64 -I. -I$(DEPS)/include -MMD -MP $(KHDRS)
# musl ships no kernel uapi headers (<linux/rtnetlink.h>): take linux-libc-dev's,
# searched after musl's own so that no libc header comes from glibc
KHDRS    := -idirafter /usr/include -idirafter /usr/include/$(shell $(HOSTCC) -dumpmachine)
LDFLAGS  += -static -L$(DEPS)/lib
LDLIBS   := -lzstd -lz -llzo2 -lpthread

DIRS     := lib capture filter transport initramfs
SRCS     := $(foreach d,$(DIRS),$(wildcard $(d)/*.c))
OBJS     := $(SRCS:%.c=$(O)/obj/%.o)
DEPLIBS  := $(DEPS)/lib/libz.a $(DEPS)/lib/libzstd.a $(DEPS)/lib/liblzo2.a

all: $(O)/kdumpcap

$(O)/kdumpcap: $(OBJS) $(DEPLIBS)
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)

$(O)/obj/%.o: %.c $(DEPLIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(DEPLIBS) &:
	+./tests/build-deps.sh $(DEPS)

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

bench: $(O)/kdumpcap $(O)/benchfloor $(O)/synthbig
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
	$(O)/unit

test: $(O)/kdumpcap $(O)/unit $(O)/synthcore
	./tests/run-all.sh

# dropbear's SSH client for SSH targets, static (optional: build/kdumpcap does
# not need it): $(DEPS)/bin/dbclient and $(DEPS)/bin/dropbearconvert.
dbclient: $(DEPS)/bin/dbclient

$(DEPS)/bin/dbclient:
	./tests/build-deps.sh $(DEPS) dbclient

demo: $(O)/kdumpcap
	./qemu/demo.sh

clean:
	rm -rf $(O)/obj $(O)/kdumpcap $(O)/unit $(O)/synthcore $(O)/fuzz-replay $(O)/benchfloor $(O)/synthbig

.PHONY: all check test clean demo fuzz-replay dbclient bench
-include $(OBJS:.o=.d) $(UNIT_OBJS:.o=.d) $(SYNTH_OBJS:.o=.d) $(FUZZ_OBJS:.o=.d) $(O)/obj/tests/tools/synthcore.d \
	   $(O)/obj/tests/tools/benchfloor.d $(O)/obj/tests/tools/synthbig.d
