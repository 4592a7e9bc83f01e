//! [`FileHandler`]: appends to a file through a buffer, flushed by a background thread, and
//! rotates it by size and/or time.
//!
//! - `mod.rs`: the handler, its builder and the buffer;
//! - `rotate`: [`Rotation`] and its text form;
//! - `rotating`: the rotating file, renamed aside and reopened under the handler's lock;
//! - `tidy`: pruning and compression of rotated files, in a thread of their own.
//!
//! Rotation is our own code: `logroller` rotates by size or by time, not both, and names the
//! file being written after its period; `file-rotate` has one limit at a time too, and gzips
//! inside the write that rotates; `rolling-file` shifts every kept file's name at each
//! rotation and does not compress.

mod rotate;
mod rotating;
mod tidy;

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use log::Record;

use super::format::{self, with_line};
use super::{Handler, lock};
use crate::Level;

pub use rotate::Rotation;
use rotating::Rotating;

/// How a file handler writes each record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// env_logger's format, without colour, key-values after the message:
    /// `[2026-11-24T09:52:54.412Z INFO  myapp] paid user=42`.
    #[default]
    Text,
    /// One JSON object a line:
    /// `{"ts":"2026-11-24T09:52:54.412Z","level":"INFO","target":"myapp","message":"paid","kv":{"user":42}}`.
    Json,
}

impl Format {
    fn writer(self) -> fn(&mut Vec<u8>, &Record<'_>) -> io::Result<()> {
        match self {
            Format::Text => format::text,
            Format::Json => format::json,
        }
    }
}

/// Appends records to a file through a buffer.
///
/// The buffer is written to the file when it fills, by a background thread at least every
/// second ([`FileBuilder::flush_every`]), at once after a record at error or above
/// ([`FileBuilder::flush_at`]), on [`Handler::flush`], and at [`Handler::shutdown`] (which
/// [`DynamicLogger::shutdown`](crate::DynamicLogger::shutdown) and the controller's drop call).
/// A graceful shutdown loses nothing; a crash loses at most the records of the last flush
/// interval that were not at error.
///
/// Without rotation the file is opened on the first write, and reopened after a write error,
/// on [`FileHandler::reopen`], and when the path no longer names the open file (checked at most
/// once a second), so logrotate's move-and-create works without a signal. With a
/// [`Rotation`] the handler rotates the file itself.
pub struct FileHandler {
    inner: Arc<Inner>,
    flusher: Mutex<Option<JoinHandle<()>>>,
}

struct Inner {
    path: PathBuf,
    format: fn(&mut Vec<u8>, &Record<'_>) -> io::Result<()>,
    flush_at: Level,
    capacity: usize,
    sink: Mutex<Sink>,
    /// Set at shutdown: from then on each record is written at once.
    closed: AtomicBool,
    stop: (Mutex<bool>, Condvar),
}

/// The buffer and where it goes.
struct Sink {
    buffer: Vec<u8>,
    out: Out,
    /// Set by the flusher when a background write failed, for the next record to return.
    failed: Option<io::Error>,
}

enum Out {
    Plain {
        file: Option<File>,
        checked: Instant,
    },
    Rotating(Rotating),
}

impl Sink {
    /// Writes the buffer out. On an error the buffered records are dropped (the error says so),
    /// so that a full disk cannot make the buffer grow without bound.
    fn write_out(&mut self, path: &Path) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let result = self.out.write_all(path, &self.buffer);
        self.buffer.clear();
        result
    }

    /// Before a record of `next` bytes joins the buffer: if its rotation is due, writes the
    /// buffer out and rotates, so each record lies whole in one file.
    fn rotate_if_due(&mut self, path: &Path, next: usize) -> io::Result<()> {
        let Out::Rotating(rotating) = &mut self.out else {
            return Ok(());
        };
        if !rotating.due(path, self.buffer.len(), next) {
            return Ok(());
        }
        let written = self.write_out(path);
        let Out::Rotating(rotating) = &mut self.out else {
            return written;
        };
        let rotated = rotating.rotate(path);
        written.and(rotated)
    }
}

