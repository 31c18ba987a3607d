# libFuzzer targets (tests/fuzz/fuzz_<target>.c), built with clang and
# Debian's libclang-rt-14-dev. Run from the repository root through
# scripts/fuzz.sh (`make fuzz`, and the corpus regression in `make test`).
# The service code is compiled with coverage instrumentation plus ASan and
# UBSan (clang's UBSan also checks float-to-int conversions, which gcc's
# -fsanitize=undefined does not).
CLANG ?= clang
FUZZ_BUILD ?= build/fuzz
# scripts/fuzz.sh passes the server's own flags (`make fuzz-flags`), so a
# library a module adds to the Makefile is linked here too.
PKGS := libulfius jansson libpq libjwt libcrypto libmicrohttpd
FUZZ_PKG_CFLAGS ?= $(shell pkg-config --cflags $(PKGS))
FUZZ_LIBS ?= $(shell pkg-config --libs $(PKGS)) -lorcania -lyder
FUZZ_CFLAGS := -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
               -Wformat=2 -Wno-format-nonliteral -fno-strict-aliasing -pthread -O1 -g \
               -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined \
               $(FUZZ_PKG_CFLAGS) -Iinternal
LIB_SRC := $(sort $(shell find internal -name '*.c'))
LIB_HDR := $(shell find internal -name '*.h')
LIB_OBJ := $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(LIB_SRC))
TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))

all: $(addprefix $(FUZZ_BUILD)/fuzz_,$(TARGETS))

$(FUZZ_BUILD)/obj/%.o: %.c $(LIB_HDR)
	@mkdir -p $(@D)
	@echo "  CC fuzz $<"
	@$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_OBJ)
	@echo "  LD fuzz $@"
	@$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(LIB_OBJ) $(FUZZ_LIBS)

.PHONY: all
# The objects are shared by every target: keep them between builds.
.SECONDARY: $(LIB_OBJ)
