# facteur - a thin wrapper around meson. See README.md.
BUILD ?= build
MESON ?= meson
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all deps demo test install clean fuzz format check-format

all: $(BUILD)/build.ninja
	$(MESON) compile -C $(BUILD)

deps:
	./scripts/install-deps

$(BUILD)/build.ninja:
	$(MESON) setup $(BUILD) --prefix=$(PREFIX) -Db_sanitize=address,undefined \
	    -Db_lundef=false -Dwerror=true

demo: deps all
	./scripts/demo

test: deps all
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	$(MESON) test -C $(BUILD) --print-errorlogs --num-processes 2

install:
	$(MESON) setup build-release --prefix=$(PREFIX) --buildtype=release \
	    -Db_sanitize=none 2>/dev/null || true
	$(MESON) compile -C build-release
	DESTDIR=$(DESTDIR) $(MESON) install -C build-release

fuzz:
	CC=clang $(MESON) setup build-fuzz -Dfuzz=true \
	    -Db_sanitize=address,undefined -Db_lundef=false
	$(MESON) compile -C build-fuzz

format:
	git ls-files '*.c' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) build-release build-fuzz
