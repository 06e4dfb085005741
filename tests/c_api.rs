//! The C API as C and C++ programs see it: `make install` into a temporary prefix, then the C
//! unit tests (tests/c/), the C example (examples/c/showmetainfo.c) and the C++ example
//! (examples/cpp/) are built with nothing but `pkg-config` and run, natively, under ASan/UBSan
//! and under valgrind; plus the installed layout, the SONAME, the exported symbols and a static
//! link. Needs the release libraries: `make test` builds them first (or run `make build`).

#[path = "support/c_harness.rs"]
mod c_harness;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use c_harness::{compile, header_functions, prefix, require_release_build, require_tool, root, run, scratch, Build};

fn corpus() -> PathBuf {
    root().join("tests/data/libtorrent-corpus")
}

/// Runs a built program against the installed library, optionally under valgrind.
fn exec(program: &Path, args: &[&Path], valgrind: bool) -> Output {
    let mut cmd = if valgrind { c_harness::valgrind(program, 99) } else { Command::new(program) };
    cmd.args(args).env("LD_LIBRARY_PATH", prefix().join("lib"));
    cmd.env("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0").env("UBSAN_OPTIONS", "print_stacktrace=1");
    cmd.output().unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()))
}

/// Asserts a program run succeeded, showing its output otherwise.
fn assert_ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed ({})\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The C unit tests and the arguments each one takes.
fn c_tests(dir: &Path) -> Vec<(PathBuf, Vec<PathBuf>)> {
    let mut tests: Vec<PathBuf> = std::fs::read_dir(root().join("tests/c"))
        .expect("tests/c exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "c"))
        .collect();
    tests.sort();
    assert!(tests.len() >= 4, "expected the C unit tests in tests/c, found {tests:?}");
    tests
        .into_iter()
        .map(|src| {
            let stem = src.file_stem().unwrap().to_string_lossy().into_owned();
            let args = match stem.as_str() {
                "test_metainfo" | "test_threads" => vec![corpus()],
                "test_editor" => vec![dir.join(format!("{stem}-scratch"))],
                _ => Vec::new(),
            };
            (src, args)
        })
        .collect()
}

fn run_c_tests(build: Build, valgrind: bool, dir_name: &str) {
    let dir = scratch(dir_name);
    for (src, args) in c_tests(&dir) {
        let stem = src.file_stem().unwrap().to_string_lossy().into_owned();
        let bin = dir.join(&stem);
        compile(&[src], &bin, build);
        for arg in &args {
            if arg.starts_with(&dir) {
                std::fs::create_dir_all(arg).unwrap();
            }
        }
        let args: Vec<&Path> = args.iter().map(PathBuf::as_path).collect();
        let out = exec(&bin, &args, valgrind);
        assert_ok(&out, &stem);
        assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("{stem}: ok")), "{stem} did not finish");
    }
}

#[test]
fn c_unit_tests_under_asan_and_ubsan() {
    run_c_tests(Build::Sanitized, false, "asan");
}

#[test]
fn c_unit_tests_under_valgrind() {
    run_c_tests(Build::Plain, true, "valgrind");
}

/// The C example, built once per process.
fn showmetainfo() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        // Named like the tool it imitates, so the banner line matches too.
        let bin = scratch("showmetainfo").join("btshowmetainfo");
        compile(&[root().join("examples/c/showmetainfo.c")], &bin, Build::Plain);
        bin
    })
}

fn corpus_torrents() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus())
        .expect("corpus exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "torrent"))
        .collect();
    files.sort();
    assert!(files.len() > 50, "libtorrent corpus is missing");
    files
}

/// Output and exit status, as one string.
fn transcript(out: &Output) -> String {
    format!(
        "{}--- stderr\n{}--- {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        out.status.code().unwrap_or(-1)
    )
}

const BTSHOWMETAINFO: Option<&str> = option_env!("CARGO_BIN_EXE_btshowmetainfo");

#[test]
fn showmetainfo_example_prints_what_btshowmetainfo_prints() {
    let Some(tool) = BTSHOWMETAINFO else {
        panic!("this package has no btshowmetainfo binary (src/bin/btshowmetainfo.rs) to compare with");
    };
    for file in corpus_torrents() {
        let ours = exec(showmetainfo(), &[&file], false);
        let theirs = Command::new(tool).arg(&file).output().expect("run btshowmetainfo");
        assert_eq!(transcript(&ours), transcript(&theirs), "outputs differ for {}", file.display());
    }
}

/// transmission-show's `Name:`, `Hash:` and file list for a v1 torrent.
fn transmission_fields(file: &Path) -> (String, String, Vec<String>) {
    require_tool("transmission-show", "transmission-cli");
    let out = run(Command::new("transmission-show").arg(file));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let field = |label: &str| {
        text.lines().find_map(|l| l.trim().strip_prefix(label)).unwrap_or_else(|| panic!("no {label} in {text}")).trim()
    };
    let files = text
        .split("\nFILES\n")
        .nth(1)
        .unwrap_or("")
        .lines()
        .filter_map(|l| l.trim().rsplit_once(" (").map(|(path, _)| path.to_string()))
        .collect();
    (field("Name:").to_string(), field("Hash:").to_string(), files)
}

