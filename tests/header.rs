//! include/bitgocho.h is exactly what cbindgen renders from src/ffi/ with cbindgen.toml, and it
//! stays plain C99 with a documented declaration for every function.
//! `BITGOCHO_BLESS=1 cargo test --test header` rewrites the checked-in header.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The version macros, generated from Cargo.toml.
fn version_macros() -> String {
    let (major, minor, patch) =
        (env!("CARGO_PKG_VERSION_MAJOR"), env!("CARGO_PKG_VERSION_MINOR"), env!("CARGO_PKG_VERSION_PATCH"));
    format!(
        "\n/** Version of the header this program is compiled against (from Cargo.toml). */\n\
         #define BITGOCHO_VERSION \"{major}.{minor}.{patch}\"\n\
         /** Major version of the header. */\n#define BITGOCHO_VERSION_MAJOR {major}\n\
         /** Minor version of the header. */\n#define BITGOCHO_VERSION_MINOR {minor}\n\
         /** Patch version of the header. */\n#define BITGOCHO_VERSION_PATCH {patch}\n\
         /** The header version packed like bitgocho_version_number(): (major << 16) | (minor << 8) | patch. */\n\
         #define BITGOCHO_VERSION_NUMBER \
         ((BITGOCHO_VERSION_MAJOR << 16) | (BITGOCHO_VERSION_MINOR << 8) | BITGOCHO_VERSION_PATCH)\n"
    )
}

fn render() -> String {
    let mut config = cbindgen::Config::from_file(root().join("cbindgen.toml")).expect("cbindgen.toml is readable");
    config.after_includes = Some(version_macros());
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(root().join("src/ffi/mod.rs"))
        .generate()
        .expect("cbindgen renders the header");
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("header is UTF-8")
}

fn header_path() -> PathBuf {
    root().join("include/bitgocho.h")
}

#[test]
fn header_matches_cbindgen_output() {
    let rendered = render();
    let path = header_path();
    if std::env::var_os("BITGOCHO_BLESS").is_some() {
        std::fs::write(&path, &rendered).expect("write include/bitgocho.h");
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == rendered,
        "include/bitgocho.h is out of date with src/ffi/; run `BITGOCHO_BLESS=1 cargo test --test header` \
         and commit it"
    );
}

/// Declarations outside comments that need a doc comment: function prototypes (lines naming
/// `bitgocho_x(`) and `#define BITGOCHO_` constants (except the include guard). Each comes with
/// the previous non-blank line.
fn declarations(header: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut in_comment = false;
    let mut previous = "";
    for line in header.lines() {
        let t = line.trim();
        if in_comment || t.starts_with("/*") {
            in_comment = !t.ends_with("*/");
        } else if let Some(name) = declared_name(t) {
            out.push((name, previous.to_string()));
        }
        if !t.is_empty() {
            previous = t;
        }
    }
    out
}

/// The name a non-comment header line declares, if it is a function or a constant.
fn declared_name(line: &str) -> Option<String> {
    if let Some(rest) = line.strip_prefix("#define ") {
        let name = rest.split_whitespace().next()?;
        return (name.starts_with("BITGOCHO_") && name != "BITGOCHO_H").then(|| name.to_string());
    }
    if line.starts_with('#') {
        return None;
    }
    line.match_indices("bitgocho_").find_map(|(pos, _)| {
        let after = &line[pos..];
        let len = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(after.len());
        after[len..].starts_with('(').then(|| after[..len].to_string())
    })
}

fn read_header(path: &Path) -> String {
    std::fs::read_to_string(path).expect("include/bitgocho.h exists")
}

#[test]
fn every_function_and_constant_has_a_doc_comment() {
    let header = read_header(&header_path());
    let decls = declarations(&header);
    let functions = decls.iter().filter(|(n, _)| n.starts_with("bitgocho_")).count();
    assert!(functions >= 10, "header declares too few functions: {functions}");
    for (name, previous) in decls {
        assert!(previous.ends_with("*/"), "{name} has no doc comment in include/bitgocho.h");
    }
}

#[test]
fn header_is_plain_c99() {
    let header = read_header(&header_path());
    assert!(!header.contains("202311L"), "header uses C23-only constructs");
    assert!(header.contains("#ifndef BITGOCHO_H") && header.contains("extern \"C\""), "guard or cpp_compat missing");
    assert!(header.contains("typedef uint32_t bitgocho_status;"), "status is not a plain typedef");
}

#[test]
fn doc_check_catches_an_undocumented_function() {
    let text =
        "/** doc */\nint bitgocho_a(void);\n\nbitgocho_status bitgocho_b(int x,\n int y);\n#define BITGOCHO_C 1\n";
    let decls = declarations(text);
    let names: Vec<&str> = decls.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["bitgocho_a", "bitgocho_b", "BITGOCHO_C"]);
    assert!(decls[0].1.ends_with("*/") && !decls[1].1.ends_with("*/") && !decls[2].1.ends_with("*/"));
}
