//! env_logger's format, for the console and file handlers.

use std::fmt;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
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
            Formatted::Plain { writer } => write_plain(record, writer),
        }
    }
}

thread_local! {
    /// The line being formatted, reused from record to record.
    static LINE: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    /// The formatted second of the last timestamp, `2026-11-24T09:52:54`.
    static SECOND: std::cell::Cell<(i64, [u8; 19])> = const { std::cell::Cell::new((i64::MIN, [0; 19])) };
}

/// Formats `record` into the thread's line buffer (or a buffer of its own when a message's
/// `Display` logs again) and hands the line to `write`.
pub(super) fn with_line<T>(
    record: &Record<'_>,
    format: impl Fn(&mut Vec<u8>, &Record<'_>) -> io::Result<()>,
    write: impl FnOnce(&[u8]) -> io::Result<T>,
) -> io::Result<T> {
    LINE.with(|line| match line.try_borrow_mut() {
        Ok(mut line) => {
            line.clear();
            format(&mut line, record)?;
            write(&line)
        }
        Err(_) => {
            let mut line = Vec::new();
            format(&mut line, record)?;
            write(&line)
        }
    })
}

/// `2026-11-24T09:52:54.412Z`, the second formatted once per thread and second. The clock is
/// read as seconds and milliseconds since the epoch: a calendar date is worked out only when the
/// second changes, not for every record.
fn timestamp(line: &mut Vec<u8>) {
    let (second, millis) = match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(since) => (since.as_secs() as i64, since.subsec_millis()),
        // A clock set before 1970.
        Err(_) => {
            let now = Utc::now();
            (now.timestamp(), now.timestamp_subsec_millis())
        }
    };
    let (cached, mut text) = SECOND.get();
    if cached != second {
        let at = DateTime::from_timestamp(second, 0).unwrap_or_default();
        let formatted = at.format("%Y-%m-%dT%H:%M:%S").to_string();
        text.copy_from_slice(&formatted.as_bytes()[..19]);
        SECOND.set((second, text));
    }
    line.extend_from_slice(&text);
    line.extend_from_slice(&[
        b'.',
        b'0' + (millis / 100 % 10) as u8,
        b'0' + (millis / 10 % 10) as u8,
        b'0' + (millis % 10) as u8,
        b'Z',
    ]);
}

/// The line buffer as a `fmt::Write`: formats straight into it, without `io::Write`'s adapter
/// and its error bookkeeping, since appending to a `Vec` cannot fail.
struct Line<'a>(&'a mut Vec<u8>);

impl fmt::Write for Line<'_> {
    #[inline]
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.0.extend_from_slice(text.as_bytes());
        Ok(())
    }
}

/// Writes each key-value as ` key=value`, as env_logger's `kv` feature does.
struct TextPairs<'a>(&'a mut Vec<u8>);

impl<'kvs> log::kv::VisitSource<'kvs> for TextPairs<'_> {
    fn visit_pair(
        &mut self,
        key: log::kv::Key<'kvs>,
        value: log::kv::Value<'kvs>,
    ) -> Result<(), log::kv::Error> {
        fmt::write(&mut Line(self.0), format_args!(" {key}={value}"))
            .map_err(|_| log::kv::Error::msg("a key-value's Display failed"))
    }
}

/// env_logger's default format with millisecond timestamps and no colour:
/// `[2026-11-24T09:52:54.412Z INFO  myapp::db] message user=42`, continuation lines indented
/// by 4.
pub(super) fn text(line: &mut Vec<u8>, record: &Record<'_>) -> io::Result<()> {
    line.push(b'[');
    timestamp(line);
    line.push(b' ');
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
        None => fmt::write(&mut Line(line), *record.args())
            .map_err(|_| io::Error::other("formatter error"))?,
    }
    let kvs = record.key_values();
    if kvs.count() > 0 {
        // A value whose Display fails leaves what it wrote, as for a message.
        let _ = kvs.visit(&mut TextPairs(line));
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
    Ok(())
}

/// Writes each key-value as a JSON member: numbers and booleans as themselves, anything else
/// as a string of its `Display`.
struct JsonPairs<'a> {
    line: &'a mut Vec<u8>,
    first: bool,
}

