//! Handlers: where records go. Built in code, named, never created by a config.

use std::collections::VecDeque;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use log::Record;
use serde::Serialize;

/// A destination for records, such as the console or a file.
///
/// # For implementors
///
/// `handle` is called on the logging thread, after the logger's and the handler's levels and
/// filters have passed; it should be quick and must not log (a record logged from inside a
/// handler would come back to it). Return I/O errors rather than panicking: the logger counts
/// them, reports them, and goes on with the other handlers.
pub trait Handler: Send + Sync + 'static {
    /// Writes one record.
    fn handle(&self, record: &Record<'_>) -> io::Result<()>;

    /// Flushes anything buffered.
    fn flush(&self) -> io::Result<()> {
        Ok(())
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Handler state is a writer or a buffer; a panic mid-write leaves it usable.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The last write error of a formatted handler, since env_logger drops write errors.
#[derive(Default)]
struct ErrorCell {
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
enum Formatted {
    Coloured {
        logger: env_logger::Logger,
        error: Arc<ErrorCell>,
    },
    Plain {
        writer: Mutex<Box<dyn Write + Send>>,
    },
}

impl Formatted {
    fn new(writer: impl Write + Send + 'static, color: bool) -> Self {
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

    fn handle(&self, record: &Record<'_>) -> io::Result<()> {
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

/// Discards every record (the seed's `null` handler).
#[derive(Debug, Default, Clone, Copy)]
pub struct NullHandler;

impl Handler for NullHandler {
    fn handle(&self, _record: &Record<'_>) -> io::Result<()> {
        Ok(())
    }
}

/// Appends to a file, formatted as the console is, without colour.
///
/// The file is opened on the first record. It is reopened when [`FileHandler::reopen`] is
/// called, after a write error, and when the path no longer names the open file (checked at
/// most once a second), so logrotate's move-and-create works without a signal.
pub struct FileHandler {
    path: PathBuf,
    file: Arc<Mutex<FileState>>,
    out: Formatted,
}

struct FileState {
    path: PathBuf,
    file: Option<File>,
    checked: Instant,
}

impl FileState {
    fn file(&mut self) -> io::Result<&mut File> {
        if self.checked.elapsed() >= Duration::from_secs(1) {
            self.checked = Instant::now();
            if self.file.is_some() && !self.still_at_path() {
                self.file = None;
            }
        }
        let file = match self.file.take() {
            Some(file) => file,
            None => OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)?,
        };
        Ok(self.file.insert(file))
    }

    #[cfg(unix)]
    fn still_at_path(&self) -> bool {
        use std::os::unix::fs::MetadataExt;
        let (Some(file), Ok(at_path)) = (&self.file, std::fs::metadata(&self.path)) else {
            return false;
        };
        file.metadata()
            .is_ok_and(|open| open.ino() == at_path.ino() && open.dev() == at_path.dev())
    }

    #[cfg(not(unix))]
    fn still_at_path(&self) -> bool {
        self.path.exists()
    }
}

struct FileWriter(Arc<Mutex<FileState>>);

impl Write for FileWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut state = lock(&self.0);
        let result = state.file().and_then(|file| file.write_all(buf));
        if result.is_err() {
            // Reopen on the next record: the file may have been removed or the disk freed.
            state.file = None;
        }
        result.map(|()| buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut lock(&self.0).file {
            Some(file) => file.flush(),
            None => Ok(()),
        }
    }
}

impl FileHandler {
    /// Appends to `path`, creating it on the first record.
    pub fn new(path: impl AsRef<Path>) -> Self {
        let path = path.as_ref().to_path_buf();
        let file = Arc::new(Mutex::new(FileState {
            path: path.clone(),
            file: None,
            checked: Instant::now(),
        }));
        let out = Formatted::new(FileWriter(Arc::clone(&file)), false);
        FileHandler { path, file, out }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Closes the file; the next record opens the path again.
    pub fn reopen(&self) {
        lock(&self.file).file = None;
    }
}

impl fmt::Debug for FileHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileHandler")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Handler for FileHandler {
    fn handle(&self, record: &Record<'_>) -> io::Result<()> {
        self.out.handle(record)
    }

    fn flush(&self) -> io::Result<()> {
        match &mut lock(&self.file).file {
            Some(file) => file.sync_data(),
            None => Ok(()),
        }
    }
}

/// A record as the memory handler keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CapturedRecord {
    /// Its place in this handler's sequence, from 1.
    pub seq: u64,
    /// When it was handled.
    pub at: DateTime<Utc>,
    /// Its level.
    pub level: crate::Level,
    /// Its target.
    pub target: String,
    /// Its formatted message.
    pub message: String,
}

/// The most bytes of a message the memory handler keeps: a longer one is cut at a character
/// boundary at or below it and ends with `… [truncated from N bytes]`, so that one huge message
/// (say, a username a client sent) cannot fill the ring or the live tail.
pub const MAX_MEMORY_MESSAGE: usize = 8 * 1024;

/// Formats a message, keeping at most [`MAX_MEMORY_MESSAGE`] bytes of it as it is written (a
/// huge message is never held whole) and counting the rest.
struct Truncating {
    kept: String,
    total: usize,
}

impl fmt::Write for Truncating {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.total += s.len();
        let room = MAX_MEMORY_MESSAGE.saturating_sub(self.kept.len());
        if room > 0 {
            let mut end = room.min(s.len());
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            self.kept.push_str(&s[..end]);
        }
        Ok(())
    }
}

/// `args` formatted, cut to [`MAX_MEMORY_MESSAGE`] bytes with a marker when longer.
fn bounded_message(args: &fmt::Arguments<'_>) -> String {
    let mut out = Truncating {
        kept: String::new(),
        total: 0,
    };
    // A `Display` impl that fails leaves what it wrote, as `to_string` would panic instead.
    let _ = fmt::write(&mut out, *args);
    if out.total > out.kept.len() {
        out.kept
            .push_str(&format!("… [truncated from {} bytes]", out.total));
    }
    out.kept
}

/// Keeps the most recent records in a bounded ring, for the admin's live tail and for tests.
///
/// Each message is kept to at most [`MAX_MEMORY_MESSAGE`] bytes, plus a marker saying how long
/// it was.
///
/// Read it with [`MemoryHandler::snapshot`] or [`MemoryHandler::since`], or follow it with
/// [`MemoryHandler::subscribe`]. Clones share one ring.
#[derive(Clone)]
pub struct MemoryHandler {
    inner: Arc<MemoryInner>,
}

struct MemoryInner {
    capacity: usize,
    ring: Mutex<Ring>,
}

struct Ring {
    records: VecDeque<CapturedRecord>,
    next_seq: u64,
    subscribers: Vec<SyncSender<CapturedRecord>>,
}

impl MemoryHandler {
    /// Keeps the last `capacity` records.
    pub fn new(capacity: usize) -> Self {
        MemoryHandler {
            inner: Arc::new(MemoryInner {
                capacity: capacity.max(1),
                ring: Mutex::new(Ring {
                    records: VecDeque::with_capacity(capacity.clamp(1, 4096)),
                    next_seq: 1,
                    subscribers: Vec::new(),
                }),
            }),
        }
    }

    /// The records kept, oldest first.
    pub fn snapshot(&self) -> Vec<CapturedRecord> {
        lock(&self.inner.ring).records.iter().cloned().collect()
    }

    /// The records kept whose sequence number is above `seq`, oldest first.
    pub fn since(&self, seq: u64) -> Vec<CapturedRecord> {
        let ring = lock(&self.inner.ring);
        ring.records
            .iter()
            .filter(|r| r.seq > seq)
            .cloned()
            .collect()
    }

    /// The messages kept, oldest first: handy in tests.
    pub fn messages(&self) -> Vec<String> {
        lock(&self.inner.ring)
            .records
            .iter()
            .map(|r| r.message.clone())
            .collect()
    }

    /// Forgets every record kept.
    pub fn clear(&self) {
        lock(&self.inner.ring).records.clear();
    }

    /// Records from now on, as they are handled. A subscriber that falls `buffer` records
    /// behind misses records rather than slowing the logging threads; one that is dropped is
    /// forgotten at the next record.
    pub fn subscribe(&self, buffer: usize) -> Receiver<CapturedRecord> {
        let (sender, receiver) = sync_channel(buffer.max(1));
        lock(&self.inner.ring).subscribers.push(sender);
        receiver
    }
}

impl fmt::Debug for MemoryHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryHandler")
            .field("capacity", &self.inner.capacity)
            .finish_non_exhaustive()
    }
}

