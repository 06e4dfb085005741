//! Shared pieces of the command-line tools: BitTornado's option syntax, help text and exit
//! handling. Each tool in `src/bin/` is a small `main` over these and the library API.

pub mod edit_tool;
pub mod makemeta;
pub mod options;
pub mod progress;

pub use options::{Opt, OptDefault, OptError, Parsed};

/// The version string printed by `--version`.
pub fn version_string() -> String {
    format!("bitgocho {} (BitTornado-compatible)", env!("CARGO_PKG_VERSION"))
}

/// The program name from `argv[0]`: basename without extension, as BitTornado printed it.
pub fn progname() -> String {
    std::env::args_os()
        .next()
        .map(std::path::PathBuf::from)
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "bitgocho".to_string())
}

/// How a tool ended: success, a usage error (exit 2) or a failure (exit 1), with a message.
#[derive(Debug)]
pub enum Exit {
    /// Wrong arguments: the message is printed, then the hint, and the tool exits 2.
    Usage(String),
    /// The work failed: `error: <message>` and exit 1.
    Failure(String),
}

impl From<OptError> for Exit {
    fn from(e: OptError) -> Self {
        Exit::Usage(e.to_string())
    }
}

/// Runs a tool body and turns its outcome into a process exit code, printing errors to stderr.
pub fn run(body: impl FnOnce() -> Result<(), Exit>) -> std::process::ExitCode {
    match body() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(Exit::Usage(msg)) => {
            eprintln!("error: {msg}");
            eprintln!("run with --help for parameter explanations");
            std::process::ExitCode::from(2)
        }
        Err(Exit::Failure(msg)) => {
            eprintln!("error: {msg}");
            std::process::ExitCode::from(1)
        }
    }
}

// btdownloadheadless / btlaunchmany (h/headless)
pub mod download;
pub mod headless;
pub mod launcher;
pub mod launchmany;
pub mod saveas;
pub mod signals;
pub mod status_block;
pub mod url_fetch;

// btdownloadcurses / btlaunchmanycurses (h/curses)
#[cfg(feature = "tui")]
pub mod tui;