#[test]
fn showmetainfo_example_agrees_with_transmission_show() {
    for name in ["sample.torrent", "base.torrent", "url_list2.torrent", "collection.torrent", "url_seed_multi.torrent"]
    {
        let file = corpus().join(name);
        let out = exec(showmetainfo(), &[&file], false);
        assert_ok(&out, "showmetainfo");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (t_name, t_hash, t_files) = transmission_fields(&file);
        assert!(text.contains(&format!("info hash.....: {t_hash}\n")), "{name}: hash {t_hash} not in\n{text}");
        let multi = text.contains("directory name: ");
        let label = if multi { "directory name: " } else { "file name.....: " };
        assert!(text.contains(&format!("{label}{t_name}\n")), "{name}: name {t_name} not in\n{text}");
        if multi {
            for f in t_files {
                let inner = f.strip_prefix(&format!("{t_name}/")).unwrap_or(&f).to_string();
                if !inner.starts_with(".pad") {
                    assert!(text.contains(&format!("   {inner} (")), "{name}: file {inner} not in\n{text}");
                }
            }
        }
    }
}

#[test]
fn showmetainfo_example_under_valgrind() {
    let files: Vec<PathBuf> =
        ["sample.torrent", "v2_multiple_files.torrent", "v2_hybrid.torrent", "missing_piece_len.torrent"]
            .iter()
            .map(|n| corpus().join(n))
            .collect();
    let args: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let plain = exec(showmetainfo(), &args, false);
    let checked = exec(showmetainfo(), &args, true);
    assert_eq!(checked.status.code(), Some(1), "valgrind found errors:\n{}", transcript(&checked));
    assert_eq!(plain.stdout, checked.stdout);
    assert!(String::from_utf8_lossy(&checked.stderr).contains("error: "), "the bad torrent was not reported");
}

#[test]
fn showmetainfo_links_statically() {
    require_tool("readelf", "binutils");
    let bin = scratch("static").join("btshowmetainfo");
    compile(&[root().join("examples/c/showmetainfo.c")], &bin, Build::Static);
    let dynamic = run(Command::new("readelf").arg("-d").arg(&bin));
    assert!(
        !String::from_utf8_lossy(&dynamic.stdout).contains("libbitgocho"),
        "static build still needs libbitgocho.so"
    );
    let file = corpus().join("sample.torrent");
    let out = Command::new(&bin).arg(&file).env_remove("LD_LIBRARY_PATH").output().expect("run static build");
    assert_ok(&out, "static showmetainfo");
    assert_eq!(out.stdout, exec(showmetainfo(), &[&file], false).stdout);
}

/// Builds the C++ example and a directory of files to make a torrent of.
fn cpp_example(dir: &Path) -> (PathBuf, PathBuf) {
    let bin = dir.join("maketorrent");
    compile(&[root().join("examples/cpp/maketorrent.cpp")], &bin, Build::Plain);
    let data = dir.join("payload");
    std::fs::create_dir_all(data.join("sub")).unwrap();
    std::fs::write(data.join("a.bin"), (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect::<Vec<_>>()).unwrap();
    std::fs::write(data.join("sub/b.txt"), b"hello from the C++ example\n").unwrap();
    (bin, data)
}

/// The `key: value` lines the C++ example prints.
fn cpp_field(out: &Output, key: &str) -> String {
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}: ")))
        .unwrap_or_else(|| panic!("no {key} in {text}"))
        .into()
}

#[test]
fn cpp_example_makes_a_torrent_transmission_reads() {
    let dir = scratch("cpp");
    let (bin, data) = cpp_example(&dir);
    let torrent = dir.join("out.torrent");
    let announce = Path::new("http://tracker.example/announce");
    let out = exec(&bin, &[&data, announce, &torrent], false);
    assert_ok(&out, "maketorrent");
    let (name, hash, files) = transmission_fields(&torrent);
    assert_eq!(cpp_field(&out, "name"), name);
    assert_eq!(cpp_field(&out, "info hash"), hash);
    assert_eq!(files.len(), 2, "transmission-show lists {files:?}");
    assert_eq!(cpp_field(&out, "files"), "2");

    let checked = exec(&bin, &[&data, announce, &dir.join("again.torrent")], true);
    assert_ok(&checked, "maketorrent under valgrind");
    assert_eq!(std::fs::read(&torrent).unwrap(), std::fs::read(dir.join("again.torrent")).unwrap());
}

#[test]
fn cpp_example_hybrid_torrent_matches_libtorrent() {
    let dir = scratch("cpp-hybrid");
    let (bin, data) = cpp_example(&dir);
    let torrent = dir.join("hybrid.torrent");
    let out = exec(&bin, &[&data, Path::new("udp://tracker.example:6969"), &torrent, Path::new("hybrid")], false);
    assert_ok(&out, "maketorrent hybrid");
    assert!(
        Command::new("/usr/bin/python3").args(["-c", "import libtorrent"]).output().is_ok_and(|o| o.status.success()),
        "python3-libtorrent is not installed: apt-get install python3-libtorrent (tests/install-deps.sh does)"
    );
    let script = "import sys, libtorrent as lt\nti = lt.torrent_info(sys.argv[1])\nprint(ti.name(), ti.info_hashes().v1, ti.num_files())";
    let lt = run(Command::new("/usr/bin/python3").args(["-c", script]).arg(&torrent));
    let expect = format!("{} {} {}\n", cpp_field(&out, "name"), cpp_field(&out, "info hash"), cpp_field(&out, "files"));
    assert_eq!(String::from_utf8_lossy(&lt.stdout), expect);
}

