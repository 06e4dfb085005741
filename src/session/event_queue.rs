//! A bounded event queue with a level-triggered file descriptor, for delivering session events
//! to C callers' poll loops (libtorrent's alert queue, without its pitfalls).
//!
//! 1. Bounded: when full, further events are counted, not queued, and the next pop reports the
//!    count first (as a [`Popped::Dropped`]), so nothing is lost silently.
//! 2. Level-triggered: on Linux the fd is an eventfd that is readable exactly while events are
//!    pending (signalled on the 0 -> 1 transition, drained by the pop that empties the queue),
//!    so events queued before the caller registered the fd still wake its loop.
//! 3. Blocking wait with a timeout for simple loops.

use parking_lot::{Condvar, Mutex};
use std::collections::VecDeque;
use std::time::Duration;

/// What a pop returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Popped<T> {
    /// This many events were dropped because the queue was full (reported before later ones).
    Dropped(u64),
    /// An event.
    Event(T),
}

struct Inner<T> {
    queue: VecDeque<T>,
    dropped: u64,
}

/// A bounded multi-producer queue with a pollable fd.
pub struct EventQueue<T> {
    inner: Mutex<Inner<T>>,
    ready: Condvar,
    capacity: usize,
    fd: Option<EventFd>,
}

impl<T> EventQueue<T> {
    /// A queue holding at most `capacity` events (at least 1).
    pub fn new(capacity: usize) -> std::io::Result<Self> {
        Ok(EventQueue {
            inner: Mutex::new(Inner { queue: VecDeque::new(), dropped: 0 }),
            ready: Condvar::new(),
            capacity: capacity.max(1),
            fd: Some(EventFd::new()?),
        })
    }

    /// Queues an event, or counts it as dropped when the queue is full. Returns false if dropped.
    pub fn push(&self, event: T) -> bool {
        let mut inner = self.inner.lock();
        let was_empty = inner.queue.is_empty() && inner.dropped == 0;
        let queued = if inner.queue.len() >= self.capacity {
            inner.dropped += 1;
            false
        } else {
            inner.queue.push_back(event);
            true
        };
        if was_empty {
            if let Some(fd) = &self.fd {
                fd.signal();
            }
            self.ready.notify_all();
        }
        queued
    }

    /// Takes the next item without waiting.
    pub fn pop(&self) -> Option<Popped<T>> {
        let mut inner = self.inner.lock();
        let item = if inner.dropped > 0 {
            Some(Popped::Dropped(std::mem::take(&mut inner.dropped)))
        } else {
            inner.queue.pop_front().map(Popped::Event)
        };
        if inner.queue.is_empty() && inner.dropped == 0 {
            if let Some(fd) = &self.fd {
                fd.drain();
            }
        }
        item
    }

    /// Waits until an item is pending or `timeout` passes; true when one is pending.
    pub fn wait(&self, timeout: Duration) -> bool {
        let mut inner = self.inner.lock();
        if !inner.queue.is_empty() || inner.dropped > 0 {
            return true;
        }
        let _ = self.ready.wait_for(&mut inner, timeout);
        !inner.queue.is_empty() || inner.dropped > 0
    }

    /// The fd that is readable while events are pending (Unix only).
    pub fn raw_fd(&self) -> Option<i32> {
        self.fd.as_ref().map(|f| f.read_fd)
    }

    /// Number of events queued.
    pub fn len(&self) -> usize {
        self.inner.lock().queue.len()
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        let inner = self.inner.lock();
        inner.queue.is_empty() && inner.dropped == 0
    }
}

/// An eventfd on Linux, a non-blocking pipe elsewhere.
struct EventFd {
    read_fd: i32,
    write_fd: i32,
}

impl EventFd {
    #[cfg(target_os = "linux")]
    fn new() -> std::io::Result<Self> {
        // SAFETY: plain syscall with constant flags; the result is checked.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(EventFd { read_fd: fd, write_fd: fd })
    }

    #[cfg(not(target_os = "linux"))]
    fn new() -> std::io::Result<Self> {
        let mut fds = [0i32; 2];
        // SAFETY: fds is a valid two-element array for pipe to fill.
        if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        for fd in fds {
            // SAFETY: fd was just returned by pipe.
            unsafe {
                libc::fcntl(fd, libc::F_SETFL, libc::O_NONBLOCK);
                libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
            }
        }
        Ok(EventFd { read_fd: fds[0], write_fd: fds[1] })
    }

    fn signal(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a valid u64 to our own fd; errors (full pipe) are harmless.
        unsafe { libc::write(self.write_fd, (&one as *const u64).cast(), 8) };
    }

    fn drain(&self) {
        let mut buf = [0u8; 64];
        // SAFETY: reads into a valid local buffer from our own non-blocking fd until empty.
        while unsafe { libc::read(self.read_fd, buf.as_mut_ptr().cast(), buf.len()) } > 0 {}
    }
}

impl Drop for EventFd {
    fn drop(&mut self) {
        // SAFETY: we own these fds and close each once.
        unsafe {
            libc::close(self.read_fd);
            if self.write_fd != self.read_fd {
                libc::close(self.write_fd);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn readable(fd: i32) -> bool {
        let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
        // SAFETY: one valid pollfd, zero timeout.
        unsafe { libc::poll(&mut p, 1, 0) == 1 }
    }

    #[test]
    fn level_triggered_and_bounded() {
        let q = EventQueue::new(2).unwrap();
        let fd = q.raw_fd().unwrap();
        assert!(!readable(fd));
        assert!(q.push(1) && q.push(2));
        assert!(!q.push(3) && !q.push(4));
        assert!(readable(fd), "readable while pending");
        assert_eq!(q.pop(), Some(Popped::Dropped(2)));
        assert!(readable(fd));
        assert_eq!(q.pop(), Some(Popped::Event(1)));
        assert!(readable(fd));
        assert_eq!(q.pop(), Some(Popped::Event(2)));
        assert!(!readable(fd), "drained by the pop that empties the queue");
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn wait_wakes_on_push() {
        let q = std::sync::Arc::new(EventQueue::new(8).unwrap());
        assert!(!q.wait(Duration::from_millis(10)));
        let q2 = q.clone();
        let t = std::thread::spawn(move || q2.push(7));
        assert!(q.wait(Duration::from_secs(10)));
        t.join().unwrap();
        assert_eq!(q.pop(), Some(Popped::Event(7)));
    }
}
