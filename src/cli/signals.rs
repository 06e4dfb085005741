//! SIGINT and SIGTERM as a flag: the long-running tools install [`install`] once, then poll
//! [`stop_requested`] from their main loop and shut down cleanly (announce `stopped`, save
//! state) instead of dying mid-write. The handler only stores to an atomic, which is
//! async-signal-safe.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

static STOP: AtomicBool = AtomicBool::new(false);
static LAST: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(signum: libc::c_int) {
    LAST.store(signum, Ordering::SeqCst);
    STOP.store(true, Ordering::SeqCst);
}

/// Why the stop handlers could not be installed.
#[derive(Debug, thiserror::Error)]
pub enum SignalError {
    /// `sigaction` refused the handler for this signal.
    #[error("cannot install a handler for signal {signal}: {source}")]
    Install {
        /// The signal number.
        signal: i32,
        /// The system error.
        source: std::io::Error,
    },
}

/// Installs handlers so that SIGINT and SIGTERM set the stop flag instead of killing the
/// process. Calling it again is harmless.
pub fn install() -> Result<(), SignalError> {
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: a zeroed sigaction is a valid "no flags, empty mask" value; the handler is an
        // `extern "C" fn(c_int)` that only touches atomics, so it is async-signal-safe.
        let rc = unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut())
        };
        if rc != 0 {
            return Err(SignalError::Install { signal, source: std::io::Error::last_os_error() });
        }
    }
    Ok(())
}

/// True once SIGINT or SIGTERM has arrived since [`install`] (or the last [`clear`]).
pub fn stop_requested() -> bool {
    STOP.load(Ordering::SeqCst)
}

/// The number of the last stop signal received, or 0.
pub fn last_signal() -> i32 {
    LAST.load(Ordering::SeqCst)
}

/// Forgets a received stop signal.
pub fn clear() {
    STOP.store(false, Ordering::SeqCst);
    LAST.store(0, Ordering::SeqCst);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigterm_sets_the_flag_instead_of_killing() {
        install().unwrap();
        clear();
        assert!(!stop_requested());
        // SAFETY: raise sends the signal to this thread; the installed handler only sets atomics.
        let rc = unsafe { libc::raise(libc::SIGTERM) };
        assert_eq!(rc, 0);
        assert!(stop_requested());
        assert_eq!(last_signal(), libc::SIGTERM);
        clear();
        assert!(!stop_requested());
    }
}
