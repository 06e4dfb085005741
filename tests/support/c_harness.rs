//! What the tests of the C ABI share (tests/c_api.rs, tests/tracker_embed.rs,
//! tests/python_binding.rs): the release libraries, `make install` into a scratch prefix,
//! `pkg-config` flags against it, compiling C/C++ with `-Wall -Wextra -Werror`, running the
//! programs (optionally under valgrind), and the function names the header declares.
//! Included with `#[path = "support/c_harness.rs"] mod c_harness;`; each test binary uses a part.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The path of a release library (`libbitgocho.so` or `.a`); fails loudly when it is not built.
pub fn release_library(name: &str) -> PathBuf {
    let path = root().join("target/release").join(name);
    assert!(
        path.exists(),
        "{} is missing: run `make build` (or `cargo build --release`) before this test; `make test` does it",
        path.display()
    );
    path
}

/// Fails loudly unless `make build` (or `cargo build --release`) has produced the libraries.
pub fn require_release_build() {
    for lib in ["libbitgocho.so", "libbitgocho.a"] {
        release_library(lib);
    }
}

/// Fails loudly, naming the Debian package, when a tool the test runs is not installed.
pub fn require_tool(tool: &str, package: &str) {
    let found =
        Command::new("sh").arg("-c").arg(format!("command -v {tool}")).output().is_ok_and(|o| o.status.success());
    assert!(found, "`{tool}` is not installed: apt-get install {package} (tests/install-deps.sh does)");
}

/// Runs `cmd`, failing with its output unless it exits 0.
pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed with {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A scratch directory under target/<test-binary>-test/ (fresh for each name).
pub fn scratch(name: &str) -> PathBuf {
    let area = format!("{}-test", env!("CARGO_CRATE_NAME").replace('_', "-"));
    let dir = root().join("target").join(area).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch directory");
    dir
}

/// The prefix `make install PREFIX=...` installed the release build into, once per test process.
pub fn prefix() -> &'static Path {
    static PREFIX: OnceLock<PathBuf> = OnceLock::new();
    PREFIX.get_or_init(|| {
        require_release_build();
        require_tool("make", "make");
        let prefix = scratch("prefix");
        run(Command::new("make")
            .arg("-s")
            .arg("-C")
            .arg(root())
            .arg("install")
            .arg(format!("PREFIX={}", prefix.display())));
        prefix
    })
}

/// `pkg-config <args> bitgocho` against the installed prefix, split into words.
pub fn pkg_config(args: &[&str]) -> Vec<String> {
    require_tool("pkg-config", "pkg-config");
    let out = run(Command::new("pkg-config")
        .args(args)
        .arg("bitgocho")
        .env("PKG_CONFIG_PATH", prefix().join("lib/pkgconfig"))
        .env_remove("PKG_CONFIG_LIBDIR"));
    String::from_utf8(out.stdout).expect("pkg-config output").split_whitespace().map(String::from).collect()
}

/// How a program is built.
#[derive(Clone, Copy, PartialEq)]
pub enum Build {
    /// Shared library, no instrumentation.
    Plain,
    /// Shared library, AddressSanitizer + UndefinedBehaviorSanitizer.
    Sanitized,
    /// Static libbitgocho.a (`pkg-config --static`).
    Static,
}

/// Compiles `sources` into `out` using only pkg-config's flags (plus warnings and sanitizers).
pub fn compile(sources: &[PathBuf], out: &Path, build: Build) {
    let cpp = sources.iter().any(|s| s.extension().is_some_and(|e| e == "cpp"));
    let (compiler, package) = if cpp { ("g++", "g++") } else { ("gcc", "gcc") };
    require_tool(compiler, package);
    let mut cmd = Command::new(compiler);
    cmd.args(if cpp { &["-std=c++17"][..] } else { &["-std=c11", "-Wpedantic"][..] });
    cmd.args(["-Wall", "-Wextra", "-Werror", "-g", "-O1"]);
    if build == Build::Sanitized {
        cmd.args(["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]);
    }
    cmd.args(sources).arg("-o").arg(out);
    cmd.args(pkg_config(&["--cflags"]));
    if build == Build::Static {
        for word in pkg_config(&["--static", "--libs"]) {
            if word == "-lbitgocho" {
                cmd.args(["-Wl,-Bstatic", "-lbitgocho", "-Wl,-Bdynamic"]);
            } else {
                cmd.arg(word);
            }
        }
    } else {
        cmd.args(pkg_config(&["--libs"]));
    }
    run(&mut cmd);
}

/// A command running `program` under valgrind (full leak check, tests/c/valgrind.supp), exiting
/// `error_exitcode` when valgrind finds errors.
pub fn valgrind(program: &Path, error_exitcode: u8) -> Command {
    require_tool("valgrind", "valgrind");
    let mut c = Command::new("valgrind");
    c.args(["-q", "--leak-check=full", "--errors-for-leak-kinds=definite,possible"])
        .arg(format!("--error-exitcode={error_exitcode}"))
        .arg(format!("--suppressions={}", root().join("tests/c/valgrind.supp").display()))
        .arg(program);
    c
}

/// Function names declared in the header (outside comments).
pub fn header_functions() -> BTreeSet<String> {
    let header = std::fs::read_to_string(root().join("include/bitgocho.h")).unwrap();
    let mut names = BTreeSet::new();
    for line in header.lines().filter(|l| !l.trim_start().starts_with('*') && !l.trim_start().starts_with("/*")) {
        for (pos, _) in line.match_indices("bitgocho_") {
            let rest = &line[pos..];
            let len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
            if rest[len..].starts_with('(') {
                names.insert(rest[..len].to_string());
            }
        }
    }
    names
}
