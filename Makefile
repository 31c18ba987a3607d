# Second-opinion API. `make run` and `make test` are the two commands a
# newcomer needs; both install what is missing first (Debian 12, as root).
SHELL := /bin/bash
BUILD := build
# Objects live apart per build flavour, so switching between the release and
# the sanitizer build never recompiles the other.
OBJ_REL := $(BUILD)/obj/release
OBJ_SAN := $(BUILD)/obj/san

# Parallel by default (one job per core); `make JOBS=1 ...` to serialise.
# Sub-makes share the top-level jobserver instead.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
ifeq ($(MAKELEVEL),0)
MAKEFLAGS += -j$(JOBS)
endif
MAKEFLAGS += --no-print-directory

PKGS := libulfius jansson libpq libjwt libcrypto libmicrohttpd libcurl
CFLAGS_BASE := -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
               -Wformat=2 -Wno-format-nonliteral -fno-strict-aliasing -pthread
# Lazy (`=`): pkg-config is only asked when something is compiled, which is
# after `make run`/`make test` have installed the -dev packages.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libharu (PDF reports) ships no pkg-config file in Debian 12: link it by name.
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lorcania -lyder -lhpdf
RELEASE_FLAGS := -O2 -g
SAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
DEPFLAGS := -MMD -MP

LIB_SRC := $(sort $(shell find internal -name '*.c'))
SERVER_SRC := cmd/server/main.c
MINT_SRC := cmd/mint-token/main.c
UNIT_SRC := $(sort $(wildcard tests/unit/*.c))

obj = $(addprefix $(1)/,$(2:.c=.o))
REL_OBJS := $(call obj,$(OBJ_REL),$(LIB_SRC) $(SERVER_SRC) $(MINT_SRC))
SAN_OBJS := $(call obj,$(OBJ_SAN),$(LIB_SRC) $(SERVER_SRC) $(UNIT_SRC))

.PHONY: all deps build build-san run stop db-start db-stop db-reset migrate seed test test-shifted-clock unit lint-spec \
        format format-check bench soak clean

all: build

deps:
	@scripts/deps.sh

build: $(BUILD)/cso-server $(BUILD)/mint-token
build-san: $(BUILD)/san/cso-server $(BUILD)/san/unit-tests

# --- compiling ------------------------------------------------------------------
# A change of flags (say CC or an extra -D on the command line) must rebuild
# everything of that flavour: each object depends on a stamp that holds the
# exact command line, rewritten only when it differs.
REL_CMD = $(CC) $(CFLAGS_BASE) $(RELEASE_FLAGS) $(PKG_CFLAGS) $(CFLAGS)
SAN_CMD = $(CC) $(CFLAGS_BASE) $(SAN_FLAGS) $(PKG_CFLAGS) $(CFLAGS)

$(OBJ_REL)/.flags: FORCE
	@mkdir -p $(@D); echo '$(REL_CMD)' | cmp -s - $@ || echo '$(REL_CMD)' > $@
$(OBJ_SAN)/.flags: FORCE
	@mkdir -p $(@D); echo '$(SAN_CMD)' | cmp -s - $@ || echo '$(SAN_CMD)' > $@
FORCE:

$(OBJ_REL)/%.o: %.c $(OBJ_REL)/.flags
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(REL_CMD) $(DEPFLAGS) -c -o $@ $<

$(OBJ_SAN)/%.o: %.c $(OBJ_SAN)/.flags
	@mkdir -p $(@D)
	@echo "  CC san  $<"
	@$(SAN_CMD) $(EXTRA_INCLUDES) $(DEPFLAGS) -c -o $@ $<

# The unit tests include the modules as "module/module.h".
$(OBJ_SAN)/tests/unit/%.o: EXTRA_INCLUDES := -Iinternal

# --- linking --------------------------------------------------------------------
$(BUILD)/cso-server: $(call obj,$(OBJ_REL),$(SERVER_SRC) $(LIB_SRC))
	@echo "  LD      $@"
	@$(CC) $(CFLAGS_BASE) $(RELEASE_FLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/mint-token: $(call obj,$(OBJ_REL),$(MINT_SRC))
	@echo "  LD      $@"
	@$(CC) $(CFLAGS_BASE) $(RELEASE_FLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/san/cso-server: $(call obj,$(OBJ_SAN),$(SERVER_SRC) $(LIB_SRC))
	@mkdir -p $(@D)
	@echo "  LD san  $@"
	@$(CC) $(CFLAGS_BASE) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/san/unit-tests: $(call obj,$(OBJ_SAN),$(UNIT_SRC) $(LIB_SRC))
	@mkdir -p $(@D)
	@echo "  LD san  $@"
	@$(CC) $(CFLAGS_BASE) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

-include $(REL_OBJS:.o=.d) $(SAN_OBJS:.o=.d)

# --- the two commands -----------------------------------------------------------
# Sequential on purpose: the -dev packages must be there before anything is
# compiled, so the build runs in a sub-make started after deps.sh.

run:
	@scripts/deps.sh
	@$(MAKE) build
	@scripts/run.sh

test:
	@scripts/deps.sh
	@$(MAKE) build build-san
	@scripts/test.sh

# The same suite with every clock a year ahead (DAYS=N to choose): what a
# literal date would break on a later day shows up today.
DAYS ?= 365
test-shifted-clock:
	@scripts/deps.sh
	@$(MAKE) build build-san
	@scripts/test-shifted-clock.sh $(DAYS)

# --- database helpers for `make run` --------------------------------------------

db-start:
	@scripts/pg.sh start
db-stop:
	@scripts/pg.sh stop
db-reset:
	@scripts/pg.sh reset
stop:
	@scripts/run.sh stop
migrate:
	@scripts/pg.sh start
	@scripts/pg.sh migrate
seed:
	@scripts/pg.sh start
	@scripts/pg.sh seed

# --- checks ---------------------------------------------------------------------

unit: build-san
	@ASAN_OPTIONS=detect_leaks=1 $(BUILD)/san/unit-tests

lint-spec:
	@scripts/lint-spec.sh

C_FILES = $(shell find internal cmd tests bench -name '*.[ch]' 2>/dev/null | sort)

format:
	@clang-format -i $(C_FILES)

format-check:
	@out=$$(clang-format --dry-run $(C_FILES) 2>&1); \
	  if [ -n "$$out" ]; then echo "$$out" | head -20; echo "clang-format: files need formatting (make format)"; exit 1; fi

bench:
	@if [ -x bench/run.sh ]; then scripts/deps.sh && $(MAKE) build && bench/run.sh; \
	  else echo "bench: no benchmark in this tree yet (bench/run.sh)"; exit 1; fi

# libFuzzer targets (tests/fuzz): each runs FUZZ_SECONDS (default 60) from its
# seed corpus; `make test` replays the corpora without mutation.
fuzz: deps
	@scripts/fuzz.sh run

# The fuzz build (tests/fuzz/fuzz.mk) compiles and links as the server does.
fuzz-flags:
	@echo '$(PKG_CFLAGS)'
	@echo '$(PKG_LIBS)'

# Start-up, then the mixed scenario at 512 connections for 5 minutes: RSS at
# start and end (bench/README.md).
soak:
	@scripts/deps.sh && $(MAKE) build && BENCH_SOAK_ONLY=1 bench/run.sh

clean:
	rm -rf $(BUILD)
