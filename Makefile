# libbitgocho: build, test and install.
#
#   make build                      release libraries (+ in-tree pkg-config file under target/)
#   make install PREFIX=/usr/local DESTDIR= [LIBDIR=] [INCLUDEDIR=]
#                                   installs what `make build` made; never runs cargo
#   make test                       the full suite (installs the tools it tests against)
PREFIX ?= /usr/local
DESTDIR ?=
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
CARGO ?= cargo

VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
VERSION_MAJOR := $(word 1,$(subst ., ,$(VERSION)))
VERSION_MINOR := $(word 2,$(subst ., ,$(VERSION)))
# Same rule as build.rs (cargo-c's): 0.y.z -> .so.0.y ; x.y.z -> .so.x
ifeq ($(VERSION_MAJOR),0)
SONAME_SUFFIX := 0.$(VERSION_MINOR)
else
SONAME_SUFFIX := $(VERSION_MAJOR)
endif
# What a static consumer links besides libbitgocho.a (`--print native-static-libs` on Linux);
# tests/c_api.rs proves it with a `pkg-config --static` build.
NATIVE_STATIC_LIBS ?= -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc

RELEASE := target/release
SO_REAL := libbitgocho.so.$(VERSION)
SO_NAME := libbitgocho.so.$(SONAME_SUFFIX)
ABI_TEST_ENV := CARGO_TARGET_DIR=target/abi-test

.PHONY: all build install uninstalled-pc test test-abi deps demo
all: build

build:
	$(CARGO) build --release
	$(MAKE) --no-print-directory uninstalled-pc

# In-tree pkg-config file and the SONAME link the dynamic loader looks for.
uninstalled-pc:
	@test -f $(RELEASE)/libbitgocho.so || { echo "error: $(RELEASE)/libbitgocho.so is missing: run 'make build' first" >&2; exit 1; }
	ln -sf libbitgocho.so $(RELEASE)/$(SO_NAME)
	mkdir -p target/pkgconfig
	sed -e 's|@LIBDIR@|$(CURDIR)/$(RELEASE)|' -e 's|@INCLUDEDIR@|$(CURDIR)/include|' \
	    -e 's|@VERSION@|$(VERSION)|' -e 's|@NATIVE_STATIC_LIBS@|$(NATIVE_STATIC_LIBS)|' \
	    pkgconfig/bitgocho-uninstalled.pc.in > target/pkgconfig/bitgocho-uninstalled.pc

install:
	@for f in $(RELEASE)/libbitgocho.so $(RELEASE)/libbitgocho.a include/bitgocho.h; do \
	    test -f $$f || { echo "error: $$f is missing: run 'make build' first (install never runs cargo)" >&2; exit 1; }; \
	done
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)
	install -m 0755 $(RELEASE)/libbitgocho.so $(DESTDIR)$(LIBDIR)/$(SO_REAL)
	ln -sf $(SO_REAL) $(DESTDIR)$(LIBDIR)/$(SO_NAME)
	ln -sf $(SO_NAME) $(DESTDIR)$(LIBDIR)/libbitgocho.so
	install -m 0644 $(RELEASE)/libbitgocho.a $(DESTDIR)$(LIBDIR)/libbitgocho.a
	install -m 0644 include/bitgocho.h $(DESTDIR)$(INCLUDEDIR)/bitgocho.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' -e 's|@NATIVE_STATIC_LIBS@|$(NATIVE_STATIC_LIBS)|' \
	    pkgconfig/bitgocho.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/bitgocho.pc

deps:
	bash tests/install-deps.sh

test: deps build
	$(CARGO) test --release --no-fail-fast
	$(MAKE) --no-print-directory test-abi

# ctest: the header against the Rust view of the ABI, as C and as C++ (own target dir: no lock
# contention with the main build).
test-abi:
	$(ABI_TEST_ENV) $(CARGO) test --manifest-path tests/abi-test/Cargo.toml

# The quick-start: a real transfer on loopback (file -> torrent -> embedded tracker -> seeder
# -> leecher -> byte-for-byte check), with nothing to set up.
demo:
	$(CARGO) build --release --bin bitgocho-demo
	./target/release/bitgocho-demo
