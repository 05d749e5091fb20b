# SPDX-License-Identifier: BSD-3-Clause
# sipshard build. Every output goes under build/; nothing generated enters the tree.
#   make                         the binaries
#   make test                    install what is missing, build, run every test
#   make demo                    the lab demo
#   make SANITIZE=address,undefined [test]   the same under ASan/UBSan
#   make fuzz [FUZZ_SECONDS=N]   long libFuzzer runs
#   make install [PREFIX=/usr/local] [DESTDIR=] [SYSCONFDIR=/etc] [UNITDIR=...]
#   make uninstall               the same variables; removes what install put
#   make clean

BUILD    ?= build
CC       ?= gcc
CLANG    ?= clang
PKGS     := libdpdk yaml-0.1 libprotobuf-c numa libcrypto libsodium libxxhash jansson libmicrohttpd libsystemd

WARN     := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
            -Wpointer-arith -Wformat=2 -Wundef -Wvla -Werror
# Third-party headers are system headers: our warnings are for our code.
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null | sed 's/-I/-isystem /g')
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 $(WARN) -MMD -MP -I. -I$(BUILD)/gen -DALLOW_EXPERIMENTAL_API $(PKG_CFLAGS)
LDLIBS   += $(PKG_LIBS) -lm -lpthread
ifneq ($(SANITIZE),)
CFLAGS   += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=$(SANITIZE)
endif

# Library objects: every module of the shared directories; *_main.c are programs.
# Sources live one folder deep at most (dataplane/core, control/topo, ...).
SRC_DIRS := config proto dataplane/core dataplane/sip dataplane/registrar dataplane/proxy \
            control control/topo control/admin control/repl control/tags
LIB_SRCS := $(filter-out %_main.c,$(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.c)))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)

