//! The tracker's network fronts: a mio HTTP/1.1 server and a BEP 15 UDP server sharing one
//! port number, one worker thread per core, each with its own `SO_REUSEPORT` sockets.
//!
//! The fronts are generic over [`HttpHandler`](crate::tracker::handler::HttpHandler) and
//! [`UdpHandler`](crate::tracker::handler::UdpHandler); the core needs nothing from here.

pub mod http_conn;
pub mod http_response;
pub mod outgoing;
pub mod server;
pub mod socket;
pub mod udp_server;
pub mod weblog;
mod worker;

pub use http_conn::{ConnLimits, HttpConn};
pub use server::{Front, FrontConfig, Handlers};
pub use weblog::{LogBuffer, WebLog};

use std::net::SocketAddr;

/// Why the fronts could not start.
#[derive(Debug, thiserror::Error)]
pub enum FrontError {
    /// A socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The poller could not be created.
    #[error("cannot create the event poller: {0}")]
    Poll(std::io::Error),
    /// A worker thread could not be started.
    #[error("cannot start a worker thread: {0}")]
    Thread(std::io::Error),
    /// Neither an HTTP nor a UDP handler was given.
    #[error("no handler given: nothing to serve")]
    NoHandler,
}
