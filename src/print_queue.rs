//! The print queue: a thread of its own that prints tickets one after the other.
//!
//! The screen hands a ticket over and goes on; the result comes back through a callback on the
//! printer thread (the UI forwards it to its event loop). A slow or missing printer therefore
//! never freezes the screen, and two visitors tapping quickly get their tickets in order.
//!
//! It must not decide what is printed (that is `printer::slip`) nor how bytes reach the paper
//! (that is the `printer::Transport`).

use std::sync::mpsc;
use std::thread;

use crate::printer::{PrintError, PrintReport, TicketSlip, Transport};

type Done = Box<dyn FnOnce(Result<PrintReport, PrintError>) + Send>;

struct Job {
    slip: TicketSlip,
    name: String,
    done: Done,
}

/// Hands tickets to the printer thread.
pub struct PrintQueue {
    jobs: Option<mpsc::Sender<Box<Job>>>,
    worker: Option<thread::JoinHandle<()>>,
}

impl PrintQueue {
    /// Starts the printer thread with its transport.
    pub fn start(mut transport: Box<dyn Transport>) -> PrintQueue {
        let (jobs, queue) = mpsc::channel::<Box<Job>>();
        let worker = thread::Builder::new()
            .name("printer".into())
            .spawn(move || {
                log::info!("printer: {}", transport.describe());
                for job in queue {
                    let result = crate::printer::print_ticket(transport.as_mut(), &job.slip, &job.name);
                    match &result {
                        Ok(report) => log::info!("printed ticket {} ({} bytes)", job.name, report.bytes),
                        Err(e) => log::warn!("ticket {} was not printed: {e}", job.name),
                    }
                    (job.done)(result);
                }
            })
            .expect("the printer thread starts");
        PrintQueue { jobs: Some(jobs), worker: Some(worker) }
    }

    /// Queues a ticket; `done` runs on the printer thread once it is printed or has failed.
    pub fn print(
        &self,
        slip: TicketSlip,
        name: String,
        done: impl FnOnce(Result<PrintReport, PrintError>) + Send + 'static,
    ) {
        let job = Box::new(Job { slip, name, done: Box::new(done) });
        let Some(jobs) = &self.jobs else { return (job.done)(Err(PrintError::Stopped)) };
        if let Err(mpsc::SendError(job)) = jobs.send(job) {
            (job.done)(Err(PrintError::Stopped));
        }
    }
}

impl Drop for PrintQueue {
    /// Finishes the tickets already queued, then stops the thread.
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}