# proto/NAME.proto -> build/gen/proto/NAME.pb-c.[ch] (protoc-c at build time), included
# as "proto/NAME.pb-c.h" and compiled into the library.
PROTO_SRCS  := $(wildcard proto/*.proto)
PROTO_GEN_C := $(PROTO_SRCS:%.proto=$(BUILD)/gen/%.pb-c.c)
PROTO_GEN_H := $(PROTO_SRCS:%.proto=$(BUILD)/gen/%.pb-c.h)
LIB_OBJS    += $(PROTO_GEN_C:$(BUILD)/gen/%.c=$(BUILD)/obj/gen/%.o)

# Programs: name -> main file (built when the main file exists).
PROG_sipshard-dp    := dataplane/core/dp_main.c
PROG_sipshard-parse := dataplane/sip/sip_parse_main.c
PROG_sipshard-cp    := control/cp_main.c
PROG_sipshardctl    := control/admin/ctl_main.c
PROG_sipshard-gen   := perf/gen_main.c
PROGS := $(foreach p,sipshard-dp sipshard-parse sipshard-cp sipshardctl sipshard-gen,\
           $(if $(wildcard $(PROG_$(p))),$(BUILD)/$(p)))

UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_SRCS := $(wildcard perf/bench_*.c)
BENCH_BINS := $(BENCH_SRCS:perf/%.c=$(BUILD)/perf/%)

# libFuzzer targets (clang): tests/fuzz/fuzz_NAME.c plus the pure-C sources it names
# in FUZZ_DEPS_NAME (no DPDK inside a fuzz target).
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_DEPS_fuzz_sip_parse := $(filter-out %_main.c,$(wildcard dataplane/sip/*.c))
FUZZ_LIBS_fuzz_sip_parse := -lxxhash
FUZZ_DEPS_fuzz_cfg       := $(wildcard config/*.c)
FUZZ_DEPS_fuzz_msg_decode := proto/msg_codec.c $(PROTO_GEN_C)
FUZZ_LIBS_fuzz_msg_decode := -lprotobuf-c -lcrypto
FUZZ_DEPS_fuzz_reg_auth  := dataplane/registrar/reg_auth.c $(FUZZ_DEPS_fuzz_sip_parse)
FUZZ_LIBS_fuzz_reg_auth  := -lxxhash -lcrypto
FUZZ_DEPS_fuzz_reg_pack  := dataplane/registrar/reg_pack.c
FUZZ_CFLAGS := -std=gnu11 -O1 -g -I. -I$(BUILD)/gen -fsanitize=fuzzer,address,undefined \
               -fno-sanitize-recover=all
FUZZ_SECONDS ?= 600

# Quiet by default; make V=1 shows the commands.
ifeq ($(V),1)
Q :=
else
Q := @
endif

.PHONY: all test unit unit-bins demo fuzz clean deps install uninstall
all: $(PROGS) $(UNIT_BINS) $(BENCH_BINS)

# The packet path (dataplane/) is built at -O3, as DPDK builds itself: its
# parsers and registrar run 7-9 % fewer cycles per message than at -O2
# (docs/benchmarks.md). DP_OPT= keeps CFLAGS' level there too.
DP_OPT   ?= -O3
$(BUILD)/obj/dataplane/%.o: CFLAGS += $(DP_OPT)

# Rebuild everything when the flags change (SANITIZE on/off, CFLAGS=...).
FLAGS_STAMP := $(BUILD)/.flags
$(shell mkdir -p $(BUILD); echo '$(CC) $(CFLAGS) $(DP_OPT) $(LDFLAGS)' | cmp -s - $(FLAGS_STAMP) \
          || echo '$(CC) $(CFLAGS) $(DP_OPT) $(LDFLAGS)' > $(FLAGS_STAMP))

$(BUILD)/obj/%.o: %.c $(FLAGS_STAMP) | $(PROTO_GEN_H)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/gen/%.pb-c.c $(BUILD)/gen/%.pb-c.h: %.proto
	@mkdir -p $(BUILD)/gen
	@$(if $(Q),echo "  PROTOC  $<")
	$(Q)protoc-c --c_out=$(BUILD)/gen $<
.SECONDARY: $(PROTO_GEN_C) $(PROTO_GEN_H)

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

define PROG_RULE
$(1): $(BUILD)/obj/$(PROG_$(notdir $(1)):.c=.o) $(LIB_OBJS)
	@$$(if $$(Q),echo "  LD      $$@")
	$$(Q)$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach p,$(PROGS),$(eval $(call PROG_RULE,$(p))))
# sipshard-gen's own modules (perf/gen_*.c besides its main) are linked into it only.
$(BUILD)/sipshard-gen: $(patsubst %.c,$(BUILD)/obj/%.o,$(filter-out perf/gen_main.c,$(wildcard perf/gen_*.c)))

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(LIB_OBJS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

$(BUILD)/perf/%: $(BUILD)/obj/perf/%.o $(LIB_OBJS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

.SECONDEXPANSION:
$(BUILD)/fuzz/%: tests/fuzz/%.c $$(FUZZ_DEPS_$$*) $$(wildcard config/*.h dataplane/sip/*.h proto/*.h) $(FLAGS_STAMP)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(shell pkg-config --cflags yaml-0.1) -o $@ $< \
	    $(FUZZ_DEPS_$*) $(FUZZ_LIBS_$*) $(if $(filter fuzz_cfg,$*),$(shell pkg-config --libs yaml-0.1))

deps:
	@scripts/deps.sh

# make test also runs the unit tests built with ASan/UBSan in $(BUILD)-san
# (tests/run.sh unit-san); the fuzzers are always built with them.
SAN_BUILD := $(BUILD)-san
test: deps
	@$(MAKE) --no-print-directory all $(FUZZ_BINS)
	@$(MAKE) --no-print-directory BUILD=$(SAN_BUILD) SANITIZE=address,undefined unit-bins
	@SAN_BUILD=$(SAN_BUILD) tests/run.sh

unit-bins: $(UNIT_BINS)

unit: all
	@tests/run.sh unit

demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh

fuzz: $(FUZZ_BINS)
	@for f in $(FUZZ_BINS); do n=$$(basename $$f); mkdir -p $(BUILD)/fuzz/corpus-$$n; \
	  echo "== $$n for $(FUZZ_SECONDS)s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) $(BUILD)/fuzz/corpus-$$n tests/fuzz/corpus/$$n || exit 1; done

clean:
	rm -rf $(BUILD) $(BUILD)-san

# Install: the programs, an example config, the systemd units (templates with the
# paths filled in), the operations docs. docs/operations.md tells the rest.
PREFIX     ?= /usr/local
SYSCONFDIR ?= /etc
BINDIR     ?= $(PREFIX)/bin
DOCDIR     ?= $(PREFIX)/share/doc/sipshard
UNITDIR    ?= $(PREFIX)/lib/systemd/system
INST_PROGS := sipshard-dp sipshard-cp sipshardctl sipshard-parse
INST_UNITS := $(patsubst dist/systemd/%.in,%,$(wildcard dist/systemd/*.in))
INST_DOCS  := README.md docs/operations.md docs/config.md docs/interfaces.md

install: $(addprefix $(BUILD)/,$(INST_PROGS))
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSCONFDIR)/sipshard $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR)
	install -m 0755 $^ $(DESTDIR)$(BINDIR)/
	install -m 0644 config/example.yaml $(DESTDIR)$(SYSCONFDIR)/sipshard/example.yaml
	@for u in $(INST_UNITS); do \
	  echo "sed dist/systemd/$$u.in > $(DESTDIR)$(UNITDIR)/$$u"; \
	  sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' \
	    dist/systemd/$$u.in > $(DESTDIR)$(UNITDIR)/$$u && chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; done
	install -m 0644 $(wildcard $(INST_DOCS)) $(DESTDIR)$(DOCDIR)/

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(INST_PROGS))
	rm -f $(addprefix $(DESTDIR)$(UNITDIR)/,$(INST_UNITS))
	rm -f $(DESTDIR)$(SYSCONFDIR)/sipshard/example.yaml
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/,$(notdir $(INST_DOCS)))
	-rmdir $(DESTDIR)$(DOCDIR) $(DESTDIR)$(SYSCONFDIR)/sipshard 2>/dev/null

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
