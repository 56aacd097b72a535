//! The appointment plan of a full site: 5,000 appointments (the protocol's limit) booked on a
//! real `loket-central` (SQLite, in this process), served to a kiosk on loopback, and taken in
//! on the kiosk's side (parsed, checked, kept).
//!
//! Run with `cargo bench --bench appointment_plan`. It prints the plan's size, the time to serve
//! it (200) and to answer a kiosk that already has it (304), each the median of 20, and the
//! kiosk's time to check and keep it. Goal: a full plan well under the 4 MiB a kiosk accepts,
//! served in under a second.

use std::sync::Arc;
use std::time::{Duration, Instant};

use loket::clock::SystemClock;
use loket::report::pull::{AppointmentPlanSink, CentralFiles};
use loket_central::InProcess;
use loket_central::store::CentralAppointment;
use loket_protocol::appointments::{
    APPOINTMENTS_PATH, AppointmentPlan, MAX_PLAN_APPOINTMENTS, MAX_PLAN_BYTES,
};

const ROUNDS: usize = 20;

/// Takes every plan (the help point's work is not measured here).
struct Taken;

impl AppointmentPlanSink for Taken {
    fn apply(&self, plan: AppointmentPlan) -> Result<usize, String> {
        Ok(plan.appointments.len())
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let central = InProcess::start_sqlite(dir.path(), Arc::new(SystemClock)).await.unwrap();
        let token = central.new_kiosk_token("bench-1", "Bench").await.unwrap();
        let store = central.store.clone();
        let booking = Instant::now();
        tokio::task::spawn_blocking(move || {
            let zone = jiff::tz::TimeZone::get("Europe/Brussels").unwrap();
            let first = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24);
            let today = jiff::Timestamp::now().to_zoned(zone.clone()).date().to_string();
            for i in 0..MAX_PLAN_APPOINTMENTS {
                let starts = first + jiff::SignedDuration::from_mins(i as i64 * 20);
                let appointment = CentralAppointment {
                    uid: uuid::Uuid::new_v4().to_string(),
                    site: "Bench".into(),
                    code: format!("{:06}", i * 7 + 100_000),
                    starts_at: starts.to_string(),
                    day: starts.to_zoned(zone.clone()).date().to_string(),
                    service: "email".into(),
                    desk: Some("desk-1".into()),
                    language: Some("nl".into()),
                    cancelled: false,
                    updated_at: jiff::Timestamp::now().to_string(),
                };
                assert!(store.book_appointment(&appointment, &today).unwrap());
            }
        })
        .await
        .unwrap();
        let booked = booking.elapsed();
        let http = loket_protocol::tls::client().build().unwrap();
        let url = format!("{}{APPOINTMENTS_PATH}", central.base_url());
        let (mut full, mut unchanged) = (Vec::new(), Vec::new());
        let (mut body, mut etag) = (Vec::new(), String::new());
        for _ in 0..ROUNDS {
            let started = Instant::now();
            let response = http.get(&url).bearer_auth(&token).send().await.unwrap();
            assert_eq!(response.status(), 200);
            etag = response.headers()["etag"].to_str().unwrap().to_owned();
            body = response.bytes().await.unwrap().to_vec();
            full.push(started.elapsed());
            let started = Instant::now();
            let response =
                http.get(&url).bearer_auth(&token).header("if-none-match", &etag).send().await.unwrap();
            assert_eq!(response.status(), 304);
            unchanged.push(started.elapsed());
        }
        let kiosk = tempfile::tempdir().unwrap();
        let files = CentralFiles::new(kiosk.path());
        let started = Instant::now();
        let held = files.install_plan(&body, "bench-1", &etag, &Taken).unwrap();
        let taken_in = started.elapsed();
        assert_eq!(held, MAX_PLAN_APPOINTMENTS);
        println!(
            "appointment plan of {MAX_PLAN_APPOINTMENTS} appointments (booked one by one in {booked:.1?}):"
        );
        println!(
            "  size {} bytes ({:.0} bytes each; a kiosk accepts up to {MAX_PLAN_BYTES})",
            body.len(),
            body.len() as f64 / MAX_PLAN_APPOINTMENTS as f64
        );
        println!("  served (200): median {:.1?} of {ROUNDS}", median(full));
        println!("  unchanged (304): median {:.1?} of {ROUNDS}", median(unchanged));
        println!("  kiosk: parsed, checked and kept in {taken_in:.1?}");
    });
}
