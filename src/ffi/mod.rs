//! The C API: a thin skin over the Rust API, exported from `libbitgocho.so` / `.a` and declared
//! in `include/bitgocho.h` (generated from these files by cbindgen).
//!
//! Conventions (they hold for every function):
//! - Fallible functions return a `bitgocho_status`; outputs are written only on `BITGOCHO_OK`,
//!   and the failing call leaves a message for `bitgocho_last_error()` on its thread.
//! - NULL for a required pointer is `BITGOCHO_E_NULL_ARG`; infallible getters return a
//!   documented default instead. `*_free(NULL)` is a no-op; every handle has exactly one `_free`.
//! - Inputs come first, outputs last; a buffer is followed by its capacity and `size_t *out_len`.
//!   Strings out are NUL-terminated; `BITGOCHO_E_BUFFER_TOO_SMALL` puts the needed capacity in
//!   `*out_len` and changes nothing else. Outputs of unknown size come as `bitgocho_bytes`.
//! - No panic crosses the boundary: it becomes `BITGOCHO_E_PANIC`.
//!
//! One file per handle type; `abi` holds the types shared with the header and the ABI test.
//!
//! Adding a function: write it in its handle's `impl bitgocho_<x>` block with
//! `#[unsafe(no_mangle)] pub unsafe extern "C" fn`, a doc comment and a `# Safety` section, its
//! body inside `boundary!` (or `boundary_or!`) with `try_*!` argument checks; then run
//! `BITGOCHO_BLESS=1 cargo test --test header` and declare it in `tests/abi-test/src/decls.rs`
//! and `bindings/python/bitgocho/_ffi.py`. tests/header.rs, tests/c_api.rs, the ABI test and
//! tests/python_binding.rs fail until the header, the exports and both declarations agree.

#![allow(non_camel_case_types)]

pub mod abi;
pub mod add_params;
mod boundary;
mod buffer;
pub mod bytes;
pub mod event;
pub mod last_error;
pub mod metainfo;
pub mod metainfo_editor;
mod metainfo_editor_set;
mod metainfo_lists;
pub mod session;
pub mod settings;
pub mod status;
pub mod torrent;
pub mod version;
// --- tracker (h/trkffi)
pub mod peer_addr;
pub mod tracker;
mod tracker_requests;