impl<'kvs> log::kv::VisitSource<'kvs> for JsonPairs<'_> {
    fn visit_pair(
        &mut self,
        key: log::kv::Key<'kvs>,
        value: log::kv::Value<'kvs>,
    ) -> Result<(), log::kv::Error> {
        if !self.first {
            self.line.push(b',');
        }
        self.first = false;
        json_string(self.line, key.as_str());
        self.line.push(b':');
        value.visit(JsonValue(self.line))
    }
}

struct JsonValue<'a>(&'a mut Vec<u8>);

impl<'v> log::kv::VisitValue<'v> for JsonValue<'_> {
    fn visit_any(&mut self, value: log::kv::Value<'_>) -> Result<(), log::kv::Error> {
        json_string(self.0, &value.to_string());
        Ok(())
    }
    fn visit_null(&mut self) -> Result<(), log::kv::Error> {
        self.0.extend_from_slice(b"null");
        Ok(())
    }
    fn visit_u64(&mut self, value: u64) -> Result<(), log::kv::Error> {
        write!(self.0, "{value}").map_err(log::kv::Error::boxed)
    }
    fn visit_i64(&mut self, value: i64) -> Result<(), log::kv::Error> {
        write!(self.0, "{value}").map_err(log::kv::Error::boxed)
    }
    fn visit_u128(&mut self, value: u128) -> Result<(), log::kv::Error> {
        write!(self.0, "{value}").map_err(log::kv::Error::boxed)
    }
    fn visit_i128(&mut self, value: i128) -> Result<(), log::kv::Error> {
        write!(self.0, "{value}").map_err(log::kv::Error::boxed)
    }
    fn visit_f64(&mut self, value: f64) -> Result<(), log::kv::Error> {
        // JSON has no NaN or infinity: those are written as strings.
        match serde_json::Number::from_f64(value) {
            Some(n) => write!(self.0, "{n}").map_err(log::kv::Error::boxed),
            None => {
                json_string(self.0, &value.to_string());
                Ok(())
            }
        }
    }
    fn visit_bool(&mut self, value: bool) -> Result<(), log::kv::Error> {
        self.0
            .extend_from_slice(if value { b"true" } else { b"false" });
        Ok(())
    }
    fn visit_str(&mut self, value: &str) -> Result<(), log::kv::Error> {
        json_string(self.0, value);
        Ok(())
    }
}

/// `text` as a JSON string, escaped by serde_json.
fn json_string(line: &mut Vec<u8>, text: &str) {
    // Writing a str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *line, text);
}

/// One JSON object a line: `{"ts":"2026-11-24T09:52:54.412Z","level":"INFO","target":"myapp",
/// "message":"paid","kv":{"user":42}}`. Valid JSON for any message and value: serde_json
/// escapes quotes, newlines and control characters.
pub(super) fn json(line: &mut Vec<u8>, record: &Record<'_>) -> io::Result<()> {
    line.extend_from_slice(b"{\"ts\":\"");
    timestamp(line);
    line.extend_from_slice(b"\",\"level\":\"");
    line.extend_from_slice(record.level().as_str().as_bytes());
    line.extend_from_slice(b"\",\"target\":");
    json_string(line, record.target());
    line.extend_from_slice(b",\"message\":");
    match record.args().as_str() {
        Some(text) => json_string(line, text),
        None => MESSAGE.with(|message| {
            let mut own = String::new();
            let mut message = message.try_borrow_mut();
            let text = match &mut message {
                Ok(text) => &mut **text,
                Err(_) => &mut own,
            };
            text.clear();
            let _ = fmt::write(text, *record.args());
            json_string(line, text);
        }),
    }
    line.extend_from_slice(b",\"kv\":{");
    let kvs = record.key_values();
    if kvs.count() > 0 {
        let mark = line.len();
        if kvs
            .visit(&mut JsonPairs {
                line: &mut *line,
                first: true,
            })
            .is_err()
        {
            // A value that failed half-written would leave the object broken: leave it empty.
            line.truncate(mark);
        }
    }
    line.extend_from_slice(b"}}\n");
    Ok(())
}

thread_local! {
    /// A message being formatted for JSON, reused from record to record.
    static MESSAGE: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Formats a plain record and writes it to `writer` at once.
fn write_plain(record: &Record<'_>, writer: &Mutex<Box<dyn Write + Send>>) -> io::Result<()> {
    with_line(record, text, |line| {
        let mut writer = lock(writer);
        writer.write_all(line)?;
        writer.flush()
    })
}
