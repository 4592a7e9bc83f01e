//! [`ConsoleHandler`]: stderr or stdout, formatted as env_logger does.

use std::fmt;
use std::io::{self, IsTerminal, Write};

use log::Record;

use super::Handler;
use super::format::Formatted;

/// Writes to stderr or stdout, formatted by `env_logger`; coloured only on a terminal.
pub struct ConsoleHandler {
    out: Formatted,
}

impl ConsoleHandler {
    /// To standard error.
    pub fn stderr() -> Self {
        let color = io::stderr().is_terminal();
        ConsoleHandler {
            out: Formatted::new(io::stderr(), color),
        }
    }

    /// To standard output.
    pub fn stdout() -> Self {
        let color = io::stdout().is_terminal();
        ConsoleHandler {
            out: Formatted::new(io::stdout(), color),
        }
    }

    /// To any writer, formatted the same way without colour (for tests and benchmarks).
    pub fn to_writer(writer: impl Write + Send + 'static) -> Self {
        ConsoleHandler {
            out: Formatted::new(writer, false),
        }
    }
}

impl fmt::Debug for ConsoleHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsoleHandler").finish_non_exhaustive()
    }
}

impl Handler for ConsoleHandler {
    fn handle(&self, record: &Record<'_>) -> io::Result<()> {
        self.out.handle(record)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::handler::lock;
    use crate::handler::tests::record_at;

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            lock(&self.0).extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn console_formats_like_env_logger() {
        let out = Shared::default();
        let handler = ConsoleHandler::to_writer(out.clone());
        record_at(log::Level::Warn, "myapp::db", "slow query", |r| {
            handler.handle(r).unwrap()
        });
        let text = String::from_utf8(lock(&out.0).clone()).unwrap();
        assert!(text.starts_with('['), "{text}");
        assert!(text.contains("WARN  myapp::db] slow query"), "{text}");
        assert!(text.ends_with('\n'));
        assert!(
            !text.contains('\u{1b}'),
            "no colour off a terminal: {text:?}"
        );
    }

    /// The plain format is env_logger's default, byte for byte but for the instant.
    #[test]
    fn plain_lines_are_env_loggers_lines() {
        let ours = Shared::default();
        let handler = ConsoleHandler::to_writer(ours.clone());
        let theirs = Shared::default();
        let peer = env_logger::Builder::new()
            .filter_level(log::LevelFilter::Trace)
            .format_timestamp_millis()
            .write_style(env_logger::WriteStyle::Never)
            .target(env_logger::Target::Pipe(Box::new(theirs.clone())))
            .build();
        let cases = [
            (log::Level::Error, "myapp::db", "connection lost"),
            (log::Level::Warn, "a", "two\nlines\n"),
            (log::Level::Info, "", "no target"),
            (log::Level::Debug, "x::y", "unicode: été ✓"),
            (log::Level::Trace, "t", ""),
        ];
        for (level, target, message) in cases {
            record_at(level, target, message, |r| {
                handler.handle(r).unwrap();
                log::Log::log(&peer, r);
            });
        }
        let lines = |out: &Shared| String::from_utf8(lock(&out.0).clone()).unwrap();
        let (ours, theirs) = (lines(&ours), lines(&theirs));
        // `[` and a 24-character instant open each record; the rest is identical.
        let strip = |text: &str| -> Vec<String> {
            text.split_inclusive("\n[")
                .map(|record| {
                    let record = record.strip_prefix('[').unwrap_or(record);
                    assert_eq!(&record[4..5], "-", "{record}");
                    assert_eq!(&record[23..24], "Z", "{record}");
                    record[24..].to_string()
                })
                .collect()
        };
        assert_eq!(strip(&ours), strip(&theirs), "{ours}\n{theirs}");
        assert!(ours.contains("] two\n    lines\n    \n"), "{ours}");
    }
}