impl Handler for MemoryHandler {
    fn handle(&self, record: &Record<'_>) -> io::Result<()> {
        let message = bounded_message(record.args());
        let mut ring = lock(&self.inner.ring);
        let captured = CapturedRecord {
            seq: ring.next_seq,
            at: Utc::now(),
            level: record.level().into(),
            target: record.target().to_string(),
            message,
        };
        ring.next_seq += 1;
        if ring.records.len() == self.inner.capacity {
            ring.records.pop_front();
        }
        ring.subscribers.retain(|s| {
            !matches!(
                s.try_send(captured.clone()),
                Err(TrySendError::Disconnected(_))
            )
        });
        ring.records.push_back(captured);
        Ok(())
    }
}

/// A handler as the logger holds it: the handler and its error count.
pub(crate) struct HandlerSlot {
    pub(crate) name: String,
    pub(crate) handler: Box<dyn Handler>,
    errors: AtomicU64,
    last_error: Mutex<Option<String>>,
}

impl HandlerSlot {
    pub(crate) fn new(name: String, handler: Box<dyn Handler>) -> Self {
        HandlerSlot {
            name,
            handler,
            errors: AtomicU64::new(0),
            last_error: Mutex::new(None),
        }
    }

    #[inline]
    pub(crate) fn handle(&self, record: &Record<'_>) {
        if let Err(error) = self.handler.handle(record) {
            // Relaxed: a statistic, read for display only.
            self.errors.fetch_add(1, Ordering::Relaxed);
            // try_lock: a failing handler must never make a logging thread wait.
            if let Ok(mut last) = self.last_error.try_lock() {
                *last = Some(error.to_string());
            }
        }
    }

