//! The ctypes binding under bindings/python: its unit tests pass against the release library
//! (with Debian's /usr/bin/python3, which has python3-libtorrent to compare with), none is
//! skipped, and bitgocho/_ffi.py declares every function of include/bitgocho.h.

#[path = "support/c_harness.rs"]
mod c_harness;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use c_harness::{header_functions, release_library, root};

#[test]
fn ffi_module_declares_every_header_function() {
    let ffi = std::fs::read_to_string(root().join("bindings/python/bitgocho/_ffi.py")).unwrap();
    let declared: BTreeSet<String> = ffi
        .lines()
        .filter_map(|l| l.trim().strip_prefix("\"bitgocho_"))
        .map(|rest| format!("bitgocho_{}", &rest[..rest.find('"').unwrap()]))
        .collect();
    let header = header_functions();
    let missing: Vec<&String> = header.difference(&declared).collect();
    let extra: Vec<&String> = declared.difference(&header).collect();
    assert!(missing.is_empty() && extra.is_empty(), "_ffi.py lacks {missing:?} and has unknown {extra:?}");
}

#[test]
fn python_unit_tests_pass() {
    let lib = release_library("libbitgocho.so");
    let python = PathBuf::from("/usr/bin/python3");
    assert!(python.exists(), "/usr/bin/python3 is missing: apt-get install python3 python3-libtorrent");
    let out = Command::new(python)
        .args(["-m", "unittest", "discover", "-v", "-s", "tests", "-t", "."])
        .current_dir(root().join("bindings/python"))
        .env("BITGOCHO_LIBRARY", &lib)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("run python3 -m unittest");
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "python tests failed:\n{report}");
    let ran: usize = report
        .lines()
        .find_map(|l| l.strip_prefix("Ran ").and_then(|r| r.split_whitespace().next()).and_then(|n| n.parse().ok()))
        .expect("unittest summary line");
    assert!(ran >= 10, "only {ran} python tests ran:\n{report}");
    assert!(!report.contains("skipped"), "python tests were skipped:\n{report}");
}
