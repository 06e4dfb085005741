//! Generates the ctest programs that compare src/decls.rs with include/bitgocho.h, once compiled
//! as C and once as C++ (which proves the header's `extern "C"` wrapping).

/// Opaque handle types: declared but incomplete in C, so they have no size to compare.
const OPAQUE: &[&str] = &[
    "bitgocho_bytes",
    "bitgocho_settings",
    "bitgocho_metainfo",
    "bitgocho_metainfo_editor",
    "bitgocho_tracker",
    // session, torrent, events
    "bitgocho_session",
    "bitgocho_torrent",
    "bitgocho_add_params",
    "bitgocho_event",
];

fn generator(language: ctest::Language) -> ctest::TestGenerator {
    let mut cfg = ctest::TestGenerator::new();
    cfg.header("bitgocho.h").include("../../include").language(language);
    cfg.skip_struct(|s| OPAQUE.contains(&s.ident()));
    cfg
}

fn main() {
    let mut c = generator(ctest::Language::C);
    ctest::generate_test(&mut c, "src/decls.rs", "abi_c.rs").expect("ctest generates the C ABI test");
    let mut cpp = generator(ctest::Language::CXX);
    ctest::generate_test(&mut cpp, "src/decls.rs", "abi_cpp.rs").expect("ctest generates the C++ ABI test");
    println!("cargo:rerun-if-changed=src/decls.rs");
    println!("cargo:rerun-if-changed=../../src/ffi/abi.rs");
    println!("cargo:rerun-if-changed=../../include/bitgocho.h");
}