impl Out {
    fn write_all(&mut self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        match self {
            Out::Plain { file, checked } => {
                if checked.elapsed() >= Duration::from_secs(1) {
                    *checked = Instant::now();
                    if file.as_ref().is_some_and(|f| !still_at(f, path)) {
                        *file = None;
                    }
                }
                let open = match file.take() {
                    Some(open) => open,
                    None => OpenOptions::new().create(true).append(true).open(path)?,
                };
                // Reopen on the next write after an error: the file may have been removed or
                // the disk freed.
                file.insert(open)
                    .write_all(bytes)
                    .inspect_err(|_| *file = None)
            }
            Out::Rotating(rotating) => rotating.write_all(path, bytes),
        }
    }

    /// Waits for the data to reach the disk.
    fn sync(&self) -> io::Result<()> {
        match self {
            Out::Plain { file, .. } => file.as_ref().map_or(Ok(()), File::sync_data),
            Out::Rotating(rotating) => rotating.sync(),
        }
    }
}

#[cfg(unix)]
fn still_at(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let (Ok(open), Ok(at_path)) = (file.metadata(), std::fs::metadata(path)) else {
        return false;
    };
    open.ino() == at_path.ino() && open.dev() == at_path.dev()
}

#[cfg(not(unix))]
fn still_at(_file: &File, path: &Path) -> bool {
    path.exists()
}

/// Declares a [`FileHandler`]: its format, rotation, buffer and flushes.
///
/// ```
/// use std::time::Duration;
/// use dynlog_core::handler::{FileHandler, Format, Rotation};
///
/// # let dir = std::env::temp_dir().join(format!("dynlog-doc-{}", std::process::id()));
/// let file = FileHandler::builder(dir.join("app.log"))
///     .format(Format::Json)
///     .rotate(Rotation::daily().max_size(10 * 1024 * 1024).keep(7).compress())
///     .flush_every(Duration::from_millis(500))
///     .build();
/// # drop(file); let _ = std::fs::remove_dir_all(dir);
/// ```
#[derive(Debug)]
#[must_use]
pub struct FileBuilder {
    path: PathBuf,
    format: Format,
    rotation: Option<Rotation>,
    every: Duration,
    flush_at: Level,
    capacity: usize,
}

impl FileBuilder {
    /// How each record is written ([`Format::Text`] by default).
    pub fn format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }

    /// Rotates the file by size and/or time, keeping its path (not by default: then logrotate
    /// may move it, and the handler follows).
    pub fn rotate(mut self, rotation: Rotation) -> Self {
        self.rotation = Some(rotation);
        self
    }

    /// How often the background thread writes the buffer out: every second by default, at
    /// least every 10 ms. This bounds what a crash can lose.
    pub fn flush_every(mut self, every: Duration) -> Self {
        self.every = every.max(Duration::from_millis(10));
        self
    }

    /// Records at this level or above are written out at once, with what is buffered before
    /// them ([`Level::Error`] by default; [`Level::Trace`] writes every record at once, and
    /// [`Level::Off`] none).
    pub fn flush_at(mut self, level: Level) -> Self {
        self.flush_at = level;
        self
    }

    /// The buffer's size in bytes (64 KiB by default); a full buffer is written out.
    pub fn buffer(mut self, bytes: usize) -> Self {
        self.capacity = bytes.clamp(0, 64 * 1024 * 1024);
        self
    }

    /// The handler, with its background flusher running.
    pub fn build(self) -> FileHandler {
        let out = match self.rotation {
            Some(rotation) => Out::Rotating(Rotating::new(rotation)),
            None => Out::Plain {
                file: None,
                checked: Instant::now(),
            },
        };
        let inner = Arc::new(Inner {
            path: self.path,
            format: self.format.writer(),
            flush_at: self.flush_at,
            capacity: self.capacity,
            sink: Mutex::new(Sink {
                buffer: Vec::with_capacity(self.capacity.min(1024 * 1024)),
                out,
                failed: None,
            }),
            closed: AtomicBool::new(false),
            stop: (Mutex::new(false), Condvar::new()),
        });
        let weak = Arc::downgrade(&inner);
        let every = self.every;
        let flusher = std::thread::Builder::new()
            .name("dynlog-file-flush".into())
            .spawn(move || flush_loop(&weak, every))
            // Without a thread (the system refused one) records are written as they come.
            .inspect_err(|_| inner.closed.store(true, Ordering::Relaxed))
            .ok();
        FileHandler {
            inner,
            flusher: Mutex::new(flusher),
        }
    }
}

