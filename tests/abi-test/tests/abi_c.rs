//! The ABI seen from Rust (src/decls.rs) equals include/bitgocho.h compiled as C.
#![allow(bad_style, clippy::all)]
use bitgocho as _;
use bitgocho_abi_test::*;
include!(concat!(env!("OUT_DIR"), "/abi_c.rs"));
