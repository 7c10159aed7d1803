# facteur - a thin wrapper around meson. See README.md.
BUILD ?= build
MESON ?= meson
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all deps demo test clang install install-check clean fuzz format check-format

all: $(BUILD)/build.ninja
	$(MESON) compile -C $(BUILD)

deps:
	./scripts/install-deps

$(BUILD)/build.ninja:
	$(MESON) setup $(BUILD) --prefix=$(PREFIX) -Dsanitize=true \
	    -Db_lundef=false -Dwerror=true

demo: deps all
	./scripts/demo

test: deps all clang
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	$(MESON) test -C $(BUILD) --print-errorlogs --num-processes 2

# The same tree built by clang with -Werror (build-clang/, no tests run):
# what gcc lets pass and clang warns about fails here.
clang: deps
	if [ ! -f build-clang/build.ninja ]; then \
	    CC=clang $(MESON) setup build-clang -Dwerror=true \
	        -Db_sanitize=none; \
	fi
	$(MESON) compile -C build-clang

# A release build in build-release/, installed under $(PREFIX) (inside
# $(DESTDIR) when set). An existing build-release/ is reconfigured, so a
# new PREFIX is honoured.
install:
	if [ -f build-release/build.ninja ]; then \
	    $(MESON) configure build-release --prefix=$(PREFIX); \
	else \
	    $(MESON) setup build-release --prefix=$(PREFIX) \
	        --buildtype=release -Db_sanitize=none; \
	fi
	$(MESON) compile -C build-release
	$(MESON) install -C build-release \
	    $(if $(DESTDIR),--destdir $(abspath $(DESTDIR)))

# make install into a scratch DESTDIR, then check what landed.
install-check:
	tests/install/check-install.sh

fuzz:
	CC=clang $(MESON) setup build-fuzz -Dfuzz=true \
	    -Db_sanitize=address,undefined -Db_lundef=false
	$(MESON) compile -C build-fuzz

format:
	git ls-files '*.c' '*.h' | xargs clang-format -i

# .clang-format on every C file of the tree
# (make test runs the same check as style-clang-format).
check-format:
	tests/check-format.sh .

clean:
	rm -rf $(BUILD) build-release build-fuzz build-clang
