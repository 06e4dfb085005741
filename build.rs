//! Build script: gives the shared library its SONAME (cargo has no native support, rust-lang/cargo#5045).

fn main() {
    let major = env!("CARGO_PKG_VERSION_MAJOR");
    let minor = env!("CARGO_PKG_VERSION_MINOR");
    // cargo-c's rule: 0.y.z -> libbitgocho.so.0.y ; x.y.z (x >= 1) -> libbitgocho.so.x
    let soname = if major == "0" { format!("libbitgocho.so.0.{minor}") } else { format!("libbitgocho.so.{major}") };
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{soname}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
