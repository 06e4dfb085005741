//! libbitgocho: a BitTorrent engine, tracker and .torrent toolkit with a C ABI.
//!
//! The Rust API is the one the command-line tools use; the C API in [`ffi`] is a thin skin
//! over it. See `docs/architecture.md` for the shape of the system.

#![deny(unsafe_op_in_unsafe_fn)]

pub mod announce;
pub mod bencode;
pub mod cli;
pub mod dht;
pub mod ffi;
pub mod fsutil;
pub mod metainfo;
pub mod session;
pub mod storage;
pub mod tls;
pub mod tracker;
pub mod wire;
