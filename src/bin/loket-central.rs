//! `loket-central`: the organisation's central system (see `loket::central`).

fn main() -> std::process::ExitCode {
    loket::central::cli::main()
}
