//! Kill -9 in the middle of issuing tickets: after a restart every ticket the kiosk reported
//! as issued is there, and no number was given twice.
//!
//! The test runs itself as a child process (same test binary, marked by an environment
//! variable) that issues tickets as fast as it can and prints each one once `take_ticket` has
//! returned; the parent kills it with SIGKILL mid-stream.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

use loket::clock::SystemClock;
use loket::config::Config;
use loket::help_point::{HelpPoint, queue_rules};
use loket::store::Store;

const CHILD: &str = "LOKET_CRASH_TEST_STORE";

fn open(path: &std::path::Path) -> HelpPoint {
    let config = Config::sample();
    HelpPoint::open(queue_rules(&config), Store::open(path).unwrap(), Arc::new(SystemClock)).unwrap()
}

#[test]
fn killed_while_issuing_loses_no_ticket_and_repeats_no_number() {
    if let Ok(path) = std::env::var(CHILD) {
        // The child: issue tickets until killed, reporting each one after it was stored.
        let mut hp = open(path.as_ref());
        let services = ["email", "appointment", "tablet"];
        for i in 0.. {
            let issued = hp.take_ticket(services[i % 3], "nl").unwrap();
            println!("issued {} {}", issued.ticket.id.0, issued.ticket.code());
        }
        return;
    }

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loket.sqlite");
    let mut reported = Vec::new();
    for round in 0..3 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "killed_while_issuing_loses_no_ticket_and_repeats_no_number",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut this_round = 0;
        for line in stdout.lines() {
            let line = line.unwrap();
            if let Some(rest) = line.strip_prefix("issued ") {
                let (id, code) = rest.split_once(' ').unwrap();
                reported.push((id.parse::<i64>().unwrap(), code.to_owned()));
                this_round += 1;
                // Kill at a different point each round, while it is busy issuing.
                if this_round == 40 + round * 17 {
                    child.kill().unwrap(); // SIGKILL: no destructor, no flush
                    break;
                }
            }
        }
        child.wait().unwrap();
        assert!(this_round >= 40, "the child issued tickets before it was killed");
    }

    let hp = open(&path);
    for (id, code) in &reported {
        let stored = hp.store().ticket(loket::queue::TicketId(*id)).unwrap();
        let stored =
            stored.unwrap_or_else(|| panic!("ticket {code} (id {id}) was reported but is not stored"));
        assert_eq!(&stored.code(), code);
    }
    let codes: Vec<String> = hp.queue().tickets().map(|t| t.code()).collect();
    let unique: HashSet<&String> = codes.iter().collect();
    assert_eq!(unique.len(), codes.len(), "no code twice");
    assert!(codes.len() >= reported.len(), "stored {} ≥ reported {}", codes.len(), reported.len());
    // Numbers continue after the last stored one, per prefix.
    let mut hp = hp;
    let next = hp.take_ticket("email", "nl").unwrap().ticket;
    let last_e =
        hp.queue().tickets().filter(|t| t.prefix == "E" && t.id != next.id).map(|t| t.number).max().unwrap();
    assert_eq!(next.number, last_e + 1);
}
