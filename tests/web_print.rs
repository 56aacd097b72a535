//! Tickets from staff on the kiosk's printer: issued with `"print": true` and reprinted, over
//! the real staff web server, through the kiosk's print queue to a simulated printer behind the
//! real driver's `Transport` trait.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use loket::config::ApiToken;
use loket::print_queue::PrintQueue;
use loket::printer::{PrintError, Transport};
use loket::web::print::Printer;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// One job that reached the paper: (job name, bytes).
type Job = (String, Vec<u8>);

/// The paper: every job that reached it; and whether it ran out.
#[derive(Clone, Default)]
struct Paper {
    printed: Arc<Mutex<Vec<Job>>>,
    out: Arc<AtomicBool>,
}

struct SimulatedPrinter(Paper);

impl Transport for SimulatedPrinter {
    fn send(&mut self, job_name: &str, bytes: &[u8]) -> Result<(), PrintError> {
        if self.0.out.load(Ordering::SeqCst) {
            return Err(PrintError::NoPaper { path: "/dev/serial0".into() });
        }
        self.0.printed.lock().unwrap().push((job_name.to_owned(), bytes.to_vec()));
        Ok(())
    }
    fn describe(&self) -> String {
        "simulated".into()
    }
}

struct Kiosk {
    web: common::web::WebServer,
    paper: Paper,
    token: String,
    _printer: PrintQueue,
}

async fn start() -> Kiosk {
    let paper = Paper::default();
    let printer = PrintQueue::start(Box::new(SimulatedPrinter(paper.clone())), Box::new(|_, _| {}));
    let handle = printer.handle();
    let token = loket::secret::new_token();
    let hash = loket::secret::hash(&token).unwrap();
    let web = common::web::start_web_with(
        |config| config.web.api_tokens.push(ApiToken { name: "phone desk".into(), token_hash: hash }),
        |state| state.with_printer(Printer::new(handle, None), Duration::from_secs(10)),
    )
    .await;
    Kiosk { web, paper, token, _printer: printer }
}

impl Kiosk {
    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let response = loket::tls::client()
            .build()
            .unwrap()
            .post(format!("{}{path}", self.web.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    fn printed(&self) -> Vec<Job> {
        self.paper.printed.lock().unwrap().clone()
    }
}

fn contains(bytes: &[u8], text: &str) -> bool {
    bytes.windows(text.len()).any(|w| w == text.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_issued_with_print_comes_out_of_the_kiosks_printer() {
    let kiosk = start().await;
    let (status, body) = kiosk.post("/api/v1/tickets", json!({"service": "email", "language": "nl"})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["print"], Value::Null, "not asked: not printed");
    assert!(kiosk.printed().is_empty());

    let (status, body) =
        kiosk.post("/api/v1/tickets", json!({"service": "email", "language": "ar", "print": true})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["print"], json!({"state": "printed", "reason": null, "printer": "ready"}));
    let code = body["ticket"]["code"].as_str().unwrap();
    let printed = kiosk.printed();
    assert_eq!(printed.len(), 1);
    assert!(printed[0].0.ends_with(code), "{}", printed[0].0);
    assert!(contains(&printed[0].1, code), "the slip shows {code}");
    assert!(!contains(&printed[0].1, "***"), "a first print is not marked as a reprint");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_printer_out_of_paper_is_answered_with_why_and_the_ticket_is_issued_all_the_same() {
    let kiosk = start().await;
    kiosk.paper.out.store(true, Ordering::SeqCst);
    let (status, body) =
        kiosk.post("/api/v1/tickets", json!({"service": "email", "language": "nl", "print": true})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["print"]["state"], "printer_not_ready");
    assert_eq!(body["print"]["printer"], "no_paper");
    assert!(body["print"]["reason"].as_str().unwrap().contains("out of paper"), "{body}");
    let id = body["ticket"]["id"].as_i64().unwrap();
    assert_eq!(kiosk.web.help_point.queue().waiting().filter(|t| t.id.0 == id).count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitors_ticket_is_reprinted_marked_as_a_reprint() {
    let kiosk = start().await;
    let first = kiosk.web.help_point.run(|hp| hp.take_ticket("email", "nl")).unwrap().unwrap().ticket;
    let second = kiosk.web.help_point.run(|hp| hp.take_ticket("email", "uk")).unwrap().unwrap().ticket;
    let (status, body) = kiosk.post(&format!("/api/v1/tickets/{}/print", second.id.0), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ticket"]["code"], second.code().as_str());
    assert_eq!(body["print"]["state"], "printed");
    let printed = kiosk.printed();
    assert_eq!(printed.len(), 1);
    let mark = loket_protocol::i18n::tr("nl", "REPRINT");
    assert!(contains(&printed[0].1, &format!("*** {mark} ***")), "marked {mark:?}");
    assert!(contains(&printed[0].1, &second.code()));

    // A visitor already served has no use for a ticket; an unknown one is not found.
    kiosk.web.help_point.run(|hp| hp.call_next("desk-1")).unwrap().unwrap();
    kiosk.web.help_point.run(|hp| hp.served("desk-1", None)).unwrap().unwrap();
    let (status, body) = kiosk.post(&format!("/api/v1/tickets/{}/print", first.id.0), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, _) = kiosk.post("/api/v1/tickets/9999/print", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(kiosk.printed().len(), 1, "nothing more printed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_without_a_printer_says_so() {
    let token = loket::secret::new_token();
    let hash = loket::secret::hash(&token).unwrap();
    let web = common::web::start_web(|config| {
        config.web.api_tokens.push(ApiToken { name: "phone desk".into(), token_hash: hash })
    })
    .await;
    let response = loket::tls::client()
        .build()
        .unwrap()
        .post(format!("{}/api/v1/tickets", web.base))
        .bearer_auth(&token)
        .json(&json!({"service": "email", "language": "nl", "print": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["print"]["state"], "printer_not_ready");
    assert_eq!(body["print"]["reason"], "this kiosk has no printer");
}
