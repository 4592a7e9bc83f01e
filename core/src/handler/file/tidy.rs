//! [`Tidy`]: prunes and compresses a rotating handler's rotated files in a thread of its own, so
//! logging threads never wait on gzip.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};

use flate2::Compression;
use flate2::write::GzEncoder;

use super::rotate::Rotation;
use super::rotating::{parse_rotated, split};
use crate::handler::lock;

/// Passes over a directory's rotated files: the oldest past `keep` removed, the others
/// compressed. A pass asked while one runs is done after it.
pub(super) struct Tidy {
    dir: PathBuf,
    base: String,
    keep: Option<u64>,
    compress: bool,
    state: Mutex<State>,
    wake: Condvar,
}

#[derive(Default)]
struct State {
    asked: bool,
    busy: bool,
    /// No thread takes passes (it ended, or could not start): they run where asked.
    closed: bool,
    /// What the last pass failed with, for the next rotation or flush to return.
    error: Option<io::Error>,
}

impl Tidy {
    /// A tidy with its thread running, or none when the rotation neither keeps N nor compresses.
    pub(super) fn start(path: &Path, rotation: &Rotation) -> Option<Arc<Tidy>> {
        if rotation.keep.is_none() && !rotation.compress {
            return None;
        }
        let (dir, base) = split(path).ok()?;
        let tidy = Arc::new(Tidy {
            dir: dir.to_path_buf(),
            base,
            keep: rotation.keep,
            compress: rotation.compress,
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
        });
        let worker = Arc::clone(&tidy);
        let started = std::thread::Builder::new()
            .name("dynlog-file-tidy".into())
            .spawn(move || worker.run());
        if started.is_err() {
            // The system refused a thread: the rotating thread tidies, slower but the same.
            lock(&tidy.state).closed = true;
        }
        Some(tidy)
    }

    /// Asks for a pass, and returns what the last one failed with.
    pub(super) fn ask(&self) -> io::Result<()> {
        let mut state = lock(&self.state);
        if state.closed {
            drop(state);
            return self.pass();
        }
        state.asked = true;
        self.wake.notify_all();
        state.error.take().map_or(Ok(()), Err)
    }

    /// Waits until no pass is asked or running, and returns what the last one failed with.
    pub(super) fn wait(&self) -> io::Result<()> {
        let mut state = lock(&self.state);
        while state.asked || state.busy {
            state = self.wake.wait(state).unwrap_or_else(|p| p.into_inner());
        }
        state.error.take().map_or(Ok(()), Err)
    }

    /// Lets the thread end once the pass asked is done.
    pub(super) fn close(&self) {
        lock(&self.state).closed = true;
        self.wake.notify_all();
    }

    fn run(&self) {
        let mut state = lock(&self.state);
        loop {
            if state.asked {
                state.asked = false;
                state.busy = true;
                drop(state);
                let result = self.pass();
                state = lock(&self.state);
                state.busy = false;
                if let Err(error) = result {
                    state.error = Some(error);
                }
                self.wake.notify_all();
            } else if state.closed {
                return;
            } else {
                state = self.wake.wait(state).unwrap_or_else(|p| p.into_inner());
            }
        }
    }

    /// Removes the oldest rotated files past `keep`, then compresses the others not yet
    /// compressed (one a crash left half done too). Goes on past an error and returns the first.
    fn pass(&self) -> io::Result<()> {
        // (period, counter) orders them as they were rotated; each has a plain and a .gz path.
        let mut rotated: BTreeMap<(String, u32), (Option<PathBuf>, Option<PathBuf>)> =
            BTreeMap::new();
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            let name = entry.file_name();
            if let Some((stamp, n, gz)) = parse_rotated(&self.base, &name.to_string_lossy()) {
                let paths = rotated.entry((stamp, n)).or_default();
                *(if gz { &mut paths.1 } else { &mut paths.0 }) = Some(entry.path());
            }
        }
        let keep = self.keep.map_or(usize::MAX, |keep| {
            usize::try_from(keep).unwrap_or(usize::MAX)
        });
        let excess = rotated.len().saturating_sub(keep);
        let mut first_error = None;
        for (i, (plain, gz)) in rotated.into_values().enumerate() {
            let done = if i < excess {
                plain.iter().chain(&gz).try_for_each(fs::remove_file)
            } else if let (true, Some(plain)) = (self.compress, plain) {
                gzip(&plain, gz.is_some())
            } else {
                Ok(())
            };
            if let Err(error) = done {
                first_error.get_or_insert(error);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// Compresses `plain` to `plain.gz` and removes it. The `.gz` takes its name only once whole,
/// so one that is there already (`done`) was finished before a crash.
fn gzip(plain: &Path, done: bool) -> io::Result<()> {
    let mut gz = OsString::from(plain);
    gz.push(".gz");
    if !done {
        let mut part = gz.clone();
        part.push(".part");
        let written = (|| {
            let mut encoder = GzEncoder::new(File::create(&part)?, Compression::default());
            io::copy(&mut File::open(plain)?, &mut encoder)?;
            encoder.finish()?.sync_all()?;
            fs::rename(&part, &gz)
        })();
        if written.is_err() {
            let _ = fs::remove_file(&part);
        }
        written.map_err(|e| {
            io::Error::new(e.kind(), format!("compressing {}: {e}", plain.display()))
        })?;
    }
    fs::remove_file(plain)
}
