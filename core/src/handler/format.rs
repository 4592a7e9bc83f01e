//! env_logger's format, for the console and file handlers.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::Utc;
use log::Record;

use super::lock;

/// The last write error of a formatted handler, since env_logger drops write errors.
#[derive(Default)]
pub(super) struct ErrorCell {
    /// Set with the error: lets a record that wrote fine skip the lock.
    pending: AtomicBool,
    error: Mutex<Option<io::Error>>,
}

impl ErrorCell {
    fn keep(&self, error: &io::Error) {
        *lock(&self.error) = Some(io::Error::new(error.kind(), error.to_string()));
        // Release: the error stored above is visible to whoever sees the flag.
        self.pending.store(true, Ordering::Release);
    }

    fn take(&self) -> Option<io::Error> {
        // Acquire pairs with the Release in `keep`.
        if self.pending.load(Ordering::Acquire) && self.pending.swap(false, Ordering::Acquire) {
            return lock(&self.error).take();
        }
        None
    }
}

/// A writer that keeps the last error it saw in an [`ErrorCell`].
struct ErrorSlot<W> {
    inner: W,
    error: Arc<ErrorCell>,
}

impl<W: Write> Write for ErrorSlot<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf).inspect_err(|e| self.keep(e))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush().inspect_err(|e| self.keep(e))
    }
}

impl<W> ErrorSlot<W> {
    fn keep(&self, error: &io::Error) {
        self.error.keep(error);
    }
}

/// Formats records as env_logger does (time, level, target, message) onto a writer.
///
/// On a terminal env_logger itself formats and colours. Elsewhere (files, pipes, a redirected
/// stderr) dynlog writes env_logger's default format itself, byte for byte (a test compares
/// the two): env_logger copies every record written to a pipe through an ANSI-stripping
/// stream, which costs about a quarter of an enabled record and strips nothing when there is
/// no colour.
pub(super) enum Formatted {
    Coloured {
        logger: env_logger::Logger,
        error: Arc<ErrorCell>,
    },
    Plain {
        writer: Mutex<Box<dyn Write + Send>>,
    },
}

impl Formatted {
    pub(super) fn new(writer: impl Write + Send + 'static, color: bool) -> Self {
        if !color {
            return Formatted::Plain {
                writer: Mutex::new(Box::new(writer)),
            };
        }
        let error = Arc::new(ErrorCell::default());
        let pipe = ErrorSlot {
            inner: writer,
            error: Arc::clone(&error),
        };
        let logger = env_logger::Builder::new()
            .filter_level(log::LevelFilter::Trace)
            .format_timestamp_millis()
            .write_style(env_logger::WriteStyle::Always)
            .target(env_logger::Target::Pipe(Box::new(pipe)))
            .build();
        Formatted::Coloured { logger, error }
    }

    pub(super) fn handle(&self, record: &Record<'_>) -> io::Result<()> {
        match self {
            Formatted::Coloured { logger, error } => {
                log::Log::log(logger, record);
                match error.take() {
                    Some(error) => Err(error),
                    None => Ok(()),
                }
            }
            Formatted::Plain { writer } => LINE.with(|line| match line.try_borrow_mut() {
                Ok(mut line) => write_plain(&mut line, record, writer),
                // A message whose Display logs to this handler again: a buffer of its own.
                Err(_) => write_plain(&mut Vec::new(), record, writer),
            }),
        }
    }
}

thread_local! {
    /// The line being formatted, reused from record to record.
    static LINE: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    /// The formatted second of the last timestamp, `2026-11-24T09:52:54`.
    static SECOND: std::cell::Cell<(i64, [u8; 19])> = const { std::cell::Cell::new((i64::MIN, [0; 19])) };
}

/// env_logger's default format with millisecond timestamps and no colour:
/// `[2026-11-24T09:52:54.412Z INFO  myapp::db] message`, continuation lines indented by 4.
fn write_plain(
    line: &mut Vec<u8>,
    record: &Record<'_>,
    writer: &Mutex<Box<dyn Write + Send>>,
) -> io::Result<()> {
    line.clear();
    let now = Utc::now();
    let second = now.timestamp();
    let (cached, mut text) = SECOND.get();
    if cached != second {
        let formatted = now.format("%Y-%m-%dT%H:%M:%S").to_string();
        text.copy_from_slice(&formatted.as_bytes()[..19]);
        SECOND.set((second, text));
    }
    line.push(b'[');
    line.extend_from_slice(&text);
    let millis = now.timestamp_subsec_millis();
    line.extend_from_slice(&[
        b'.',
        b'0' + (millis / 100) as u8,
        b'0' + (millis / 10 % 10) as u8,
        b'0' + (millis % 10) as u8,
        b'Z',
        b' ',
    ]);
    let level = record.level().as_str();
    line.extend_from_slice(level.as_bytes());
    line.extend_from_slice(&b"     "[level.len()..]);
    if !record.target().is_empty() {
        line.push(b' ');
        line.extend_from_slice(record.target().as_bytes());
    }
    line.extend_from_slice(b"] ");
    let message = line.len();
    match record.args().as_str() {
        Some(text) => line.extend_from_slice(text.as_bytes()),
        None => write!(line, "{}", record.args())?,
    }
    if line[message..].contains(&b'\n') {
        let body = line.split_off(message);
        for (i, part) in body.split(|&b| b == b'\n').enumerate() {
            if i > 0 {
                line.extend_from_slice(b"\n    ");
            }
            line.extend_from_slice(part);
        }
    }
    line.push(b'\n');
    let mut writer = lock(writer);
    writer.write_all(line)?;
    writer.flush()
}
