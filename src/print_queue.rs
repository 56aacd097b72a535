//! The print queue: a thread of its own that prints tickets one after the other.
//!
//! The screen hands a ticket over and goes on; the result comes back through a callback on the
//! printer thread (the UI forwards it to its event loop). A slow or missing printer therefore
//! never freezes the screen, and two visitors tapping quickly get their tickets in order.
//!
//! Tickets issued or reprinted by staff (the web server, through a [`PrintHandle`]) go through
//! the same queue, so they print in turn and the printer's state is reported the same way.
//!
//! It must not decide what is printed (that is `printer::slip`) nor how bytes reach the paper
//! (that is the `printer::Transport`).

use std::sync::{Arc, Mutex, mpsc};
use std::thread;

use crate::printer::{PrintError, PrintReport, TicketSlip, Transport};

type Done = Box<dyn FnOnce(Result<PrintReport, PrintError>) + Send>;

/// Told the printer's state after every ticket: (state, detail). States are `ready`,
/// `no_paper`, `not_answering` (off, unplugged, port gone, timed out) and `fault`.
pub type OnState = Box<dyn Fn(&str, &str) + Send>;

/// The state a print result shows, as staff and the central system see it.
pub fn printer_state(result: &Result<PrintReport, PrintError>) -> &'static str {
    match result {
        Ok(_) => "ready",
        Err(PrintError::NoPaper { .. }) => "no_paper",
        Err(
            PrintError::NoAnswer { .. }
            | PrintError::DeviceMissing { .. }
            | PrintError::Open { .. }
            | PrintError::Serial { .. }
            | PrintError::Timeout { .. },
        ) => "not_answering",
        Err(_) => "fault",
    }
}

struct Job {
    slip: TicketSlip,
    name: String,
    done: Done,
}

/// Where jobs go while the printer thread runs; `None` once it is stopping.
type Jobs = Arc<Mutex<Option<mpsc::Sender<Box<Job>>>>>;

/// Hands tickets to the printer thread.
pub struct PrintQueue {
    jobs: Jobs,
    worker: Option<thread::JoinHandle<()>>,
}

/// Hands tickets to the same printer thread from elsewhere (the staff web server): its jobs
/// queue behind the kiosk's own, and are answered `Stopped` once the [`PrintQueue`] is dropped.
#[derive(Clone)]
pub struct PrintHandle {
    jobs: Jobs,
}

impl PrintHandle {
    /// Queues a ticket, like [`PrintQueue::print`].
    pub fn print(
        &self,
        slip: TicketSlip,
        name: String,
        done: impl FnOnce(Result<PrintReport, PrintError>) + Send + 'static,
    ) {
        send(&self.jobs, Box::new(Job { slip, name, done: Box::new(done) }));
    }
}

fn send(jobs: &Jobs, job: Box<Job>) {
    let jobs = jobs.lock().unwrap_or_else(|e| e.into_inner());
    let Some(sender) = jobs.as_ref() else { return (job.done)(Err(PrintError::Stopped)) };
    if let Err(mpsc::SendError(job)) = sender.send(job) {
        (job.done)(Err(PrintError::Stopped));
    }
}

impl PrintQueue {
    /// Starts the printer thread with its transport; `on_state` hears the printer's state
    /// after each ticket.
    pub fn start(mut transport: Box<dyn Transport>, on_state: OnState) -> PrintQueue {
        let (jobs, queue) = mpsc::channel::<Box<Job>>();
        let worker = thread::Builder::new()
            .name("printer".into())
            .spawn(move || {
                for job in queue {
                    let result = crate::printer::print_ticket(transport.as_mut(), &job.slip, &job.name);
                    match &result {
                        Ok(report) => log::info!("printed ticket {} ({} bytes)", job.name, report.bytes),
                        Err(e) => log::warn!("ticket {} was not printed: {e}", job.name),
                    }
                    let detail = result.as_ref().err().map(ToString::to_string).unwrap_or_default();
                    on_state(printer_state(&result), &detail);
                    (job.done)(result);
                }
            })
            .expect("the printer thread starts");
        PrintQueue { jobs: Arc::new(Mutex::new(Some(jobs))), worker: Some(worker) }
    }

    /// A handle that queues tickets on this printer too.
    pub fn handle(&self) -> PrintHandle {
        PrintHandle { jobs: self.jobs.clone() }
    }

    /// Queues a ticket; `done` runs on the printer thread once it is printed or has failed.
    pub fn print(
        &self,
        slip: TicketSlip,
        name: String,
        done: impl FnOnce(Result<PrintReport, PrintError>) + Send + 'static,
    ) {
        send(&self.jobs, Box::new(Job { slip, name, done: Box::new(done) }));
    }
}

impl Drop for PrintQueue {
    /// Finishes the tickets already queued, then stops the thread.
    fn drop(&mut self) {
        drop(self.jobs.lock().unwrap_or_else(|e| e.into_inner()).take());
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex, mpsc};
    use std::time::Duration;

    use super::*;
    use crate::printer::TicketSlip;

    /// Fails the first job with no paper, then prints.
    struct FlakyPrinter(u32);

    impl Transport for FlakyPrinter {
        fn send(&mut self, _: &str, _: &[u8]) -> Result<(), PrintError> {
            self.0 += 1;
            if self.0 == 1 { Err(PrintError::NoPaper { path: "/dev/test".into() }) } else { Ok(()) }
        }
        fn describe(&self) -> String {
            "flaky".into()
        }
    }

    fn slip(code: &str) -> TicketSlip {
        TicketSlip { code: code.into(), ..crate::printer::slip::tests::sample() }
    }

    #[test]
    fn tickets_print_in_order_and_report_the_printer_state() {
        let states = Arc::new(Mutex::new(Vec::new()));
        let seen = states.clone();
        let queue = PrintQueue::start(
            Box::new(FlakyPrinter(0)),
            Box::new(move |state, detail| seen.lock().unwrap().push((state.to_owned(), detail.to_owned()))),
        );
        let (tx, rx) = mpsc::channel();
        for code in ["E-001", "E-002"] {
            let tx = tx.clone();
            queue.print(slip(code), code.into(), move |r| tx.send((code, r.is_ok())).unwrap());
        }
        let results: Vec<_> = (0..2).map(|_| rx.recv_timeout(Duration::from_secs(10)).unwrap()).collect();
        assert_eq!(results, [("E-001", false), ("E-002", true)]);
        drop(queue);
        let states = states.lock().unwrap();
        assert_eq!(states[0].0, "no_paper");
        assert!(states[0].1.contains("out of paper"), "{:?}", states[0]);
        assert_eq!(states[1], ("ready".into(), "".into()));
    }
}
