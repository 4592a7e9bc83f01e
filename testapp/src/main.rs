//! The dynlog reference application.

fn main() {
    eprintln!("dynlog-testapp: the reference application is not built yet");
    std::process::exit(1);
}