    pub(crate) fn stats(&self) -> HandlerStats {
        HandlerStats {
            name: self.name.clone(),
            errors: self.errors.load(Ordering::Relaxed),
            last_error: lock(&self.last_error).clone(),
        }
    }
}

/// How a handler has fared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HandlerStats {
    /// The handler's name.
    pub name: String,
    /// How many records it failed to write.
    pub errors: u64,
    /// The last error, if any.
    pub last_error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record_at(level: log::Level, target: &str, message: &str, f: impl FnOnce(&Record<'_>)) {
        f(&Record::builder()
            .level(level)
            .target(target)
            .args(format_args!("{message}"))
            .build());
    }

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

    struct Broken;
    impl Write for Broken {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::BrokenPipe, "closed pipe"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn write_errors_are_returned_and_counted() {
        let slot = HandlerSlot::new(
            "console".into(),
            Box::new(ConsoleHandler::to_writer(Broken)),
        );
        record_at(log::Level::Error, "a", "x", |r| {
            assert_eq!(
                slot.handler.handle(r).unwrap_err().kind(),
                io::ErrorKind::BrokenPipe
            );
            slot.handle(r);
            slot.handle(r);
        });
        let stats = slot.stats();
        assert_eq!(stats.errors, 2);
        assert!(stats.last_error.unwrap().contains("closed pipe"));
    }

    #[test]
    fn file_appends_and_follows_rotation() {
        let dir = std::env::temp_dir().join(format!("dynlog-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("app.log");
        let _ = std::fs::remove_file(&path);
        let handler = FileHandler::new(&path);
        record_at(log::Level::Info, "a", "first", |r| {
            handler.handle(r).unwrap()
        });
        std::fs::rename(&path, dir.join("app.log.1")).unwrap();
        handler.reopen();
        record_at(log::Level::Info, "a", "second", |r| {
            handler.handle(r).unwrap()
        });
        let rotated = std::fs::read_to_string(dir.join("app.log.1")).unwrap();
        let current = std::fs::read_to_string(&path).unwrap();
        assert!(
            rotated.contains("first") && !rotated.contains("second"),
            "{rotated}"
        );
        assert!(current.contains("INFO  a] second"), "{current}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn file_handler_reports_unwritable_path() {
        let handler = FileHandler::new("/nonexistent-dir-dynlog/app.log");
        record_at(log::Level::Info, "a", "x", |r| {
            assert!(handler.handle(r).is_err())
        });
    }

    #[test]
    fn memory_ring_is_bounded_and_subscribable() {
        let memory = MemoryHandler::new(3);
        let follow = memory.subscribe(10);
        for i in 0..5 {
            record_at(log::Level::Info, "t", &format!("m{i}"), |r| {
                memory.handle(r).unwrap()
            });
        }
        assert_eq!(memory.messages(), ["m2", "m3", "m4"]);
        assert_eq!(memory.since(4).len(), 1);
        assert_eq!(memory.snapshot()[0].seq, 3);
        let followed: Vec<String> = follow.try_iter().map(|r| r.message).collect();
        assert_eq!(followed, ["m0", "m1", "m2", "m3", "m4"]);
        drop(follow);
        record_at(log::Level::Info, "t", "m5", |r| memory.handle(r).unwrap());
        assert!(lock(&memory.inner.ring).subscribers.is_empty());
    }

    #[test]
    fn memory_messages_are_truncated_at_a_char_boundary_with_a_marker() {
        let memory = MemoryHandler::new(10);
        let exact = "a".repeat(MAX_MEMORY_MESSAGE);
        // 'é' is two bytes: the cut falls inside one and must step back.
        let huge = format!("x{}", "é".repeat(1024 * 1024));
        for message in [&exact, &huge, &"short".to_string()] {
            record_at(log::Level::Warn, "t", message, |r| {
                memory.handle(r).unwrap()
            });
        }
        let kept = memory.messages();
        assert_eq!(
            kept[0], exact,
            "a message of exactly the limit is kept whole"
        );
        assert_eq!(kept[2], "short");
        let marker = format!("… [truncated from {} bytes]", huge.len());
        let cut = kept[1].strip_suffix(&marker).expect("the marker");
        assert_eq!(cut.len(), MAX_MEMORY_MESSAGE - 1, "x, then whole é's only");
        assert!(huge.starts_with(cut));
        // Written in pieces (format arguments), the limit holds across them.
        let pieces = "y".repeat(MAX_MEMORY_MESSAGE);
        memory
            .handle(
                &Record::builder()
                    .level(log::Level::Info)
                    .args(format_args!("{pieces}{pieces}"))
                    .build(),
            )
            .unwrap();
        let last = memory.messages().pop().unwrap();
        assert_eq!(
            last,
            format!(
                "{pieces}… [truncated from {} bytes]",
                2 * MAX_MEMORY_MESSAGE
            )
        );
    }
}