/// The background flusher: writes the buffer out every `every` until stopped or the handler is
/// gone.
fn flush_loop(weak: &Weak<Inner>, every: Duration) {
    loop {
        let Some(inner) = weak.upgrade() else { return };
        let stopped = {
            let (flag, wake) = &inner.stop;
            let guard = lock(flag);
            let (guard, _) = wake
                .wait_timeout_while(guard, every, |stopped| !*stopped)
                .unwrap_or_else(|p| p.into_inner());
            *guard
        };
        if stopped {
            return;
        }
        let mut sink = lock(&inner.sink);
        if let Err(error) = sink.write_out(&inner.path) {
            sink.failed = Some(error);
        }
    }
}

impl FileHandler {
    /// Appends to `path` as text, buffered, flushed every second and at each error record.
    pub fn new(path: impl AsRef<Path>) -> Self {
        FileHandler::builder(path).build()
    }

    /// Declares a file handler with more than the defaults.
    pub fn builder(path: impl AsRef<Path>) -> FileBuilder {
        FileBuilder {
            path: path.as_ref().to_path_buf(),
            format: Format::Text,
            rotation: None,
            every: Duration::from_secs(1),
            flush_at: Level::Error,
            capacity: 64 * 1024,
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Writes the buffer out and closes the file; the next write opens the path again.
    pub fn reopen(&self) {
        let mut sink = lock(&self.inner.sink);
        let _ = sink.write_out(&self.inner.path);
        if let Out::Plain { file, .. } = &mut sink.out {
            *file = None;
        }
    }
}

impl fmt::Debug for FileHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileHandler")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

impl Handler for FileHandler {
    fn handle(&self, record: &Record<'_>) -> io::Result<()> {
        let inner = &*self.inner;
        with_line(record, inner.format, |line| {
            let mut sink = lock(&inner.sink);
            let rotated = sink.rotate_if_due(&inner.path, line.len());
            sink.buffer.extend_from_slice(line);
            // Relaxed: `closed` only makes records written sooner; the sink's lock orders the
            // writes themselves.
            if sink.buffer.len() >= inner.capacity
                || inner.flush_at.allows(record.level())
                || inner.closed.load(Ordering::Relaxed)
            {
                sink.write_out(&inner.path)?;
            }
            rotated?;
            // One lock a record: a background write's error is kept beside the buffer.
            sink.failed.take().map_or(Ok(()), Err)
        })
    }

    /// Writes the buffer out and waits for it to reach the disk, and for rotated files to be
    /// pruned and compressed (without holding up logging threads meanwhile).
    fn flush(&self) -> io::Result<()> {
        let tidy = {
            let mut sink = lock(&self.inner.sink);
            sink.write_out(&self.inner.path)?;
            sink.out.sync()?;
            match &sink.out {
                Out::Rotating(rotating) => rotating.tidy(),
                Out::Plain { .. } => None,
            }
        };
        tidy.map_or(Ok(()), |tidy| tidy.wait())
    }

    fn shutdown(&self) -> io::Result<()> {
        self.inner.closed.store(true, Ordering::Relaxed);
        {
            let (flag, wake) = &self.inner.stop;
            *lock(flag) = true;
            wake.notify_all();
        }
        if let Some(flusher) = lock(&self.flusher).take() {
            let _ = flusher.join();
        }
        self.flush()
    }
}

impl Drop for FileHandler {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

#[cfg(test)]
mod tests;
