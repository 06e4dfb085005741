# libbitgocho: build, test and install.
PREFIX ?= /usr/local
DESTDIR ?=
CARGO ?= cargo

.PHONY: all test deps demo
all:
	$(CARGO) build --release

deps:
	bash tests/install-deps.sh

test: deps
	$(CARGO) build --release
	$(CARGO) test --release

demo:
	$(CARGO) build --release
