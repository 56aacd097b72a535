//! The staff web server under load: how long "call next" takes through the API, and how long a
//! call takes to reach every board.
//!
//! Run with `cargo bench --bench web`. Set `LOKET_BENCH_DIR` to put the store on a particular
//! disk (default: the system's temp dir; `/dev/shm` shows the cost without the disk).
//! Goals: call-next p99 under 10 ms with 1,000 tickets waiting; 50 boards all see a call within
//! 100 ms. Each call commits once (one fsync), so the disk's fsync time is the floor.
//!
//! The server runs as in `loket run`: its own runtime with two workers on its own thread; the
//! clients run on another runtime.

use std::sync::Arc;
use std::time::{Duration, Instant};

use loket::clock::ManualClock;
use loket::config::Config;
use loket::help_point::{HelpPoint, queue_rules};
use loket::store::Store;
use loket::web::WebState;

const WAITING: usize = 1_000;
const CALLS: usize = 500;
const BOARDS: usize = 50;
const ROUNDS: usize = 20;

fn main() {
    let base = std::env::var_os("LOKET_BENCH_DIR").map(Into::into).unwrap_or_else(std::env::temp_dir);
    let dir = tempfile::tempdir_in(&base).expect("a temp dir for the store");
    let config = Config::sample();
    let clock = Arc::new(ManualClock::new("2026-11-30T08:00:00Z".parse().unwrap()));
    let store = Store::open(&dir.path().join("bench.sqlite")).expect("store");
    let mut hp = HelpPoint::open(queue_rules(&config), store, clock).expect("help point");
    // Enough that 1,000 still wait when the last call is made.
    for _ in 0..WAITING + CALLS + ROUNDS {
        hp.take_ticket("email", "nl").expect("ticket");
    }
    let owner = loket::owner::HelpPointOwner::start(hp).expect("the help point's thread");
    let state = WebState::new(owner.handle(), Arc::new(config));

    let server = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let listener = server.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || server.block_on(loket::web::serve(listener, state, std::future::pending())));

    let clients = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    clients.block_on(async move {
        let http = loket::tls::client().build().unwrap();
        let signed_in = http
            .post(format!("{base_url}/api/v1/session"))
            .json(&serde_json::json!({ "desk": "desk-1", "pin": "2468" }))
            .send()
            .await
            .expect("sign in");
        let cookie =
            signed_in.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
        let session: serde_json::Value = signed_in.json().await.unwrap();
        let csrf = session["csrf_token"].as_str().unwrap().to_owned();
        let call_next = || {
            http.post(format!("{base_url}/api/v1/desks/desk-1/call-next"))
                .header("cookie", &cookie)
                .header("x-csrf-token", &csrf)
                .send()
        };

        let mut times = Vec::with_capacity(CALLS);
        for _ in 0..CALLS {
            let start = Instant::now();
            let response = call_next().await.expect("call next");
            assert!(response.status().is_success());
            response.bytes().await.unwrap();
            times.push(start.elapsed());
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let pct = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
        println!(
            "call next through the API ({CALLS} calls, {WAITING}+ waiting, store in {}):",
            base.display()
        );
        println!(
            "  median {:.3} ms   p95 {:.3} ms   p99 {:.3} ms   max {:.3} ms   (goal: p99 < 10 ms)",
            ms(pct(0.5)),
            ms(pct(0.95)),
            ms(pct(0.99)),
            ms(times[times.len() - 1])
        );

        // 50 boards, each on its own connection, report every call they see.
        let (seen_tx, mut seen_rx) = tokio::sync::mpsc::unbounded_channel::<Instant>();
        for _ in 0..BOARDS {
            let mut stream = loket::tls::client()
                .build()
                .unwrap()
                .get(format!("{base_url}/api/v1/board/events"))
                .send()
                .await
                .expect("board");
            let seen_tx = seen_tx.clone();
            tokio::spawn(async move {
                while let Ok(Some(chunk)) = stream.chunk().await {
                    let calls = chunk.windows(11).filter(|w| w == b"event: call").count();
                    for _ in 0..calls {
                        let _ = seen_tx.send(Instant::now());
                    }
                }
            });
        }
        let mut rounds = Vec::with_capacity(ROUNDS);
        for _ in 0..ROUNDS {
            let start = Instant::now();
            call_next().await.expect("call next").bytes().await.unwrap();
            let mut last = start;
            for _ in 0..BOARDS {
                last = last.max(seen_rx.recv().await.expect("a board saw the call"));
            }
            rounds.push(last - start);
        }
        rounds.sort();
        println!(
            "a call reaching {BOARDS} boards over SSE ({ROUNDS} calls, from the press to the last board):"
        );
        println!(
            "  median {:.3} ms   max {:.3} ms   (goal: all within 100 ms)",
            ms(rounds[ROUNDS / 2]),
            ms(rounds[ROUNDS - 1])
        );
    });
}
