# Second-opinion API. `make run` and `make test` are the two commands a
# newcomer needs; both install what is missing first (Debian 12, as root).
SHELL := /bin/bash
CC ?= cc
BUILD := build
PKGS := libulfius jansson libpq libjwt libcrypto libmicrohttpd
CFLAGS_BASE := -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
               -Wformat=2 -Wno-format-nonliteral -fno-strict-aliasing -pthread
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lorcania -lyder
RELEASE_FLAGS := -O2 -g
SAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined

LIB_SRC := $(shell find internal -name '*.c' | sort)
SERVER_SRC := cmd/server/main.c
MINT_SRC := cmd/mint-token/main.c
UNIT_SRC := $(wildcard tests/unit/*.c)

.PHONY: all deps build build-san run stop db-start db-stop db-reset migrate seed test unit lint-spec \
        format format-check bench fuzz clean

all: build

deps:
	@scripts/deps.sh

build: $(BUILD)/cso-server $(BUILD)/mint-token

$(BUILD)/cso-server: $(LIB_SRC) $(SERVER_SRC) $(shell find internal -name '*.h')
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS_BASE) $(RELEASE_FLAGS) $(PKG_CFLAGS) -o $@ $(SERVER_SRC) $(LIB_SRC) $(PKG_LIBS)

$(BUILD)/mint-token: $(MINT_SRC)
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS_BASE) $(RELEASE_FLAGS) $(PKG_CFLAGS) -o $@ $(MINT_SRC) $(PKG_LIBS)

build-san: $(BUILD)/san/cso-server $(BUILD)/san/unit-tests

$(BUILD)/san/cso-server: $(LIB_SRC) $(SERVER_SRC) $(shell find internal -name '*.h')
	@mkdir -p $(BUILD)/san
	$(CC) $(CFLAGS_BASE) $(SAN_FLAGS) $(PKG_CFLAGS) -o $@ $(SERVER_SRC) $(LIB_SRC) $(PKG_LIBS)

$(BUILD)/san/unit-tests: $(LIB_SRC) $(UNIT_SRC) $(shell find internal tests/unit -name '*.h')
	@mkdir -p $(BUILD)/san
	$(CC) $(CFLAGS_BASE) $(SAN_FLAGS) $(PKG_CFLAGS) -Iinternal -o $@ $(UNIT_SRC) $(LIB_SRC) $(PKG_LIBS)

# --- the two commands ---------------------------------------------------------

run: deps build
	@scripts/run.sh

test: deps
	@$(MAKE) --no-print-directory build build-san
	@scripts/test.sh

# --- database helpers for `make run` -----------------------------------------

db-start:
	@scripts/pg.sh start
db-stop:
	@scripts/pg.sh stop
db-reset:
	@scripts/pg.sh reset
stop:
	@scripts/run.sh stop
migrate:
	@scripts/pg.sh migrate

lint-spec:
	@scripts/lint-spec.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h') $$(find internal cmd tests -name '*.[ch]')

format-check:
	@out=$$(clang-format --dry-run $$(find internal cmd tests bench -name '*.[ch]' 2>/dev/null) 2>&1); \
	  if [ -n "$$out" ]; then echo "$$out" | head -20; echo "clang-format: files need formatting"; exit 1; fi

bench: deps build
	@bench/run.sh

# libFuzzer targets (tests/fuzz): each runs FUZZ_SECONDS (default 60) from its
# seed corpus; `make test` replays the corpora without mutation.
fuzz: deps
	@scripts/fuzz.sh run

# The fuzz build (tests/fuzz/fuzz.mk) compiles and links as the server does.
fuzz-flags:
	@echo '$(PKG_CFLAGS)'
	@echo '$(PKG_LIBS)'

clean:
	rm -rf $(BUILD)
