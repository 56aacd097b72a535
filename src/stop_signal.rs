//! The request to stop: SIGTERM (from systemd or `kill`) and SIGINT (Ctrl-C), caught so the
//! kiosk can finish the ticket being printed and leave the store checkpointed instead of dying
//! mid-write.
//!
//! The signals are blocked in the calling thread, and so in every thread started after it, and
//! one thread waits for them with `sigwait` and calls the given hook: no async-signal-safety
//! rules to keep. [`StopSignal::catch`] must therefore be called before any other thread is
//! started (first thing in `loket run`). It must not do the stopping itself: the hook only
//! passes the word on (quit the event loop, wake the headless loop).

use std::sync::mpsc;

/// The signals that ask the kiosk to stop.
const STOP_SIGNALS: [libc::c_int; 2] = [libc::SIGTERM, libc::SIGINT];

/// Caught stop signals; created once per process.
pub struct StopSignal {
    received: mpsc::Receiver<i32>,
}

impl StopSignal {
    /// Blocks SIGTERM and SIGINT for this thread and all threads started after this call, and
    /// starts the thread that waits for them. `hook` runs on that thread for each one, after the
    /// signal is queued for [`StopSignal::wait`].
    pub fn catch(hook: impl Fn(i32) + Send + 'static) -> std::io::Result<StopSignal> {
        // SAFETY: sigset_t is plain data, initialised by sigemptyset before use; the calls only
        // read and write it and this thread's signal mask.
        let set = unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            for signal in STOP_SIGNALS {
                libc::sigaddset(&mut set, signal);
            }
            let error = libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            if error != 0 {
                return Err(std::io::Error::from_raw_os_error(error));
            }
            set
        };
        let (send, received) = mpsc::channel();
        std::thread::Builder::new().name("stop signal".into()).spawn(move || {
            loop {
                let mut signal: libc::c_int = 0;
                // SAFETY: `set` is a valid, initialised signal set; `signal` is a valid out pointer.
                if unsafe { libc::sigwait(&set, &mut signal) } != 0 {
                    continue;
                }
                log::info!("{} received: stopping", signal_name(signal));
                if send.send(signal).is_err() {
                    return;
                }
                hook(signal);
            }
        })?;
        Ok(StopSignal { received })
    }

    /// Waits up to `timeout` for a stop signal; `Some(signal)` when one came.
    pub fn wait(&self, timeout: std::time::Duration) -> Option<i32> {
        self.received.recv_timeout(timeout).ok()
    }
}

/// The usual name of a stop signal, for the log.
pub fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGTERM => "SIGTERM",
        libc::SIGINT => "SIGINT",
        _ => "a signal",
    }
}