#[test]
fn cpp_example_reports_errors_with_the_library_message() {
    let dir = scratch("cpp-errors");
    let (bin, _) = cpp_example(&dir);
    let missing = dir.join("does-not-exist");
    let out = exec(&bin, &[&missing, Path::new("http://t/"), &dir.join("x.torrent")], false);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("input/output error") && err.contains("does-not-exist"), "unexpected error text: {err}");
    assert!(!dir.join("x.torrent").exists());
}

#[test]
fn exported_symbols_equal_header_and_abi_declarations() {
    require_release_build();
    require_tool("nm", "binutils");
    let out = run(Command::new("nm").args(["-D", "--defined-only"]).arg(root().join("target/release/libbitgocho.so")));
    let exported: BTreeSet<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            let (_, kind, name) = (parts.next()?, parts.next()?, parts.next()?);
            (kind != "A").then(|| name.split('@').next().unwrap().to_string())
        })
        .collect();
    let stray: Vec<&String> = exported.iter().filter(|s| !s.starts_with("bitgocho_")).collect();
    assert!(stray.is_empty(), "exported symbols without the bitgocho_ prefix: {stray:?}");
    let header = header_functions();
    assert!(header.len() >= 50, "too few header functions: {}", header.len());
    assert_eq!(exported, header, "exports and header functions differ");
    let decls = std::fs::read_to_string(root().join("tests/abi-test/src/decls.rs")).unwrap();
    let declared: BTreeSet<String> =
        decls.split("pub fn ").skip(1).map(|rest| rest[..rest.find('(').unwrap()].to_string()).collect();
    assert_eq!(declared, header, "tests/abi-test/src/decls.rs does not declare exactly the header's functions");
}

#[test]
fn install_layout_soname_and_pkg_config_file() {
    require_release_build();
    require_tool("readelf", "binutils");
    let stage = scratch("destdir");
    run(Command::new("make").arg("-s").arg("-C").arg(root()).args([
        "install",
        &format!("DESTDIR={}", stage.display()),
        "PREFIX=/opt/bg",
        "LIBDIR=/opt/bg/lib64",
        "INCLUDEDIR=/opt/bg/inc",
    ]));
    let version = env!("CARGO_PKG_VERSION");
    let (major, minor) = (env!("CARGO_PKG_VERSION_MAJOR"), env!("CARGO_PKG_VERSION_MINOR"));
    let soname = if major == "0" { format!("libbitgocho.so.0.{minor}") } else { format!("libbitgocho.so.{major}") };
    let lib = stage.join("opt/bg/lib64");
    let real = lib.join(format!("libbitgocho.so.{version}"));
    assert!(real.is_file() && lib.join("libbitgocho.a").is_file() && stage.join("opt/bg/inc/bitgocho.h").is_file());
    assert_eq!(std::fs::read_link(lib.join(&soname)).unwrap(), PathBuf::from(format!("libbitgocho.so.{version}")));
    assert_eq!(std::fs::read_link(lib.join("libbitgocho.so")).unwrap(), PathBuf::from(&soname));
    let dynamic = run(Command::new("readelf").arg("-d").arg(&real));
    assert!(
        String::from_utf8_lossy(&dynamic.stdout).contains(&format!("Library soname: [{soname}]")),
        "SONAME is not {soname}"
    );
    let pc = std::fs::read_to_string(lib.join("pkgconfig/bitgocho.pc")).unwrap();
    for line in ["prefix=/opt/bg", "libdir=/opt/bg/lib64", "includedir=/opt/bg/inc", &format!("Version: {version}")] {
        assert!(pc.lines().any(|l| l == line), "bitgocho.pc lacks `{line}`:\n{pc}");
    }
    assert!(pc.contains("Libs.private: -l"), "bitgocho.pc has no Libs.private:\n{pc}");
    assert!(!pc.contains('@'), "unsubstituted template variable in bitgocho.pc:\n{pc}");
}

#[test]
fn install_refuses_to_run_without_built_libraries() {
    let stage = scratch("no-build");
    let out = Command::new("make")
        .arg("-s")
        .arg("-C")
        .arg(root())
        .arg("install")
        .arg(format!("RELEASE={}", stage.join("missing").display()))
        .arg(format!("PREFIX={}", stage.join("prefix").display()))
        .output()
        .expect("run make");
    assert!(!out.status.success(), "make install succeeded without libraries");
    assert!(String::from_utf8_lossy(&out.stderr).contains("run 'make build' first"));
    assert!(!stage.join("prefix").exists(), "make install created files before failing");
}
