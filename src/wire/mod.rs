//! The peer wire protocol, sans-I/O: handshake (BEP 3), messages (BEP 3, BEP 6 fast extension,
//! BEP 10 extension protocol, BEP 52 hashes), the extension handshake, BEP 9 metadata and BEP 11 peer exchange
//! messages. Everything here encodes into caller
//! buffers and decodes from borrowed bytes; no socket, clock or thread.

pub mod extended;
pub mod handshake;
pub mod message;
pub mod metadata;
pub mod mse;
pub mod pex;

pub use extended::ExtensionHandshake;
pub use handshake::{Handshake, HandshakeError, HANDSHAKE_LEN};
pub use message::{BlockRef, HashRange, Message, WireError, DEFAULT_MAX_MESSAGE_LEN};
