# labelaudit — GNU make build. No autotools: this file is the build's documentation.
#
#   make              build ./labelaudit
#   make mpi          build ./labelaudit-mpi over Open MPI (mpirun -np N ./labelaudit-mpi audit ...)
#   make test         installs missing test packages, then cmocka unit tests +
#                     end-to-end tests on the real binary
#   make check        the same tests under AddressSanitizer + UBSan
#   make valgrind     end-to-end tests under valgrind memcheck
#   make bench        benchmarks (bench/*.sh), medians and ratios
#   make fuzz         libFuzzer targets, bounded time each (FUZZ_SECONDS)
#   make deps         install the Debian packages the build and tests need
#   make demo         deps + build + the whole pipeline on bundled data
#   make install      PREFIX=/usr/local

CC      ?= cc
PREFIX  ?= /usr/local
BUILD   ?= build
SAN     ?=

# Curated warnings (Lua/SQLite style): everything that catches real bugs, as errors.
WARN = -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wcast-align -Wstrict-prototypes \
       -Wmissing-prototypes -Wformat=2 -Wundef -Wvla -Wwrite-strings -Wimplicit-fallthrough \
       -Wno-unused-parameter

PKGS      = sqlite3 zlib jansson stb openblas libmicrohttpd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -pthread $(WARN) $(PKG_CFLAGS) -I.
LDLIBS  += $(PKG_LIBS) -lcsv -lm -pthread

ifeq ($(SAN),1)
CFLAGS  += -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

