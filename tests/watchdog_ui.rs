//! The systemd watchdog is fed from the UI thread: while the kiosk's event loop turns, a fake
//! systemd hears WATCHDOG=1 three times per WatchdogSec; while the UI thread is stuck, it hears
//! nothing (so systemd would restart the kiosk); once it turns again, the pings come back.
//!
//! A real event loop on system time (Slint's testing backend) runs the wired kiosk; the
//! freeze is a callback that blocks the UI thread, as a deadlock or an endless loop would.
//! One test per file: the backend is set up once per process.

use std::os::unix::net::UnixDatagram;
use std::sync::Arc;
use std::time::{Duration, Instant};

use loket::clock::ManualClock;
use loket::config::Config;
use loket::watchdog::Systemd;

const WATCHDOG: Duration = Duration::from_millis(300);
const FROZEN: Duration = Duration::from_millis(1500);

#[test]
fn a_frozen_ui_thread_stops_the_watchdog_pings() {
    i_slint_backend_testing::init_integration_test_with_system_time();
    let dir = tempfile::tempdir().unwrap();
    let socket_path = dir.path().join("notify");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    let (send, received) = std::sync::mpsc::channel::<(Instant, String)>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        while let Ok(n) = socket.recv(&mut buf) {
            let _ = send.send((Instant::now(), String::from_utf8_lossy(&buf[..n]).into_owned()));
        }
    });

    let mut config = Config::sample();
    config.kiosk.data_dir = dir.path().join("data");
    config.speech = loket::config::Speech::Simulated;
    let clock = Arc::new(ManualClock::new("2026-11-30T09:00:00Z".parse().unwrap()));
    let parts = loket::setup::kiosk_parts(config, clock).unwrap();
    let window = loket::AppWindow::new().unwrap();
    let _kiosk = loket::ui::Kiosk::wire(&window, parts);
    let systemd = Systemd::to_socket(socket_path.to_str().unwrap(), Some(WATCHDOG)).unwrap();
    let _alive = systemd.keep_alive_from_ui("test".into());

    // 1 s alive, then the UI thread is stuck for 1.5 s, then 1 s alive again.
    let freeze = slint::Timer::default();
    let frozen_at = Arc::new(std::sync::Mutex::new(None::<(Instant, Instant)>));
    let frozen = frozen_at.clone();
    freeze.start(slint::TimerMode::SingleShot, Duration::from_secs(1), move || {
        let start = Instant::now();
        std::thread::sleep(FROZEN);
        *frozen.lock().unwrap() = Some((start, Instant::now()));
    });
    let quit = slint::Timer::default();
    quit.start(slint::TimerMode::SingleShot, Duration::from_millis(3500), || {
        slint::quit_event_loop().unwrap();
    });
    slint::run_event_loop().unwrap();

    let (freeze_start, freeze_end) = frozen_at.lock().unwrap().expect("the freeze ran");
    std::thread::sleep(Duration::from_millis(50));
    let messages: Vec<(Instant, String)> = received.try_iter().collect();
    assert!(messages.first().is_some_and(|m| m.1.starts_with("READY=1")), "READY=1 first: {messages:?}");
    let pings: Vec<Instant> = messages.iter().filter(|m| m.1 == "WATCHDOG=1").map(|m| m.0).collect();
    let before = pings.iter().filter(|&&t| t < freeze_start).count();
    let during =
        pings.iter().filter(|&&t| t > freeze_start + Duration::from_millis(20) && t < freeze_end).count();
    let after = pings.iter().filter(|&&t| t > freeze_end).count();
    assert!(before >= 6, "about 10 pings in the first second (every 100 ms): {before}");
    assert_eq!(during, 0, "no ping while the UI thread is stuck");
    assert!(after >= 6, "the pings come back once the event loop turns: {after}");
    // The longest silence is the freeze: longer than WatchdogSec, so systemd would have acted.
    let longest = pings.windows(2).map(|w| w[1] - w[0]).max().unwrap();
    assert!(longest >= FROZEN - Duration::from_millis(100) && longest > WATCHDOG, "{longest:?}");
}
