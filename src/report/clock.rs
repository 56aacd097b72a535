//! Whether the machine's clock is synchronised (NTP): the one thing the reporter waits for
//! before it speaks HTTPS, since certificate checks need a sane clock. Events are recorded
//! whatever the clock says; they carry the answer (`clock_synced`).
//!
//! [`KernelClockSync`] asks the kernel (`adjtimex`): the clock is unsynchronised while the call
//! answers `TIME_ERROR` or the status has `STA_UNSYNC`, which is what systemd-timesyncd and
//! chrony clear once they have set it. In a container without a time daemon the kernel says
//! unsynchronised; set `report.wait_for_clock = false` there. [`SimulatedClockSync`] is set by
//! hand in tests.

use std::sync::atomic::{AtomicBool, Ordering};

/// The question itself is the store's: each recorded event keeps the answer.
pub use crate::store::ClockSync;

/// The kernel's view, through `adjtimex(2)` (read only: `modes = 0`).
#[derive(Debug, Default, Clone, Copy)]
pub struct KernelClockSync;

impl ClockSync for KernelClockSync {
    fn is_synchronised(&self) -> bool {
        // SAFETY: a zeroed timex with modes = 0 only reads the kernel's state into it.
        let mut timex: libc::timex = unsafe { std::mem::zeroed() };
        let state = unsafe { libc::adjtimex(&mut timex) };
        state >= 0 && state != libc::TIME_ERROR && timex.status & libc::STA_UNSYNC == 0
    }
}

/// A clock state set by hand.
#[derive(Debug, Default)]
pub struct SimulatedClockSync(AtomicBool);

impl SimulatedClockSync {
    pub fn new(synchronised: bool) -> SimulatedClockSync {
        SimulatedClockSync(AtomicBool::new(synchronised))
    }

    pub fn set(&self, synchronised: bool) {
        self.0.store(synchronised, Ordering::SeqCst);
    }
}

impl ClockSync for SimulatedClockSync {
    fn is_synchronised(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_simulated_clock_says_what_it_was_told() {
        let clock = SimulatedClockSync::new(false);
        assert!(!clock.is_synchronised());
        clock.set(true);
        assert!(clock.is_synchronised());
    }
}