# The library, lowest layer first (include/labelaudit.h is its public API,
# api/ implements it over the stages); cli/ is the command layer over it.
MODULES  = util io audit checks metrics cv clean db report api
LIB_SRC  = $(wildcard $(addsuffix /*.c,$(MODULES)))
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/%.o)
PIC_OBJ  = $(LIB_SRC:%.c=$(BUILD)/pic/%.o)
CLI_SRC  = $(filter-out cli/main.c,$(wildcard cli/*.c))
CLI_OBJ  = $(CLI_SRC:%.c=$(BUILD)/%.o)
HEADERS  = $(wildcard */*.h)
SCHEMA   = $(sort $(wildcard schema/*.sql))

UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

DEB_PKGS = build-essential pkg-config libsqlite3-dev libcsv-dev libstb-dev libcmocka-dev \
           zlib1g-dev libopenblas-dev libjansson-dev libmicrohttpd-dev
# Open MPI for `make mpi` (issue 18); the default build never needs it.
MPI_DEB_PKGS = libopenmpi-dev openmpi-bin
TEST_DEB_PKGS = chromium tmux valgrind python3 python3-numpy python3-pandas python3-pytest python3-setuptools python3-pip dataset-fashion-mnist libxml2-utils sqlite3 curl nodejs clang libclang-rt-14-dev \
                r-base-core r-cran-mlbench r-cran-palmerpenguins python3-sklearn python3-pil

.PHONY: all mpi lib python test check valgrind bench fuzz deps test-deps demo example-data install clean units

all: labelaudit

labelaudit: $(BUILD)/labelaudit
	cp $< $@.new && mv -f $@.new $@

$(BUILD)/labelaudit: $(BUILD)/cli/main.o $(BUILD)/libla_cli.a $(BUILD)/liblabelaudit.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/liblabelaudit.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

# The command shells, apart from the library (the unit tests link them too).
$(BUILD)/libla_cli.a: $(CLI_OBJ)
	rm -f $@
	ar rcs $@ $^

# make mpi: ./labelaudit-mpi, the same sources compiled with mpicc and
# -DLA_MPI in build-mpi/, with mpi/ (the only code including mpi.h: the
# la_collective of util/la_coll.h over MPI, and main) and cli/main.c's
# dispatcher renamed la_cli_main. The default binary never links MPI.
MPICC     ?= mpicc
MPI_BUILD  = build-mpi
MPI_SRC    = $(wildcard mpi/*.c)
ifeq ($(MPI),1)
CFLAGS    += -DLA_MPI
endif

mpi:
	$(MAKE) BUILD=$(MPI_BUILD) CC=$(MPICC) MPI=1 $(MPI_BUILD)/labelaudit-mpi
	cp $(MPI_BUILD)/labelaudit-mpi labelaudit-mpi.new && mv -f labelaudit-mpi.new labelaudit-mpi

$(BUILD)/labelaudit-mpi: $(MPI_SRC:%.c=$(BUILD)/%.o) $(BUILD)/cli/main_mpi.o $(BUILD)/libla_cli.a $(BUILD)/liblabelaudit.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/cli/main_mpi.o: cli/main.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Wno-missing-prototypes -Dmain=la_cli_main -c -o $@ $<

# make lib: the shared library exports only the public API (LA_API in
# include/labelaudit.h); everything else is hidden.
lib: $(BUILD)/liblabelaudit.so $(BUILD)/liblabelaudit.a

# make python: the Python package in place (python/labelaudit with the shared
# library beside it): PYTHONPATH=python /usr/bin/python3 -c 'import labelaudit'
python: $(BUILD)/liblabelaudit.so
	cp $(BUILD)/liblabelaudit.so python/labelaudit/liblabelaudit.so.new && mv -f python/labelaudit/liblabelaudit.so.new python/labelaudit/liblabelaudit.so

$(BUILD)/liblabelaudit.so: $(PIC_OBJ)
	$(CC) -shared $(LDFLAGS) -Wl,-soname,liblabelaudit.so -o $@ $^ $(LDLIBS)

$(BUILD)/pic/%.o: %.c $(HEADERS) $(BUILD)/schema_sql.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC -fvisibility=hidden -I$(BUILD) -c -o $@ $<

$(BUILD)/%.o: %.c $(HEADERS) $(BUILD)/schema_sql.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -I$(BUILD) -c -o $@ $<

# The schema files are embedded in the binary: one C string per file, in order.
$(BUILD)/schema_sql.h: $(SCHEMA) tools/embed_schema.sh
	@mkdir -p $(BUILD)
	sh tools/embed_schema.sh $(SCHEMA) > $@.tmp && mv $@.tmp $@

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libla_cli.a $(BUILD)/liblabelaudit.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -I$(BUILD) $(LDFLAGS) -o $@ $< $(BUILD)/libla_cli.a $(BUILD)/liblabelaudit.a $(LDLIBS) $(shell pkg-config --libs cmocka)

# The public API's own test: sees only include/ and links only the shared
# library, as a program outside this repository would.
$(BUILD)/api/test_api: tests/api/test_api.c include/labelaudit.h $(BUILD)/liblabelaudit.so
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O2 -g -Wall -Wextra -Werror -Iinclude $(LDFLAGS) -o $@ $< -L$(BUILD) -llabelaudit -Wl,-rpath,$(CURDIR)/$(BUILD)

# cmocka tests of the public dataset-checks API, the same way (run by tests/run.sh)
$(BUILD)/tests/test_api_checks: tests/api/test_api_checks.c include/labelaudit.h $(BUILD)/liblabelaudit.so
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O2 -g -Wall -Wextra -Werror -D_DEFAULT_SOURCE -Iinclude $(LDFLAGS) -o $@ $< -L$(BUILD) -llabelaudit -Wl,-rpath,$(CURDIR)/$(BUILD) $(shell pkg-config --libs cmocka) -lm

units: $(UNIT_BIN) $(BUILD)/api/test_api $(BUILD)/tests/test_api_checks

# The README's test command: installs what the tests need when it is missing
# (apt-get, npm; a no-op when present), builds in a fresh make (so pkg-config
# sees the packages just installed), runs every test.
test: test-deps
	$(MAKE) labelaudit units $(BUILD)/liblabelaudit.so
	if command -v $(MPICC) >/dev/null 2>&1; then $(MAKE) mpi; fi
	LA_BIN=$(CURDIR)/$(BUILD)/labelaudit LA_BUILD=$(CURDIR)/$(BUILD) LA_MPI_BIN=$(CURDIR)/$(MPI_BUILD)/labelaudit-mpi \
	sh tests/run.sh

check: test-deps
	$(MAKE) BUILD=build-san SAN=1 build-san/labelaudit units-san
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	LA_BIN=$(CURDIR)/build-san/labelaudit LA_BUILD=$(CURDIR)/build-san LA_SANITIZED=1 sh tests/run.sh

units-san: $(UNIT_BIN) $(BUILD)/api/test_api $(BUILD)/tests/test_api_checks

valgrind: labelaudit
	LA_BIN=$(CURDIR)/$(BUILD)/labelaudit LA_BUILD=$(CURDIR)/$(BUILD) LA_VALGRIND=1 \
	LA_VALGRIND_EVERY=$${LA_VALGRIND_EVERY:-5} sh tests/run.sh e2e

bench: labelaudit
	sh bench/run.sh

fuzz:
	sh tests/fuzz/run.sh $${FUZZ_SECONDS:-30}

deps:
	@sh tools/deps.sh $(DEB_PKGS) $(MPI_DEB_PKGS)

test-deps:
	@sh tools/deps.sh $(DEB_PKGS) $(MPI_DEB_PKGS) $(TEST_DEB_PKGS)
	@sh tests/browser/serve_deps.sh

example-data:
	@sh tools/example_data.sh

demo:
	@sh tools/deps.sh $(DEB_PKGS) dataset-fashion-mnist
	$(MAKE) labelaudit
	sh tools/demo.sh

install: labelaudit
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 labelaudit $(DESTDIR)$(PREFIX)/bin/labelaudit

clean:
	rm -rf build build-san build-mpi labelaudit labelaudit-mpi python/labelaudit/liblabelaudit.so python/build python/*.egg-info
